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
    files: Optional[Sequence[Path]] = None,
) -> Report:
    """Check ``paths`` (files and directories) with the ``enabled`` rule codes.

    The whole project around them is analysed — its other modules are context — but only
    findings in the named files are reported, so a run over some files reports for them exactly
    what a run over all files does. With ``cache``, facts and results are kept in
    ``.pkgcheck_cache/`` at the project root (see :mod:`linter.cache`). ``files`` are the Python
    files under ``paths`` when the caller has walked them already (with the same ``excludes``).
    """
    absolute = [Path(os.path.abspath(p)) for p in paths]
    targets = list(files) if files is not None else list(iter_python_files(absolute, excludes))
    project = open_project(absolute, steamship_path, overrides, cache)
    # The project's own walk starts at its root: when that is the one directory named, it is
    # the walk just done, and the tree is walked once.
    walked = targets if absolute == [project.root] else None
    analysis = analyse(
        project,
        enabled,
        excludes,
        extra_files=[p for p in absolute if not p.is_dir()],
        prefilter=prefilter,
        files=walked,
    )
    wanted = {str(p) for p in targets}
    return Report(
        [v for v in analysis.violations if v.path in wanted],
        [f for f in analysis.failures if f.path in wanted],
        analysis.internal_errors,
        analysis.notices,
        project,
        targets,
    )


#: (project root, rules, steamship path, excludes, extra file or None)
_Key = Tuple[str, Tuple[str, ...], Optional[str], Tuple[str, ...], Optional[str]]

#: The project analyses of this process (flake8's: see :func:`check_source`). flake8's main
#: process fills it before it forks its workers (:func:`prepare`), and the workers inherit it.
_MEMO: Dict[_Key, Analysis] = {}


def check_source(
    filename: Path,
    source: str,
    enabled: Iterable[str],
    *,
    excludes: Sequence[str] = DEFAULT_EXCLUDES,
    steamship_path: Optional[Path] = None,
    cache: bool = False,
) -> Tuple[List[Violation], Analysis]:
    """Findings for one file whose text is ``source`` (flake8's view of it).

    The findings do not depend on which other files one process is asked about, nor in which
    order, so flake8 reports the same with ``-j1``, ``-j N``, one file at a time and on stdin:

    - a file whose text is the one on disk gets the findings, in it, of its project's analysis
      (the files of the project's walk), made once per process and memoised;
    - a file outside that walk (an excluded directory such as ``build/``, a file reached through
      a symbolic link, a script without ``.py``) is analysed as if named on its own, the
      project's files plus it: when it cannot be in scope, that is the project's analysis
      again; when it can, an analysis of its own, memoised too;
    - a text that differs from the disk (stdin, an editor's buffer) is analysed with that text
      in place of the file, every time (such a file is not on disk to share the work with).

    With ``cache``, analyses of files as they are on disk use the project's on-disk cache as the
    CLI does (marked projects only, see :func:`open_project`).
    """
    from linter.collect import decode_source
    from linter.scope import joins_scope

    path = Path(os.path.abspath(filename))
    on_disk = _regular_file_bytes(path)
    try:
        # flake8 reads with universal newlines: CRLF on disk is the same text
        same = on_disk is not None and _newlines(decode_source(on_disk)) == _newlines(source)
    except Exception:  # undecodable on disk: flake8's text is not the file's
        same = False
    if not same or on_disk is None:
        project = open_project([path], steamship_path, {path: source})
        analysis = analyse(project, enabled, excludes, extra_files=[path])
        return _findings_in(analysis, path), analysis
    root = find_project_root(path)
    analysis = _memoised(path, root, enabled, excludes, steamship_path, None, cache)
    if path not in analysis.walked and joins_scope(analysis.project, path, on_disk, analysis.analysed):
        analysis = _memoised(path, root, enabled, excludes, steamship_path, path, cache)
    return _findings_in(analysis, path), analysis


def project_anchors(files: Iterable[Path]) -> Dict[Path, Path]:
    """Project root → the first of ``files`` in it, for the regular files among ``files``."""
    roots: Dict[Path, Optional[Path]] = {}  # by directory: its project root (None: not a file's)
    anchors: Dict[Path, Path] = {}
    for file in files:
        path = Path(os.path.abspath(file))
        if not path.is_file():
            continue  # check_source analyses what is not a file on disk by itself
        directory = path.parent
        root = roots.get(directory)
        if root is None:
            root = roots[directory] = find_project_root(path)
        anchors.setdefault(root, path)
    return anchors


def prepare(
    anchor: Path,
    enabled: Iterable[str],
    *,
    excludes: Sequence[str] = DEFAULT_EXCLUDES,
    steamship_path: Optional[Path] = None,
    cache: bool = False,
) -> Analysis:
    """Analyse now, and memoise, the project of file ``anchor``: the analysis that
    :func:`check_source` then uses for each file of that project's walk.

    flake8's main process calls this before forking its workers, so the project is analysed
    once, with the engine's own process pool (a flake8 worker is daemonic and may not start
    one), instead of once by each worker.
    """
    path = Path(os.path.abspath(anchor))
    return _memoised(path, find_project_root(path), enabled, excludes, steamship_path, None, cache)


def _memoised(
    anchor: Path,
    root: Path,
    enabled: Iterable[str],
    excludes: Sequence[str],
    steamship_path: Optional[Path],
    extra: Optional[Path],
    cache: bool,
) -> Analysis:
    """The analysis of ``root``'s project as on disk (plus ``extra``), made once per process.

    ``anchor`` is a file of that project: a project opened on a file does not depend on which
    file it is (only directories named on a command line add import roots).
    """
    key: _Key = (
        str(root),
        tuple(sorted(set(enabled))),
        str(steamship_path) if steamship_path else None,
        tuple(excludes),
        str(extra) if extra is not None else None,
    )
    analysis = _MEMO.get(key)
    if analysis is None:
        project = open_project([anchor], steamship_path, None, cache)
        analysis = analyse(project, enabled, excludes, extra_files=[extra] if extra is not None else ())
        _MEMO[key] = analysis
    return analysis


def _findings_in(analysis: Analysis, path: Path) -> List[Violation]:
    return [v for v in analysis.violations if v.path == str(path)]


def _regular_file_bytes(path: Path) -> Optional[bytes]:
    """The bytes of ``path``, or None when it is not a readable regular file (stdin's name, a
    FIFO, which would block)."""
    import stat

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        return path.read_bytes()
    except OSError:
        return None


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
