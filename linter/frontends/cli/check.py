"""``pkgcheck check``: findings for paths, in text, JSON, SARIF or GitHub's format, and the
mechanical fixes (``--fix``, ``--diff``).
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import click

from linter.frontends.cli.common import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    VERBOSE,
    CliError,
    no_files_note,
    read_regular,
    report_internal_error,
    rule_infos,
    should_color,
    steamship_version_option,
    write_atomically,
)
from linter.frontends.cli.settings import (
    Options,
    Run,
    SettingsFinder,
    common_directory,
    merge_options,
    plan_runs,
    show_settings,
    split_values,
)
from linter.frontends.config import (
    FORMATS,
    per_file_ignored,
    split_patterns,
)
from linter.frontends.reporters import (
    Entry,
    ReportData,
    RuleInfo,
    display_path,
    render,
    render_statistics,
    summarise,
)
from linter.run.checker import PARSE_ERROR, Violation
from linter.source.noqa import BY_PER_FILE_IGNORES, NoqaIndex


@click.command()
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
@steamship_version_option
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
    steamship_version: Optional[str],
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
    ctx.meta[VERBOSE] = verbose
    targets = list(paths) or [Path(".")]
    # A missing path is reported (SHP001, or an error when that is not selected) and the other
    # paths are still checked, as flake8 and ruff do: one typo must not hide the rest of a run.
    infos = rule_infos()

    if config_file is not None and not config_file.is_file():
        raise CliError(f"--config {config_file}: no such file")
    command_line: Dict[str, Any] = dict(
        select=split_values(select),
        extend_select=split_values(extend_select),
        ignore=split_values(ignore),
        per_file_ignores=" ".join(per_file_ignores) if per_file_ignores else None,
        exclude=split_values(exclude, split_patterns),
        extend_exclude=split_values(extend_exclude, split_patterns),
        fmt=fmt,
        output_file=output_file,
        steamship_path=steamship_path,
        steamship_version=steamship_version,
        statistics=statistics,
        show_suppressed=show_suppressed,
        exit_zero=exit_zero,
        quiet=quiet,
        cache=cache,
    )
    settings_at = SettingsFinder(
        lambda settings: merge_options(settings, infos, **command_line),
        infos,
        config_file=config_file,
        isolated=isolated,
    )
    absolute = [Path(os.path.abspath(path)) for path in targets]
    output = settings_at(common_directory(absolute))
    runs = plan_runs(absolute, settings_at)
    if verbose:
        show_settings(runs, output)
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


def _run_fixes(
    runs: Sequence[Run], output: Options, *, unsafe: bool, write: bool, prefilter: bool
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
            steamship_version=options.steamship_version,
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
            steamship_version=options.steamship_version,
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


def _run_check(
    targets: Sequence[Path],
    runs: Sequence[Run],
    options: Options,
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
    steamship: List[Dict[str, object]] = []
    if not runs:
        notices.append(no_files_note(targets))
    jobs = [
        (
            run.group,
            dict(
                enabled=run.options.enabled,
                excludes=run.options.excludes,
                steamship_path=run.options.steamship_path,
                steamship_version=run.options.steamship_version,
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
        release = report.project.steamship
        steamship.append(
            {
                "project": display_path(str(run.group.root), root),
                "release": release.version,
                "source": release.kind,
                "reason": release.reason if release.kind == "catalogue" else str(release.directory),
            }
        )
        entries.extend(
            replace(entry, steamship=release.version)
            for entry in _build_entries(violations, run.options.per_file_ignores, root)
        )
    entries.sort(key=lambda e: _violation_order(e.violation))

    data = ReportData(
        entries,
        infos,
        show_suppressed=options.show_suppressed,
        root=root,
        internal_errors=[line for line, _ in internal],
        notices=notices,
        steamship=steamship,
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
        report_internal_error(line, details, verbose)
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
    from linter.source.parse import decode_source

    indexes: Dict[str, Optional[NoqaIndex]] = {}
    entries = []
    for violation in violations:
        if violation.path not in indexes:
            try:
                indexes[violation.path] = NoqaIndex(decode_source(read_regular(Path(violation.path))))
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
