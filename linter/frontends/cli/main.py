"""The ``pkgcheck`` command line: a thin adapter over the engine (:mod:`linter.run.engine`: the
paths' files grouped by project, each group checked with its own settings).

``pkgcheck [OPTIONS] PATH...`` is short for ``pkgcheck check [OPTIONS] PATH...``; the other
subcommands are ``spec`` (static PackageSpecs as JSON), ``rule CODE`` (a rule's documentation),
``rules`` (the catalogue), ``manifest`` (the configTemplate ``ship deploy`` would write) and
``lsp`` (the language server).

Exit status: 0 clean, 1 findings (SHP001, unparsable files, included), 2 a usage or settings
error, or an internal error (a rule that crashed, a file pkgcheck failed to analyse). A Python
traceback never reaches the user unless ``-v`` asks for it.

Each subcommand is a module of this package; this one is the group that dispatches to them.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from contextlib import suppress
from typing import Any, Dict, List, Optional, Tuple

import click

from linter import __version__
from linter.frontends.cli.status import EXIT_ERROR, EXIT_FINDINGS, VERBOSE

#: subcommand -> (module, attribute): each is imported when it runs (or ``--help`` lists it),
#: so ``pkgcheck --version`` and ``pkgcheck rule X`` do not pay for the engine
COMMANDS: Dict[str, Tuple[str, str]] = {
    "check": ("linter.frontends.cli.check", "check"),
    "diff": ("linter.frontends.cli.diff", "diff_command"),
    "lsp": ("linter.frontends.cli.lsp", "lsp_command"),
    "manifest": ("linter.frontends.cli.manifest", "manifest_command"),
    "rule": ("linter.frontends.cli.rules", "rule_command"),
    "rules": ("linter.frontends.cli.rules", "rules_command"),
    "spec": ("linter.frontends.cli.spec", "spec"),
    "upgrade": ("linter.frontends.cli.upgrade", "upgrade_command"),
}


class PkgcheckGroup(click.Group):
    """A group whose default subcommand is ``check``, whose subcommands are imported when
    they are used, and that never lets a traceback out."""

    default_command = "check"

    def list_commands(self, ctx: click.Context) -> List[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> Optional[click.Command]:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute = COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return self.commands.get(cmd_name)

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        if not args:
            # No command at all: the help, as a usage error (click's exit status for this
            # changed between versions; pin it).
            click.echo(ctx.get_help())
            ctx.exit(EXIT_ERROR)
        if (
            args
            and args[0] not in COMMANDS
            and args[0] not in self.commands
            and args[0] not in (*ctx.help_option_names, "--version")
        ):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (``pkgcheck . | head``): stop quietly, and keep Python from
            # complaining about the unflushable stdout at exit.
            with suppress(Exception):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(EXIT_FINDINGS)
        except Exception as error:  # the last line of defence: no traceback for the user
            from linter.frontends.cli.common import report_internal_error
            from linter.sdk.catalogue import CatalogueUnavailable

            if isinstance(error, CatalogueUnavailable):  # this Python's fault, not pkgcheck's
                click.echo(f"pkgcheck: error: {error}", err=True)
                ctx.exit(EXIT_ERROR)
            report_internal_error(
                f"internal error: {type(error).__name__}: {error}",
                traceback.format_exc(),
                verbose=bool(ctx.meta.get(VERBOSE)),
            )
            ctx.exit(EXIT_ERROR)


@click.group(
    cls=PkgcheckGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "--version", prog_name="pkgcheck")
def main() -> None:
    """Static checks for Steamship packages.

    `pkgcheck [OPTIONS] PATH...` is short for `pkgcheck check [OPTIONS] PATH...`;
    see `pkgcheck check --help` for the options.
    """


def run() -> None:
    """The ``pkgcheck`` console script: :func:`main`, then the process ends without freeing what
    the run built, one object after another, as Python's own exit does (mypy ends the same
    way): 35 ms of a cold run over a 100,000-file tree, whose objects take 125 MB. Only when
    nothing else runs and the output is flushed: with another thread or a child process alive,
    or an output that cannot be flushed, Python's own exit takes over.

    The garbage collector runs with the analysis' thresholds from here on, the imports of the
    engine and LibCST included (:func:`linter.run.collector.few_collections`)."""
    from linter.run.collector import few_collections

    try:
        with few_collections():
            main(prog_name="pkgcheck")
        code: object = 0
    except SystemExit as stop:
        code = stop.code
    import threading

    multiprocessing = sys.modules.get("multiprocessing")
    if threading.active_count() > 1 or (multiprocessing is not None and multiprocessing.active_children()):
        sys.exit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        sys.exit(code)  # a message for Python to print
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        sys.exit(status)
    os._exit(status)
