"""What every subcommand shares: exit statuses, the one-line errors, the report of an internal
error, the rules' descriptions, and writing a file in one step.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import IO, Any, Dict, Optional, Sequence

import click

from linter.frontends.reporters import (
    ISSUES_URL,
    RuleInfo,
)
from linter.frontends.cli.status import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, VERBOSE  # noqa: F401
from linter.run.checker import PARSE_ERROR


#: SHP001 is reported by the CLI itself (files the engine cannot read); it has no rule class
#: unless the rules package defines one, so the CLI knows how to describe it either way.
PARSE_ERROR_INFO = RuleInfo(
    PARSE_ERROR,
    "unparsable-file",
    "A file that cannot be read or parsed",
    "A file that cannot be read or parsed\n\n## Why is this bad?\nNothing in it can be "
    "checked, and importing it fails at runtime.",
)


class CliError(click.ClickException):
    """A problem the user can fix (usage, settings, paths): one line, exit status 2."""

    exit_code = EXIT_ERROR

    def show(self, file: Optional[IO[Any]] = None) -> None:
        click.echo(f"pkgcheck: error: {self.format_message()}", err=True)


def report_internal_error(line: str, details: str, verbose: bool) -> None:
    """One line naming what failed and asking for a bug report; the traceback with ``-v``."""
    hint = "" if verbose or not details else " (run with -v for the traceback)"
    click.echo(
        f"pkgcheck: {line}; this is a bug in pkgcheck, please report it at {ISSUES_URL}{hint}",
        err=True,
    )
    if verbose and details:
        click.echo(details.rstrip("\n"), err=True)


def check_steamship_path(path: Path, origin: str) -> None:
    """A steamship path that holds no steamship is a typo, not a reason to fall back silently.

    ``origin`` says where the path was given (an option, or a settings file and key).
    """
    if not path.exists():
        raise CliError(f"{origin}: {path}: no such file or directory")
    package = path if path.name == "steamship" else path / "steamship"
    if not (package / "invocable" / "invocable.py").is_file():
        raise CliError(
            f"{origin}: {path}: no steamship package there (expected a site-packages directory)"
        )


#: ``--steamship-version`` of the commands that read steamship's code
steamship_version_option = click.option(
    "--steamship-version",
    default=None,
    metavar="RELEASE",
    help="The steamship release whose code to use when none is installed "
    "(default: the one the project's requirements pin or allow, else the newest known).",
)


def check_steamship_version(version: str, origin: str) -> str:
    """``version`` when pkgcheck knows that steamship release (or it is newer than all it
    knows: then the newest is used, and the run says so); a usage error otherwise."""
    from linter.sdk.catalogue import load_bundle
    from linter.sdk.releases import ReleaseError, choose_release

    try:
        choose_release(load_bundle(), None, version)
    except ReleaseError as error:
        raise CliError(f"{origin}: {error}") from None
    return version


def no_files_note(targets: Sequence[Path]) -> str:
    return f"no Python files to check in {', '.join(str(path) for path in targets)}"


def should_color(stream: Any) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):
        return False


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step: readers see the old report or the new one."""
    path = Path(os.path.abspath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


def rule_infos() -> Dict[str, RuleInfo]:
    from rules import load_all

    infos: Dict[str, RuleInfo] = {PARSE_ERROR: PARSE_ERROR_INFO}
    infos.update({code: RuleInfo.of(rule) for code, rule in load_all().items()})
    return dict(sorted(infos.items()))


def read_regular(path: Path) -> bytes:
    """A file's bytes, refusing FIFOs and devices (reading one would block or never end)."""
    import stat

    if not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError(f"{path}: not a regular file")
    return path.read_bytes()
