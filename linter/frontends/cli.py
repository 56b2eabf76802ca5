"""The ``pkgcheck`` command line: a thin adapter over the engine (:mod:`linter.run.engine`: the
paths' files grouped by project, each group checked with its own settings).

``pkgcheck [OPTIONS] PATH...`` is short for ``pkgcheck check [OPTIONS] PATH...``; the other
subcommands are ``spec`` (static PackageSpecs as JSON), ``rule CODE`` (a rule's documentation)
and ``rules`` (the catalogue).

Exit status: 0 clean, 1 findings (SHP001, unparsable files, included), 2 a usage or settings
error, or an internal error (a rule that crashed, a file pkgcheck failed to analyse). A Python
traceback never reaches the user unless ``-v`` asks for it.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Dict, List, Optional, Sequence, Tuple

import click

from linter import __version__
from linter.run.checker import PARSE_ERROR, Violation
from linter.frontends.config import (
    FORMATS,
    ConfigError,
    FileSettings,
    anchor_patterns,
    find_config,
    load_config,
    parse_per_file_ignores,
    per_file_ignored,
    resolve_per_file_ignores,
    split_list,
    split_patterns,
)
from linter.source.noqa import BY_PER_FILE_IGNORES, NoqaIndex
from linter.frontends.reporters import (
    ISSUES_URL,
    Entry,
    ReportData,
    RuleInfo,
    display_path,
    render,
    render_statistics,
    summarise,
)
from linter.run.selection import (
    RuleSelection,
    SelectionError,
    normalise_selectors,
    resolve_codes,
)

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

_VERBOSE = "pkgcheck.verbose"

#: SHP001 is reported by the CLI itself (files the engine cannot read); it has no rule class
#: unless the rules package defines one, so the CLI knows how to describe it either way.
_PARSE_ERROR_INFO = RuleInfo(
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


class PkgcheckGroup(click.Group):
    """A group whose default subcommand is ``check`` and that never lets a traceback out."""

    default_command = "check"

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        if not args:
            # No command at all: the help, as a usage error (click's exit status for this
            # changed between versions; pin it).
            click.echo(ctx.get_help())
            ctx.exit(EXIT_ERROR)
        if (
            args
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
            _report_internal_error(
                f"internal error: {type(error).__name__}: {error}",
                traceback.format_exc(),
                verbose=bool(ctx.meta.get(_VERBOSE)),
            )
            ctx.exit(EXIT_ERROR)


def _report_internal_error(line: str, details: str, verbose: bool) -> None:
    """One line naming what failed and asking for a bug report; the traceback with ``-v``."""
    hint = "" if verbose or not details else " (run with -v for the traceback)"
    click.echo(
        f"pkgcheck: {line}; this is a bug in pkgcheck, please report it at {ISSUES_URL}{hint}",
        err=True,
    )
    if verbose and details:
        click.echo(details.rstrip("\n"), err=True)


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


# -- check ------------------------------------------------------------------------------------


def _split(
    values: Sequence[str], splitter: Callable[[str], List[str]] = split_list
) -> Optional[List[str]]:
    """Repeatable, comma-separated option values; None when the option was not given."""
    if not values:
        return None
    result: List[str] = []
    for value in values:
        result.extend(splitter(value))
    return result


@dataclass
class _Options:
    """The check command's settings after merging the settings file and the command line."""

    enabled: List[str]
    per_file_ignores: List[Tuple[str, Tuple[str, ...]]]
    excludes: Tuple[str, ...]
    format: str
    output_file: Optional[Path]
    steamship_path: Optional[Path]
    statistics: bool
    show_suppressed: bool
    exit_zero: bool
    quiet: bool
    cache: bool
    config_path: Optional[Path]


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--select",
    multiple=True,
    metavar="CODES",
    help="Rule codes or prefixes to enable, replacing the default "
    "(ALL: every rule, opt-in ones too).",
)
@click.option(
    "--extend-select",
    multiple=True,
    metavar="CODES",
    help="Rule codes or prefixes to enable in addition; opt-in rules need their exact code.",
)
@click.option("--ignore", multiple=True, metavar="CODES", help="Rule codes or prefixes to disable.")
@click.option(
    "--per-file-ignores",
    multiple=True,
    metavar="MAPPING",
    help="Codes to ignore in some files, flake8 syntax: 'tests/*:SHP101,SHP3 api.py:SHP2'.",
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="PATTERNS",
    help="Files and directories to skip, replacing the default (.git, virtualenvs, build, caches).",
)
@click.option(
    "--extend-exclude",
    multiple=True,
    metavar="PATTERNS",
    help="Files and directories to skip in addition to the default.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Report format (default: text).",
)
@click.option(
    "--output-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the report to this file instead of stdout.",
)
@click.option("--statistics/--no-statistics", default=None, help="Count the problems per code.")
@click.option(
    "--show-suppressed/--hide-suppressed",
    default=None,
    help="Also list findings silenced by # noqa or per-file-ignores.",
)
@click.option(
    "--exit-zero/--no-exit-zero", default=None, help="Exit 0 even when there are findings."
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    default=None,
    help="Print only the findings: no summary or notes.",
)
@click.option(
    "--steamship-path",
    type=click.Path(path_type=Path),
    default=None,
    help="A site-packages directory holding the steamship to analyse against.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Read settings from this pyproject.toml or setup.cfg instead of the nearest one.",
)
@click.option(
    "--cache/--no-cache",
    default=None,
    help="Keep facts and results in .pkgcheck_cache/ at the project root (default: on).",
)
@click.option("--isolated", is_flag=True, help="Ignore settings files.")
@click.option(
    "--fix", is_flag=True, help="Apply the safe automatic fixes, then report what is left."
)
@click.option(
    "--diff",
    "show_diff",
    is_flag=True,
    help="Print the automatic fixes as a unified diff; change nothing (exit 1 if there are any).",
)
@click.option(
    "--unsafe-fixes",
    is_flag=True,
    help="With --fix or --diff, also make fixes that guess (SHP401: the one close route name).",
)
@click.option(
    "--no-prefilter",
    is_flag=True,
    hidden=True,
    help="Parse every file, not only those that may matter.",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Show settings used and tracebacks of internal errors."
)
@click.pass_context
def check(
    ctx: click.Context,
    paths: Tuple[Path, ...],
    select: Tuple[str, ...],
    extend_select: Tuple[str, ...],
    ignore: Tuple[str, ...],
    per_file_ignores: Tuple[str, ...],
    exclude: Tuple[str, ...],
    extend_exclude: Tuple[str, ...],
    fmt: Optional[str],
    output_file: Optional[Path],
    statistics: Optional[bool],
    show_suppressed: Optional[bool],
    exit_zero: Optional[bool],
    quiet: Optional[bool],
    steamship_path: Optional[Path],
    config_file: Optional[Path],
    cache: Optional[bool],
    isolated: bool,
    no_prefilter: bool,
    fix: bool,
    show_diff: bool,
    unsafe_fixes: bool,
    verbose: bool,
) -> None:
    """Check PATHS for problems (the default command).

    PATHS are files and directories; without any, the working directory is checked.
    The whole project around them is loaded for context; findings are reported for PATHS only.
    PATHS in several projects (directories holding a root marker such as pyproject.toml or
    steamship.json) are checked project by project.
    Settings are read from [tool.pkgcheck] in pyproject.toml or [pkgcheck] in setup.cfg: for
    each project's files, the nearest one above them; for the output (format, output file,
    statistics, exit status, quiet), the nearest one above all of PATHS. The command line
    overrides them.
    """
    ctx.meta[_VERBOSE] = verbose
    targets = list(paths) or [Path(".")]
    # A missing path is reported (SHP001, or an error when that is not selected) and the other
    # paths are still checked, as flake8 and ruff do: one typo must not hide the rest of a run.
    infos = _rule_infos()

    if config_file is not None and not config_file.is_file():
        raise CliError(f"--config {config_file}: no such file")
    command_line: Dict[str, Any] = dict(
        select=_split(select),
        extend_select=_split(extend_select),
        ignore=_split(ignore),
        per_file_ignores=" ".join(per_file_ignores) if per_file_ignores else None,
        exclude=_split(exclude, split_patterns),
        extend_exclude=_split(extend_exclude, split_patterns),
        fmt=fmt,
        output_file=output_file,
        steamship_path=steamship_path,
        statistics=statistics,
        show_suppressed=show_suppressed,
        exit_zero=exit_zero,
        quiet=quiet,
        cache=cache,
    )
    settings_at = _SettingsFinder(
        lambda settings: _merge_options(settings, infos, **command_line),
        infos,
        config_file=config_file,
        isolated=isolated,
    )
    absolute = [Path(os.path.abspath(path)) for path in targets]
    output = settings_at(_common_directory(absolute))
    runs = _plan_runs(absolute, settings_at)
    if verbose:
        _show_settings(runs, output)
    if fix or show_diff:
        changed = _run_fixes(
            runs, output, unsafe=unsafe_fixes, write=not show_diff, prefilter=not no_prefilter
        )
        if show_diff:
            ctx.exit(EXIT_FINDINGS if changed else EXIT_CLEAN)
    ctx.exit(
        _run_check(
            targets, runs, output, prefilter=not no_prefilter, verbose=verbose, infos=infos
        )
    )


class _SettingsFinder:
    """The options that apply at a place: its nearest settings file (or ``--config``, or none
    with ``--isolated``) merged with the command line, each file read once."""

    def __init__(
        self,
        merge: Callable[[FileSettings], "_Options"],
        infos: Dict[str, RuleInfo],
        *,
        config_file: Optional[Path],
        isolated: bool,
    ) -> None:
        self.merge = merge
        self.infos = infos
        self.config_file = config_file
        self.isolated = isolated
        self.by_directory: Dict[Path, Optional[Path]] = {}
        self.by_file: Dict[Optional[Path], _Options] = {}

    def __call__(self, place: Path) -> "_Options":
        if self.config_file is not None:
            config_path: Optional[Path] = Path(os.path.abspath(self.config_file))
        elif self.isolated:
            config_path = None
        else:
            directory = place if place.is_dir() else place.parent
            if directory not in self.by_directory:
                found = find_config(directory)
                self.by_directory[directory] = Path(os.path.abspath(found)) if found else None
            config_path = self.by_directory[directory]
        if config_path not in self.by_file:
            try:
                settings = load_config(config_path, self.infos) if config_path else FileSettings()
            except ConfigError as error:
                raise CliError(str(error)) from None
            self.by_file[config_path] = self.merge(settings)
        return self.by_file[config_path]


def _common_directory(paths: Sequence[Path]) -> Path:
    """The directory holding all of ``paths`` (a path itself when it is the only one)."""
    try:
        return Path(os.path.commonpath([str(path) for path in paths]))
    except ValueError:  # different drives
        return paths[0]


@dataclass
class _Run:
    """The files of one project and the options that apply to them."""

    group: Any  # linter.run.engine.ProjectGroup
    options: "_Options"
    #: the project's own walk, when the run's walk was exactly that
    walk: Optional[List[Path]]


def _plan_runs(
    absolute: Sequence[Path], settings_at: Callable[[Path], "_Options"]
) -> List[_Run]:
    """The files under ``absolute``, project by project, each with its options.

    A directory named is walked with the exclude patterns of its own settings; then each
    project's files are held to the patterns of that project's settings too (its nearest
    settings file may be below the directory named). Files named explicitly are always checked.
    """
    from linter.run.engine import group_by_project
    from linter.project.files import ExcludeMatcher, iter_python_files

    files: List[Path] = []
    seen = set()
    origin: Dict[Path, Tuple[Path, Tuple[str, ...]]] = {}  # walked file -> (directory, excludes)
    for path in absolute:
        if not path.is_dir():
            if path not in seen:
                seen.add(path)
                files.append(path)
            continue
        excludes = tuple(settings_at(path).excludes)
        for found in iter_python_files([path], excludes):
            if found not in seen:
                seen.add(found)
                files.append(found)
                origin[found] = (path, excludes)
    runs = []
    for group in group_by_project(absolute, files):
        options = settings_at(group.root)
        excludes = tuple(options.excludes)
        if any(origin[f][1] != excludes for f in group.files if f in origin):
            matcher = ExcludeMatcher(excludes)
            named = set(group.named)
            group.files = [
                f
                for f in group.files
                if f in named
                or f not in origin
                or origin[f][1] == excludes
                # walked from the directory named, or from the project's root if that is lower
                or _walk_keeps(f, max(origin[f][0], group.root, key=_depth), matcher)
            ]
            if not group.files:
                continue
        # The project's own walk starts at its root: when that is the one directory named, it
        # is the walk just done (with the same settings) less the projects nested in it, and
        # the tree is walked once.
        walk = group.files if list(absolute) == [group.root] else None
        runs.append(_Run(group, options, walk))
    return runs


def _depth(path: Path) -> int:
    return len(path.parts)


def _walk_keeps(file: Path, base: Path, matcher: Callable[[str, str], bool]) -> bool:
    """Whether a walk from directory ``base`` with ``matcher`` reaches ``file``."""
    current = base
    for part in file.relative_to(base).parts:
        current = current / part
        if matcher(part, str(current)):
            return False
    return True


def _show_settings(runs: Sequence[_Run], output: "_Options") -> None:
    """``-v``: the settings file and enabled rules, per project when they differ."""
    cwd = Path.cwd()

    def source(options: "_Options") -> str:
        return display_path(str(options.config_path), cwd) if options.config_path else "none"

    distinct = {id(run.options): run.options for run in runs} or {id(output): output}
    if len(distinct) == 1:
        (options,) = distinct.values()
        click.echo(f"pkgcheck: settings file: {source(options)}", err=True)
        click.echo(f"pkgcheck: enabled rules: {', '.join(options.enabled) or 'none'}", err=True)
        return
    click.echo(f"pkgcheck: settings file for the output: {source(output)}", err=True)
    for run in runs:
        where = display_path(str(run.group.root), cwd)
        click.echo(f"pkgcheck: settings file for {where}: {source(run.options)}", err=True)
        enabled = ", ".join(run.options.enabled) or "none"
        click.echo(f"pkgcheck: enabled rules for {where}: {enabled}", err=True)


def _merge_options(
    settings: FileSettings,
    infos: Dict[str, RuleInfo],
    *,
    select: Optional[List[str]],
    extend_select: Optional[List[str]],
    ignore: Optional[List[str]],
    per_file_ignores: Optional[str],
    exclude: Optional[List[str]],
    extend_exclude: Optional[List[str]],
    fmt: Optional[str],
    output_file: Optional[Path],
    steamship_path: Optional[Path],
    statistics: Optional[bool],
    show_suppressed: Optional[bool],
    exit_zero: Optional[bool],
    quiet: Optional[bool],
    cache: Optional[bool],
) -> _Options:
    """The file's settings with the command line's on top (see :mod:`linter.run.selection`)."""
    from linter.run.engine import DEFAULT_EXCLUDES

    cwd = Path.cwd()

    def selectors(option: str, values: Sequence[str]) -> Tuple[str, ...]:
        try:
            return normalise_selectors(values, infos)
        except SelectionError as error:
            raise CliError(f"{option}: {error} (pkgcheck rules lists the codes)") from None

    command_line = RuleSelection(
        selectors("--select", select) if select is not None else None,
        selectors("--extend-select", extend_select or ()),
        selectors("--ignore", ignore or ()),
    )
    from_file = RuleSelection(settings.select, settings.extend_select, settings.ignore)
    enabled = resolve_codes(
        [from_file, command_line], {code: info.opt_in for code, info in infos.items()}
    )

    if per_file_ignores is not None:
        try:
            mapping = resolve_per_file_ignores(parse_per_file_ignores(per_file_ignores), cwd, infos)
        except SelectionError as error:
            raise CliError(f"--per-file-ignores: {error}") from None
        except ValueError as error:
            raise CliError(f"--per-file-ignores: {error}") from None
    else:
        mapping = settings.per_file_ignores or []

    if exclude is not None:
        excludes = anchor_patterns(exclude, cwd)
    elif settings.exclude is not None:
        excludes = settings.exclude
    else:
        excludes = tuple(DEFAULT_EXCLUDES)
    excludes = (*excludes, *settings.extend_exclude, *anchor_patterns(extend_exclude or (), cwd))

    if steamship_path is not None:
        chosen_steamship: Optional[Path] = steamship_path
        _check_steamship_path(steamship_path, "--steamship-path")
    else:
        chosen_steamship = settings.steamship_path
        if chosen_steamship is not None and settings.path is not None:
            _check_steamship_path(
                chosen_steamship, f"{display_path(str(settings.path), Path.cwd())}: steamship-path"
            )

    def flag(value: Optional[bool], key: str, default: bool = False) -> bool:
        return value if value is not None else settings.booleans.get(key, default)

    return _Options(
        enabled=sorted(enabled),
        per_file_ignores=mapping,
        excludes=excludes,
        format=fmt or settings.format or "text",
        output_file=output_file if output_file is not None else settings.output_file,
        steamship_path=chosen_steamship,
        statistics=flag(statistics, "statistics"),
        show_suppressed=flag(show_suppressed, "show-suppressed"),
        exit_zero=flag(exit_zero, "exit-zero"),
        quiet=flag(quiet, "quiet"),
        cache=flag(cache, "cache", default=True),
        config_path=settings.path,
    )


def _check_steamship_path(path: Path, origin: str) -> None:
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


def _run_fixes(
    runs: Sequence[_Run], output: _Options, *, unsafe: bool, write: bool, prefilter: bool
) -> int:
    """Fix what can be fixed (``write``) or print the fixes as a diff; return how many.

    Each project is checked and fixed with its own options. Findings silenced by ``# noqa`` or
    per-file-ignores are not fixed. With ``write``, the ``_run_check`` that follows is the
    re-check: it reports what is left.
    """
    from linter.run.engine import check_group
    from linter.tools.fix import FixResult, fix_files

    root = Path(os.path.abspath(os.getcwd()))
    result = FixResult()
    for run in runs:
        options = run.options
        report = check_group(
            run.group,
            options.enabled,
            excludes=options.excludes,
            steamship_path=options.steamship_path,
            prefilter=prefilter,
            walk=run.walk,
        )
        entries = _build_entries(report.violations, options.per_file_ignores, root)
        wanted = [entry.violation for entry in entries if entry.suppressed is None]
        fixed = fix_files(
            run.group.files,
            wanted,
            unsafe=unsafe,
            write=write,
            excludes=options.excludes,
            steamship_path=options.steamship_path,
            enabled=options.enabled,
        )
        result.files.extend(fixed.files)
        result.fixed.extend(fixed.fixed)
        result.skipped.extend(fixed.skipped)
        result.refused.extend(fixed.refused)
        result.needs_unsafe.extend(fixed.needs_unsafe)
        result.declined.extend(fixed.declined)
    if not write:
        click.echo(result.diff, nl=False)
    for path, reason in result.refused:
        click.echo(f"pkgcheck: not fixed: {display_path(path, root)}: {reason}", err=True)
    if not output.quiet:
        for violation, reason in result.declined:
            where = f"{display_path(violation.path, root)}:{violation.line}:{violation.column}"
            click.echo(f"pkgcheck: not fixed: {where}: {violation.code}: {reason}", err=True)
        count, files = len(result.fixed), len(result.files)
        if write and count:
            problems = f"{count} problem{'s' * (count != 1)}"
            click.echo(f"pkgcheck: fixed {problems} in {files} file{'s' * (files != 1)}", err=True)
        if result.needs_unsafe:
            more = len(result.needs_unsafe)
            fixes = f"{more} more fix{'es' * (more != 1)}"
            click.echo(f"pkgcheck: note: {fixes} available with --unsafe-fixes", err=True)
    return len(result.fixed)


def _no_files_note(targets: Sequence[Path]) -> str:
    return f"no Python files to check in {', '.join(str(path) for path in targets)}"


def _run_check(
    targets: Sequence[Path],
    runs: Sequence[_Run],
    options: _Options,
    *,
    prefilter: bool,
    verbose: bool,
    infos: Dict[str, RuleInfo],
) -> int:
    """Run the engine on each project with its options, filter, report; return the exit
    status. ``options`` are the output's (format, destination, exit status)."""
    from linter.run.engine import check_groups

    # Resolved as the engine's absolute paths are, so relative display paths come out right.
    root = Path(os.path.abspath(os.getcwd()))
    internal: List[Tuple[str, str]] = []
    missing: List[str] = []
    entries: List[Entry] = []
    notices: List[str] = []
    if not runs:
        notices.append(_no_files_note(targets))
    jobs = [
        (
            run.group,
            dict(
                enabled=run.options.enabled,
                excludes=run.options.excludes,
                steamship_path=run.options.steamship_path,
                prefilter=prefilter,
                cache=run.options.cache,
                walk=run.walk,
            ),
        )
        for run in runs
    ]
    for run, report in zip(runs, check_groups(jobs)):
        enabled = run.options.enabled
        notices.extend(notice for notice in report.notices if notice not in notices)
        violations: List[Violation] = list(report.violations)
        for failure in report.failures:
            if not os.path.lexists(failure.path) and PARSE_ERROR not in enabled:
                missing.append(f"{display_path(failure.path, root)}: no such file or directory")
                continue
            if failure.internal:
                details = report.internal_traceback(Path(failure.path))
                cause = details.strip().splitlines()[-1] if details.strip() else failure.message
                shown = display_path(failure.path, root)
                internal.append((f"internal error while analysing {shown} ({cause})", details))
            if PARSE_ERROR in enabled:
                span = failure.span
                violations.append(
                    Violation(
                        PARSE_ERROR,
                        _parse_error_message(infos[PARSE_ERROR], failure.message),
                        failure.path,
                        span.line if span else 1,
                        span.column if span else 1,
                        span.end_line if span else 1,
                        span.end_column if span else 1,
                    )
                )
        for code, message, details in report.internal_errors:
            last = details.strip().splitlines()[-1] if details.strip() else message
            line = f"internal error: rule {code} crashed ({last})"
            if all(line != seen for seen, _ in internal):
                internal.append((line, details))
        entries.extend(_build_entries(violations, run.options.per_file_ignores, root))
    entries.sort(key=lambda e: _violation_order(e.violation))

    data = ReportData(
        entries,
        infos,
        show_suppressed=options.show_suppressed,
        root=root,
        internal_errors=[line for line, _ in internal],
    )
    to_file = options.output_file is not None
    color = options.format == "text" and not to_file and should_color(sys.stdout)
    text = render(options.format, data, color=color)
    statistics = render_statistics(data) if options.statistics else ""
    if statistics and options.format == "text":
        text += statistics  # text readers expect them after the findings (as flake8 does)
        statistics = ""
    if to_file:
        assert options.output_file is not None
        try:
            write_atomically(options.output_file, text)
        except OSError as error:
            raise CliError(
                f"cannot write {options.output_file}: {error.strerror or error}"
            ) from None
    elif text:
        click.echo(text, nl=False, color=color)
    if statistics:
        click.echo(statistics, nl=False, err=True)

    err_color = should_color(sys.stderr)
    if not options.quiet:
        for notice in notices:
            click.echo(f"pkgcheck: note: {notice}", err=True)
    for line in missing:
        click.echo(f"pkgcheck: error: {line}", err=True)
    for line, details in internal:
        _report_internal_error(line, details, verbose)
    if not options.quiet and runs:
        summary = summarise(data)
        if err_color:
            summary = click.style(summary, fg="red" if data.reported else "green", bold=True)
        click.echo(summary, err=True, color=err_color)

    if internal or missing:
        return EXIT_ERROR
    if data.reported and not options.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _violation_order(violation: Violation) -> Tuple[str, int, int, str, str]:
    return (violation.path, violation.line, violation.column, violation.code, violation.message)


def _parse_error_message(info: RuleInfo, problem: str) -> str:
    """SHP001's message: the rule's template around the parser's words, when there is one."""
    try:
        return info.message.format(problem=problem) if info.message else problem
    except (KeyError, IndexError, ValueError):
        return problem


def _build_entries(
    violations: Sequence[Violation],
    per_file_ignores: Sequence[Tuple[str, Tuple[str, ...]]],
    root: Path,
) -> List[Entry]:
    """Violations with their display path, source line and suppression (if any)."""
    from linter.source.collect import decode_source

    indexes: Dict[str, Optional[NoqaIndex]] = {}
    entries = []
    for violation in violations:
        if violation.path not in indexes:
            try:
                indexes[violation.path] = NoqaIndex(decode_source(_read_regular(Path(violation.path))))
            except Exception:  # unreadable or undecodable: an SHP001 has said so; nothing to honour
                indexes[violation.path] = None
        index = indexes[violation.path]
        reason: Optional[str] = None
        if per_file_ignored(per_file_ignores, violation.path, violation.code):
            reason = BY_PER_FILE_IGNORES
        elif index is not None:
            reason = index.suppression(violation.code, violation.line)
        entries.append(
            Entry(
                violation,
                display_path(violation.path, root),
                index.line_text(violation.line) if index is not None else "",
                reason,
            )
        )
    return entries


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


# -- rules, rule, spec --------------------------------------------------------------------------


def _rule_infos() -> Dict[str, RuleInfo]:
    from rules import load_all

    infos: Dict[str, RuleInfo] = {PARSE_ERROR: _PARSE_ERROR_INFO}
    infos.update({code: RuleInfo.of(rule) for code, rule in load_all().items()})
    return dict(sorted(infos.items()))


@main.command("rules")
def rules_command() -> None:
    """List every rule: code, name, whether it is on by default, summary."""
    infos = list(_rule_infos().values())
    name_width = max((len(info.name) for info in infos), default=4)
    click.echo(f"{'code':<7} {'name':<{name_width}}  {'default':<7}  summary")
    for info in infos:
        state = "off" if info.opt_in else "on"
        click.echo(f"{info.code:<7} {info.name:<{name_width}}  {state:<7}  {info.summary}")


@main.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Print the documentation of rule CODE, such as SHP301."""
    infos = _rule_infos()
    info = infos.get(code.strip().upper())
    if info is None:
        raise CliError(f"unknown rule code {code!r} (pkgcheck rules lists the codes)")
    click.echo(f"# {info.name} ({info.code})\n")
    click.echo(info.documentation)
    if info.opt_in:
        click.echo(f"\nThis rule is opt-in: enable it with --extend-select {info.code}.")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--level",
    type=click.Choice(["instance", "class"]),
    default="instance",
    show_default=True,
    help="instance: what GET /__dir__ serves; class: cls._package_spec.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "openapi"]),
    default="json",
    show_default=True,
    help="json: the specs as GET /__dir__ serves them; openapi: OpenAPI 3.1, one per package.",
)
@click.option(
    "--package",
    default=None,
    metavar="NAME",
    help="Only this package (module.Class, or Class when unambiguous); with --format openapi, "
    "print its bare document.",
)
@click.option(
    "--include-reserved",
    is_flag=True,
    help="With --format openapi, also list the reserved routes (/__dir__, /__instance_init__).",
)
@click.option(
    "--extended",
    is_flag=True,
    help="With --format json, give each argument what steamship's spec leaves out and "
    "`pkgcheck diff` compares: `required` (it has no default) and `schema` (the JSON schema "
    "of what a caller sends, models written out).",
)
@click.option(
    "--steamship-path",
    type=click.Path(path_type=Path),
    default=None,
    help="A site-packages directory holding the steamship to analyse against.",
)
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors.")
@click.pass_context
def spec(
    ctx: click.Context,
    paths: Tuple[Path, ...],
    level: str,
    fmt: str,
    package: Optional[str],
    include_reserved: bool,
    extended: bool,
    steamship_path: Optional[Path],
    verbose: bool,
) -> None:
    """Print the static PackageSpec of every package under PATHS.

    PATHS in several projects (directories holding a root marker such as pyproject.toml or
    steamship.json) are read project by project, and each package's name is prefixed with its
    project's directory (relative to the directory holding them all) and a colon.
    """
    from linter.run.engine import project_specs, qualified_specs

    ctx.meta[_VERBOSE] = verbose
    if extended and fmt != "json":
        raise CliError("--extended applies to --format json only")
    for path in paths:
        if not path.exists():
            raise CliError(f"{path}: no such file or directory")
    if steamship_path is not None:
        _check_steamship_path(steamship_path, "--steamship-path")
    groups = project_specs(list(paths), level, steamship_path)
    if not groups:
        # as `check` says it: an empty result must not pass for a project without packages
        click.echo(f"pkgcheck: note: {_no_files_note(paths)}", err=True)
    for group in groups:
        for failure in group.failures:
            click.echo(f"{failure.path}: {failure.message}", err=True)
    named = qualified_specs(groups)
    if package is not None:
        from linter.tools.openapi import find_package

        try:
            chosen = find_package(named, package)
        except LookupError as error:
            raise CliError(str(error)) from None
        named = {chosen: named[chosen]}
    if fmt == "openapi":
        from linter.tools.openapi import openapi_document

        documents = {
            key: openapi_document(
                found.name, found.spec, found.project, include_reserved=include_reserved
            )
            for key, found in sorted(named.items())
        }
        # one package asked for: its bare document, which OpenAPI tools read as is
        shown = next(iter(documents.values())) if package is not None else documents
        click.echo(json.dumps(shown, indent=2))
        return
    if extended:
        from linter.tools.diff import spec_dicts

        shown_specs = {
            key: spec_dicts({key: found.spec}, found.project)[key] for key, found in sorted(named.items())
        }
    else:
        shown_specs = {key: found.spec.to_dict() for key, found in sorted(named.items())}
    click.echo(json.dumps(shown_specs, indent=2))


@main.command("diff")
@click.argument("base")
@click.argument("head", required=False, default="HEAD")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the changes.",
)
@click.option(
    "--path",
    "subdir",
    type=click.Path(path_type=Path),
    default=None,
    metavar="SUBDIR",
    help="The project directory inside the repository (default: the current directory).",
)
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors.")
@click.pass_context
def diff_command(
    ctx: click.Context, base: str, head: str, fmt: str, subdir: Optional[Path], verbose: bool
) -> None:
    """Report the API changes between two revisions, and whether they break clients.

    BASE and HEAD (default: HEAD) are git revisions, read from the repository's object store
    (the working tree and index are not touched), or spec files (*.json) printed by
    `pkgcheck spec --extended` (a plain `pkgcheck spec` file does not say which arguments
    are optional, so a new argument in it counts as breaking). A file of either revision that
    could shape a package and does not parse is an error, not a removed route. Exit status: 1
    when a change is breaking, 0 otherwise, 2 on error.
    """
    from linter.tools.diff import DiffError, render_changes, run_diff

    ctx.meta[_VERBOSE] = verbose
    try:
        changes = run_diff(base, head, path=subdir)
    except DiffError as error:
        raise CliError(str(error)) from None
    click.echo(render_changes(changes, fmt), nl=False)
    ctx.exit(EXIT_FINDINGS if any(change.breaking for change in changes) else EXIT_CLEAN)


def _read_regular(path: Path) -> bytes:
    """A file's bytes, refusing FIFOs and devices (reading one would block or never end)."""
    import stat

    if not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError(f"{path}: not a regular file")
    return path.read_bytes()
