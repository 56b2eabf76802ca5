"""The check command's settings: the command line merged over the nearest settings file, and
the runs a set of paths makes (one per settings file that applies to some of them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import click

from linter.frontends.cli.common import CliError, check_steamship_path, check_steamship_version
from linter.frontends.config import (
    ConfigError,
    FileSettings,
    anchor_patterns,
    find_config,
    load_config,
    parse_per_file_ignores,
    resolve_per_file_ignores,
    split_list,
)
from linter.frontends.reporters import (
    RuleInfo,
    display_path,
)
from linter.run.selection import (
    RuleSelection,
    SelectionError,
    normalise_selectors,
    resolve_codes,
)


def split_values(
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
class Options:
    """The check command's settings after merging the settings file and the command line."""

    enabled: List[str]
    per_file_ignores: List[Tuple[str, Tuple[str, ...]]]
    excludes: Tuple[str, ...]
    format: str
    output_file: Optional[Path]
    steamship_path: Optional[Path]
    steamship_version: Optional[str]
    statistics: bool
    show_suppressed: bool
    exit_zero: bool
    quiet: bool
    cache: bool
    config_path: Optional[Path]


class SettingsFinder:
    """The options that apply at a place: its nearest settings file (or ``--config``, or none
    with ``--isolated``) merged with the command line, each file read once."""

    def __init__(
        self,
        merge: Callable[[FileSettings], "Options"],
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
        self.by_file: Dict[Optional[Path], Options] = {}

    def __call__(self, place: Path) -> "Options":
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


def common_directory(paths: Sequence[Path]) -> Path:
    """The directory holding all of ``paths`` (a path itself when it is the only one)."""
    try:
        return Path(os.path.commonpath([str(path) for path in paths]))
    except ValueError:  # different drives
        return paths[0]


@dataclass
class Run:
    """The files of one project and the options that apply to them."""

    group: Any  # linter.run.engine.ProjectGroup
    options: "Options"
    #: the project's own walk, when the run's walk was exactly that
    walk: Optional[List[Path]]


def plan_runs(
    absolute: Sequence[Path], settings_at: Callable[[Path], "Options"]
) -> List[Run]:
    """The files under ``absolute``, project by project, each with its options.

    A directory named is walked with the exclude patterns of its own settings; then each
    project's files are held to the patterns of that project's settings too (its nearest
    settings file may be below the directory named). Files named explicitly are always checked.
    """
    from linter.project.files import ExcludeMatcher, iter_python_files
    from linter.run.engine import group_by_project

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
        runs.append(Run(group, options, walk))
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


def show_settings(runs: Sequence[Run], output: "Options") -> None:
    """``-v``: the settings file and enabled rules, per project when they differ."""
    cwd = Path.cwd()

    def source(options: "Options") -> str:
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


def merge_options(
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
    steamship_version: Optional[str],
    statistics: Optional[bool],
    show_suppressed: Optional[bool],
    exit_zero: Optional[bool],
    quiet: Optional[bool],
    cache: Optional[bool],
) -> Options:
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
        check_steamship_path(steamship_path, "--steamship-path")
    else:
        chosen_steamship = settings.steamship_path
        if chosen_steamship is not None and settings.path is not None:
            check_steamship_path(
                chosen_steamship, f"{display_path(str(settings.path), Path.cwd())}: steamship-path"
            )

    if steamship_version is not None:
        chosen_version: Optional[str] = check_steamship_version(steamship_version, "--steamship-version")
    elif settings.steamship_version is not None:
        where = display_path(str(settings.path), Path.cwd()) if settings.path is not None else "settings"
        chosen_version = check_steamship_version(settings.steamship_version, f"{where}: steamship-version")
    else:
        chosen_version = None

    def flag(value: Optional[bool], key: str, default: bool = False) -> bool:
        return value if value is not None else settings.booleans.get(key, default)

    return Options(
        enabled=sorted(enabled),
        per_file_ignores=mapping,
        excludes=excludes,
        format=fmt or settings.format or "text",
        output_file=output_file if output_file is not None else settings.output_file,
        steamship_path=chosen_steamship,
        steamship_version=chosen_version,
        statistics=flag(statistics, "statistics"),
        show_suppressed=flag(show_suppressed, "show-suppressed"),
        exit_zero=flag(exit_zero, "exit-zero"),
        quiet=flag(quiet, "quiet"),
        cache=flag(cache, "cache", default=True),
        config_path=settings.path,
    )
