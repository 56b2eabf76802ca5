"""One engine behind every front end: paths in, specs and findings out."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from linter.checker import Analysis, Violation, analyse
from linter.facts import ModuleFacts, ParseFailure
from linter.index import (
    ROOT_MARKERS,
    Project,
    SteamshipSource,
    find_project_root,
    iter_python_files,
    locate_steamship,
)
from linter.spec import Spec, SpecBuilder, iter_package_specs

DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "env", ".env", "__pycache__",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".pkgcheck_cache", "build", "dist",
    "*.egg-info", "node_modules", "site-packages",
)  # fmt: skip


def open_project(
    paths: Sequence[Path],
    steamship_path: Optional[Path] = None,
    overrides: Optional[Dict[Path, str]] = None,
    cache: Optional[object] = None,
) -> Project:
    """A project for the given paths: its root is the nearest marked directory above them."""
    first = Path(os.path.abspath(paths[0])) if paths else Path.cwd()
    root = find_project_root(first)
    steamship: SteamshipSource = locate_steamship(steamship_path, root)
    marked = any((root / marker).exists() for marker in ROOT_MARKERS)
    if cache is True:
        # Only a real project (with a root marker) gets a cache directory: a bare folder of
        # code (a site-packages, the standard library) is never written into.
        from linter.cache import Cache

        cache = Cache(root) if marked else None
    project = Project(root, steamship, overrides, cache or None)
    # In a project without a root marker, the directories named on the command line are
    # import roots too (and their src/). A marked project's roots do not depend on what was
    # named, so flake8 (one file at a time) and the CLI agree.
    for path in paths if not marked else ():
        path = Path(os.path.abspath(path))
        if path.is_dir():
            for extra in (path / "src", path):
                if (
                    extra.is_dir()
                    and not (extra / "__init__.py").is_file()
                    and extra not in project.base_roots
                ):
                    project.base_roots.insert(0, extra)
    return project


def load_files(
    project: Project, paths: Sequence[Path], excludes: Sequence[str] = DEFAULT_EXCLUDES
) -> Tuple[List[ModuleFacts], List[ParseFailure]]:
    modules: List[ModuleFacts] = []
    failures: List[ParseFailure] = []
    for file in iter_python_files(paths, excludes):
        loaded = project.load_path(file)
        if isinstance(loaded, ModuleFacts):
            modules.append(loaded)
        else:
            failures.append(loaded)
    return modules, failures


def package_specs(
    paths: Sequence[Path], level: str = "instance", steamship_path: Optional[Path] = None
) -> Tuple[Dict[str, Spec], List[ParseFailure], Project]:
    """The static spec of every package class defined under ``paths``."""
    project = open_project(paths, steamship_path)
    modules, failures = load_files(project, paths)
    builder = SpecBuilder(project)
    specs = dict(iter_package_specs(builder, modules, level))
    return specs, failures, project


@dataclass
class Report:
    """What a front end shows: violations and failures of the files it was asked about."""

    violations: List[Violation]
    failures: List[ParseFailure]
    #: (rule code, message, traceback) of rules that crashed
    internal_errors: List[Tuple[str, str, str]]
    notices: List[str]
    project: Project
    targets: List[Path]


def check(
    paths: Sequence[Path],
    enabled: Iterable[str],
    *,
    excludes: Sequence[str] = DEFAULT_EXCLUDES,
    steamship_path: Optional[Path] = None,
    overrides: Optional[Dict[Path, str]] = None,
    prefilter: bool = True,
    cache: bool = False,
) -> Report:
    """Check ``paths`` (files and directories) with the ``enabled`` rule codes.

    The whole project around them is analysed — its other modules are context — but only
    findings in the named files are reported, so a run over some files reports for them exactly
    what a run over all files does. With ``cache``, facts and results are kept in
    ``.pkgcheck_cache/`` at the project root (see :mod:`linter.cache`).
    """
    absolute = [Path(os.path.abspath(p)) for p in paths]
    targets = list(iter_python_files(absolute, excludes))
    project = open_project(absolute, steamship_path, overrides, cache)
    analysis = analyse(project, enabled, excludes, extra_files=[p for p in absolute if not p.is_dir()], prefilter=prefilter)
    wanted = {str(p) for p in targets}
    return Report(
        [v for v in analysis.violations if v.path in wanted],
        [f for f in analysis.failures if f.path in wanted],
        analysis.internal_errors,
        analysis.notices,
        project,
        targets,
    )


_MEMO: Dict[Tuple[str, Tuple[str, ...], Optional[str], Optional[str]], Analysis] = {}


def check_source(
    filename: Path,
    source: str,
    enabled: Iterable[str],
    *,
    excludes: Sequence[str] = DEFAULT_EXCLUDES,
    steamship_path: Optional[Path] = None,
) -> Tuple[List[Violation], Analysis]:
    """Findings for one file whose text is ``source`` (flake8's view of it).

    The project analysis is memoised per process, keyed on the project root, the rules and the
    text of this file when it differs from the disk: flake8 workers each load what they need
    from disk once, and the file-by-file results equal a whole-project run.
    """
    import hashlib

    path = Path(os.path.abspath(filename))
    try:
        import stat

        if not stat.S_ISREG(os.stat(path).st_mode):
            raise OSError("not a regular file")
        on_disk = path.read_bytes()
        from linter.collect import decode_source

        # flake8 reads with universal newlines: CRLF on disk is the same text
        same = _newlines(decode_source(on_disk)) == _newlines(source)
    except Exception:
        same = False
    overrides = None if same else {path: source}
    root = str(find_project_root(path))
    key = (
        root,
        tuple(sorted(enabled)),
        str(steamship_path) if steamship_path else None,
        None if same else f"{path}:{hashlib.sha256(source.encode('utf-8', 'surrogatepass')).hexdigest()}",
    )
    analysis = _MEMO.get(key)
    if analysis is None:
        project = open_project([path], steamship_path, overrides)
        analysis = analyse(project, enabled, excludes, extra_files=[path])
        if same:
            _MEMO[key] = analysis
    return [v for v in analysis.violations if v.path == str(path)], analysis


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
