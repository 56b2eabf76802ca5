"""One engine behind every front end: paths in, specs and findings out."""

from __future__ import annotations

import os
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from linter.project.files import DEFAULT_EXCLUDES, ROOT_MARKERS, find_project_root, iter_python_files
from linter.project.index import Project
from linter.run.checker import Analysis, Violation, analyse
from linter.sdk.locate import SteamshipSource, locate_steamship
from linter.semantic.builder import SpecBuilder, iter_package_specs
from linter.semantic.model import Spec
from linter.source.facts import ModuleFacts, ParseFailure


def open_project(
    paths: Sequence[Path],
    steamship_path: Optional[Path] = None,
    overrides: Optional[Dict[Path, str]] = None,
    cache: Optional[object] = None,
    root: Optional[Path] = None,
    steamship_version: Optional[str] = None,
    steamship_source: Optional[SteamshipSource] = None,
) -> Project:
    """A project for the given paths: its root is ``root``, else the nearest marked directory
    above the first of them (see :func:`group_by_project` for paths in several projects).
    ``steamship_source``, when given, is where steamship's code comes from, found or not
    (``pkgcheck upgrade`` compares two releases' catalogues whatever is installed)."""
    if root is None:
        first = Path(os.path.abspath(paths[0])) if paths else Path.cwd()
        root = find_project_root(first)
    steamship: SteamshipSource = steamship_source or locate_steamship(steamship_path, root, steamship_version)
    marked = any((root / marker).exists() for marker in ROOT_MARKERS)
    if cache is True:
        # Only a real project (with a root marker) gets a cache directory: a bare folder of
        # code (a site-packages, the standard library) is never written into.
        from linter.run.cache import Cache

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


@dataclass
class ProjectGroup:
    """The part of a run's files that lies in one project."""

    #: the project's root
    root: Path
    #: the paths named (absolute) whose own project this is: in a project without a root
    #: marker, the directories among them are import roots (see :func:`open_project`)
    paths: List[Path]
    #: the files to report on, in the order of the walk
    files: List[Path]
    #: those of ``files`` named explicitly (not found by walking a directory)
    named: List[Path]


def group_by_project(paths: Sequence[Path], files: Sequence[Path]) -> List[ProjectGroup]:
    """``files`` (the Python files under ``paths``) split by project, sorted by root.

    A file belongs to the project of the nearest directory above it that holds a root marker,
    whichever path it was found under, as in flake8 (:func:`project_anchors`): a directory named
    on the command line may hold several projects (a monorepo, pre-commit's staged files), and
    each is analysed on its own. A file with no marker above it belongs to the project of the
    outermost named directory it lies in, or, named itself, to its own; that is the project a
    run over that path alone has always used.
    """
    absolute = [Path(os.path.abspath(p)) for p in paths]
    named_dirs = {path for path in absolute if path.is_dir()}
    named_files = {path for path in absolute if path not in named_dirs}
    marked: Dict[Path, Optional[Path]] = {}  # directory -> nearest marked directory at or above

    def marked_root(directory: Path) -> Optional[Path]:
        chain = []
        current = directory
        while True:
            if current in marked:
                found = marked[current]
                break
            chain.append(current)
            if any((current / marker).exists() for marker in ROOT_MARKERS):
                found = current
                break
            if current.parent == current:
                found = None
                break
            current = current.parent
        for item in chain:
            marked[item] = found
        return found

    roots_of_named: Dict[Path, Path] = {}  # what find_project_root says, with fewer looks
    for path in absolute:
        if path not in roots_of_named:
            directory = path if path in named_dirs else path.parent
            roots_of_named[path] = marked_root(directory) or find_project_root(path)

    groups: Dict[Path, ProjectGroup] = {}
    for file in files:
        file = Path(os.path.abspath(file))
        root = marked_root(file.parent)
        if root is None:
            outermost = next((d for d in reversed(file.parents) if d in named_dirs), None)
            root = roots_of_named.get(outermost or file) or find_project_root(file)
        group = groups.get(root)
        if group is None:
            group = groups[root] = ProjectGroup(root, [], [], [])
        group.files.append(file)
        if file in named_files:
            group.named.append(file)
    for path, root in roots_of_named.items():
        if root in groups:
            groups[root].paths.append(path)
    return [groups[root] for root in sorted(groups)]


def project_specs(
    paths: Sequence[Path],
    level: str = "instance",
    steamship_path: Optional[Path] = None,
    excludes: Sequence[str] = DEFAULT_EXCLUDES,
    steamship_version: Optional[str] = None,
    steamship_source: Optional[SteamshipSource] = None,
) -> List["ProjectSpecs"]:
    """The static spec of every package class defined under ``paths``, project by project
    (see :func:`group_by_project`)."""
    absolute = [Path(os.path.abspath(p)) for p in paths]
    results = []
    for group in group_by_project(absolute, list(iter_python_files(absolute, excludes))):
        project = open_project(
            group.paths,
            steamship_path,
            root=group.root,
            steamship_version=steamship_version,
            steamship_source=steamship_source,
        )
        project.claim(group.files)  # a name two files share denotes the one `check` chooses
        modules, failures = load_files(project, group.files, excludes)
        specs = dict(iter_package_specs(SpecBuilder(project), modules, level))
        results.append(ProjectSpecs(project, specs, failures))
    return results


@dataclass
class ProjectSpecs:
    project: Project
    #: ``module.Class`` -> spec
    specs: Dict[str, Spec]
    failures: List[ParseFailure]


class NamedSpec(NamedTuple):
    spec: Spec
    project: Project
    #: ``module.Class``, without the project's prefix
    name: str


def qualified_specs(groups: Sequence[ProjectSpecs]) -> Dict[str, NamedSpec]:
    """The specs of :func:`project_specs` by name, with the project each belongs to.

    A name is ``module.Class``; when the paths span several projects, it is prefixed with the
    project's directory, relative to the directory holding all of them, and a colon
    (``billing:api.Billing``), so that two projects' ``api.Bot`` stay apart.
    """
    if len(groups) == 1:
        project = groups[0].project
        return {name: NamedSpec(spec, project, name) for name, spec in groups[0].specs.items()}
    named: Dict[str, NamedSpec] = {}
    if not groups:
        return named
    common = os.path.commonpath([str(g.project.root) for g in groups])
    for group in groups:
        prefix = Path(os.path.relpath(group.project.root, common)).as_posix()
        for name, spec in group.specs.items():
            named[f"{prefix}:{name}"] = NamedSpec(spec, group.project, name)
    return named


def package_specs(
    paths: Sequence[Path],
    level: str = "instance",
    steamship_path: Optional[Path] = None,
    steamship_version: Optional[str] = None,
) -> Tuple[Dict[str, Spec], List[ParseFailure], Project]:
    """The static spec of every package class defined under ``paths``, named as
    :func:`qualified_specs` names them, the files that failed to parse, and the (first)
    project."""
    groups = project_specs(paths, level, steamship_path, steamship_version=steamship_version)
    if not groups:
        return {}, [], open_project(paths, steamship_path, steamship_version=steamship_version)
    specs = {name: named.spec for name, named in qualified_specs(groups).items()}
    return specs, [f for g in groups for f in g.failures], groups[0].project


@dataclass
class Report:
    """What a front end shows: violations and failures of the files it was asked about."""

    violations: List[Violation]
    failures: List[ParseFailure]
    #: (rule code, message, traceback) of rules that crashed
    internal_errors: List[Tuple[str, str, str]]
    notices: List[str]
    #: the project of the files (the first one, when they lie in several: see ``projects``)
    project: Project
    targets: List[Path]
    #: every project analysed, by root
    projects: List[Project] = field(default_factory=list)

    def internal_traceback(self, path: Path) -> str:
        """The traceback of the internal error behind the failure of ``path`` ('' if none)."""
        for project in self.projects or [self.project]:
            found = getattr(project, "internal_tracebacks", {}).get(Path(path))
            if found:
                return found
        return ""


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
    steamship_version: Optional[str] = None,
) -> Report:
    """Check ``paths`` (files and directories) with the ``enabled`` rule codes.

    The whole project around them is analysed — its other modules are context — but only
    findings in the named files are reported, so a run over some files reports for them exactly
    what a run over all files does. Paths in several projects are checked project by project
    (:func:`group_by_project`, :func:`check_group`). With ``cache``, facts and results are kept
    in ``.pkgcheck_cache/`` at each project root (see :mod:`linter.run.cache`). ``files`` are the
    Python files under ``paths`` when the caller has walked them already (with the same
    ``excludes``).
    """
    absolute = [Path(os.path.abspath(p)) for p in paths]
    targets = list(files) if files is not None else list(iter_python_files(absolute, excludes))
    groups = group_by_project(absolute, targets)
    if not groups:
        project = open_project(absolute, steamship_path, overrides, steamship_version=steamship_version)
        return Report([], [], [], [], project, [])
    jobs = [
        (
            group,
            dict(
                enabled=set(enabled),
                excludes=excludes,
                steamship_path=steamship_path,
                steamship_version=steamship_version,
                overrides=overrides,
                prefilter=prefilter,
                cache=cache,
                # The project's own walk starts at its root: when that is the one directory
                # named, it is the walk just done less the projects nested in it, and the tree
                # is walked once.
                walk=group.files if absolute == [group.root] else None,
            ),
        )
        for group in groups
    ]
    return merge_reports(check_groups(jobs))


#: A project with at most this many Python files may be checked in a pool process beside
#: others (:func:`check_groups`); a larger one is checked in the main process, with its own
#: worker pool when it has enough files in scope.
SMALL_PROJECT = 200
#: Fewer cold small projects, or fewer files in them all, are checked one after another: forking
#: costs more (2 cores, 30 packages of 44 files: the pool's wall 0.83x serial's, see ready_to_fork).
PROJECT_POOL_MIN = 4
PROJECT_POOL_MIN_FILES = 24


def check_groups(jobs: Sequence[Tuple[ProjectGroup, Dict[str, object]]]) -> List[Report]:
    """``check_group(group, **options)`` for each job, the reports in the order of ``jobs``.

    Many projects (a monorepo, pre-commit's staged files) mean many small analyses. The large
    projects are checked first, here, each with its own workers; then, when enough small ones are
    cold (no results kept from an earlier run: forking cost 0.05 s of 0.20 s on 7 warm packages),
    those are checked side by side on a pool of processes, and the warm ones here meanwhile,
    serially (never two pools at once: forking a process that runs a pool's threads can
    deadlock). Each is analysed as the main process would, so the reports equal a serial run's.
    Without processes (one core, a sandbox, a daemonic flake8 worker), every project is checked
    here."""
    from linter.project import scan
    from linter.run import workers
    from linter.run.cache import holds_results
    from linter.run.workers import outcome

    reports: List[Optional[Report]] = [None] * len(jobs)
    small = [i for i, (group, options) in enumerate(jobs) if _walk_size(group, options) <= SMALL_PROJECT]
    large = set(range(len(jobs))).difference(small)
    cold = [i for i in small if not (jobs[i][1].get("cache") and holds_results(jobs[i][0].root))]
    pooled = len(cold) >= PROJECT_POOL_MIN and sum(_walk_size(*jobs[i]) for i in cold) >= PROJECT_POOL_MIN_FILES
    parses = not any(options.get("cache") for _, options in jobs)
    # the pool's LibCST (0.12 s) is loaded while children read a large project's walk
    with scan.preloading(lambda: workers.load_for_workers(parses)) if pooled and large else nullcontext():
        for i, (group, options) in enumerate(jobs):
            if i in large:
                reports[i] = check_group(group, **options)  # type: ignore[arg-type]
    pool = _project_pool(len(cold), parses=parses) if pooled else None
    try:
        futures = {}
        if pool is not None:
            for i in cold:
                group, options = jobs[i]
                try:
                    futures[i] = pool.submit(_check_group_remote, group, options)
                except (OSError, RuntimeError):
                    break
            workers.IN_PROJECT_POOL = True  # the cores are taken: what is checked here is serial
        for i in sorted(small, key=lambda i: i in futures):  # here first, while the pool works
            group, options = jobs[i]
            sent = outcome(futures[i]) if i in futures else None  # None: checked here
            if sent is not None:
                reports[i] = _outcome_report(sent, group, options)  # type: ignore[arg-type]
            else:
                reports[i] = check_group(group, **options)  # type: ignore[arg-type]
    finally:
        if pool is not None:
            workers.IN_PROJECT_POOL = False
            pool.shutdown(wait=True, cancel_futures=True)
            workers.thaw()
    return [report for report in reports if report is not None]


def _walk_size(group: ProjectGroup, options: Dict[str, object]) -> int:
    walk = options.get("walk")
    # Without the walk, the named files are what is known (a larger project is merely pooled)
    return len(walk) if isinstance(walk, (list, tuple)) else len(group.files)


def _project_pool(jobs: int, parses: bool) -> Optional[object]:
    """A pool of up to ``jobs`` processes (None: none here). ``parses``: the projects will be
    parsed (no cache), so LibCST is imported here once, for the forked processes to inherit."""
    import concurrent.futures

    from linter.run import workers

    size = min(os.cpu_count() or 1, 8, jobs)
    if size < 2 or not workers.may_fork():
        return None
    workers.ready_to_fork(parses)
    try:
        return concurrent.futures.ProcessPoolExecutor(max_workers=size, initializer=_start_project_worker)
    except (OSError, RuntimeError, ValueError):
        workers.thaw()
        return None


def _start_project_worker() -> None:
    from linter.run import workers

    workers.IN_PROJECT_POOL = True
    workers.start_worker()


#: What a pool process sends back of a project's report (a Project does not travel).
_Outcome = Tuple[List[Violation], List[ParseFailure], List[Tuple[str, str, str]], List[str], Dict[Path, str]]


def _check_group_remote(group: ProjectGroup, options: Dict[str, object]) -> _Outcome:
    report = check_group(group, **options)  # type: ignore[arg-type]
    return (
        report.violations,
        report.failures,
        report.internal_errors,
        report.notices,
        dict(getattr(report.project, "internal_tracebacks", {})),
    )


def _outcome_report(outcome: _Outcome, group: ProjectGroup, options: Dict[str, object]) -> Report:
    """The report of a project checked in a pool process, with the project opened here as the
    pool process opened it (no file is read but the root's markers)."""
    violations, failures, internal, notices, tracebacks = outcome
    project = open_project(
        group.paths,
        options.get("steamship_path"),  # type: ignore[arg-type]
        options.get("overrides"),  # type: ignore[arg-type]
        None,
        root=group.root,
        steamship_version=options.get("steamship_version"),  # type: ignore[arg-type]
    )
    project.internal_tracebacks.update(tracebacks)
    return Report(violations, failures, internal, notices, project, list(group.files), [project])


def check_group(
    group: ProjectGroup,
    enabled: Iterable[str],
    *,
    excludes: Sequence[str] = DEFAULT_EXCLUDES,
    steamship_path: Optional[Path] = None,
    overrides: Optional[Dict[Path, str]] = None,
    prefilter: bool = True,
    cache: bool = False,
    walk: Optional[Sequence[Path]] = None,
    steamship_version: Optional[str] = None,
    steamship_source: Optional[SteamshipSource] = None,
) -> Report:
    """Check the files of one project (from :func:`group_by_project`).

    ``walk`` is the project's own walk (every Python file under its root, with ``excludes``)
    when the caller has it. Files named explicitly are always parsed (one that does not parse
    is a failure), whether or not the prefilter (:mod:`linter.project.scope`) would keep them.
    """
    project = open_project(
        group.paths, steamship_path, overrides, cache, group.root, steamship_version, steamship_source
    )
    from linter.project.marks import any_concerns

    manifests, python = split_manifests(group)
    named = [p for p in group.named if p in python]
    if prefilter and walk is None and named and len(named) == len(python) and not any_concerns(named, overrides):
        # Files named one by one whose text and imports never reach Steamship: nothing can be
        # found in them but a failure to parse, so the project is not walked.
        walk = named
    if python:
        analysis = analyse(
            project,
            enabled,
            excludes,
            extra_files=named,
            prefilter=prefilter,
            files=walk,
            named=named,
        )
    else:  # only manifests (or other JSON) named: the manifest rules load what they need
        from linter.run.checker import release_notices, unmodelled_runtime

        analysis = Analysis(project)
        if manifests:
            analysis.notices = release_notices(project, unmodelled_runtime(project))
    wanted = {str(p) for p in python}
    violations = [v for v in analysis.violations if v.path in wanted]
    internal = list(analysis.internal_errors)
    if manifests:
        from linter.run.manifests import check_manifests

        found, crashed = check_manifests(project, manifests, enabled)
        violations.extend(found)
        internal.extend(e for e in crashed if e not in internal)
    return Report(
        violations,
        [f for f in analysis.failures if f.path in wanted],
        internal,
        analysis.notices,
        project,
        list(group.files),
        [project],
    )


def split_manifests(group: ProjectGroup) -> Tuple[List[Path], List[Path]]:
    """The manifests of a project's run and its other files (the Python ones).

    A ``steamship.json`` named is a manifest; so is the one at the project's root when a
    directory named holds that root (``pkgcheck check .``). Another ``.json`` file named
    (pre-commit passes every staged one) is not pkgcheck's to check, and is dropped.
    """
    from linter.project.files import is_within
    from linter.run.manifests import is_manifest

    manifests: List[Path] = []
    python: List[Path] = []
    for path in group.files:
        if is_manifest(path):
            manifests.append(path)
        elif path.suffix.lower() != ".json":
            python.append(path)
    root_manifest = group.root / "steamship.json"
    if root_manifest not in manifests and root_manifest.is_file() and any(
        path.is_dir() and is_within(group.root, path) for path in group.paths
    ):
        manifests.append(root_manifest)
    return manifests, python


def merge_reports(reports: Sequence[Report]) -> Report:
    """One report of several projects' (in order), violations and failures sorted, internal
    errors and notices each once."""
    violations = sorted(
        (v for r in reports for v in r.violations),
        key=lambda v: (v.path, v.line, v.column, v.code, v.message),
    )
    failures = sorted((f for r in reports for f in r.failures), key=lambda f: f.path)
    if len(reports) == 1:
        # one project: its own order, as the engine made it
        violations, failures = reports[0].violations, reports[0].failures
    internal: List[Tuple[str, str, str]] = []
    notices: List[str] = []
    for report in reports:
        internal.extend(e for e in report.internal_errors if e not in internal)
        notices.extend(n for n in report.notices if n not in notices)
    return Report(
        violations,
        failures,
        internal,
        notices,
        reports[0].project,
        [t for r in reports for t in r.targets],
        [p for r in reports for p in r.projects],
    )


#: (project root, rules, steamship path, steamship release, excludes, extra file or None)
_Key = Tuple[str, Tuple[str, ...], Optional[str], Optional[str], Tuple[str, ...], Optional[str]]

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
    steamship_version: Optional[str] = None,
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
    from linter.project.scope import joins_scope
    from linter.source.parse import decode_source

    path = Path(os.path.abspath(filename))
    on_disk = _regular_file_bytes(path)
    try:
        # flake8 reads with universal newlines: CRLF on disk is the same text
        same = on_disk is not None and universal_newlines(decode_source(on_disk)) == universal_newlines(source)
    except Exception:  # undecodable on disk: flake8's text is not the file's
        same = False
    if not same or on_disk is None:
        project = open_project([path], steamship_path, {path: source}, steamship_version=steamship_version)
        analysis = analyse(project, enabled, excludes, extra_files=[path])
        return _findings_in(analysis, path), analysis
    root = root_of_file(path)
    where = (steamship_path, steamship_version)
    analysis = _memoised(path, root, enabled, excludes, where, None, cache)
    if str(path) not in analysis.walked and joins_scope(analysis.project, path, on_disk, analysis.analysed):
        analysis = _memoised(path, root, enabled, excludes, where, path, cache)
    return _findings_in(analysis, path), analysis


#: directory -> the project root of the files in it, for :func:`check_source`: as
#: :data:`_MEMO`, it takes the tree to stay as it is while the process runs (a flake8 run)
_ROOTS: Dict[Path, Path] = {}


def root_of_file(path: Path) -> Path:
    """:func:`find_project_root` of file ``path`` (absolute), memoised by directory: flake8
    asks it for every file, and each ask looks for seven markers in every directory up to
    ``/`` (a third of the plugin's time on a tree without Steamship code)."""
    directory = path.parent
    root = _ROOTS.get(directory)
    if root is None:
        root = _ROOTS[directory] = find_project_root(path)
    return root


def project_anchors(files: Iterable[Path]) -> Dict[Path, Path]:
    """Project root → the first of ``files`` in it, for the regular files among ``files``."""
    anchors: Dict[Path, Path] = {}
    for file in files:
        path = Path(os.path.abspath(file))
        if not path.is_file():
            continue  # check_source analyses what is not a file on disk by itself
        anchors.setdefault(root_of_file(path), path)
    return anchors


def prepare(
    anchor: Path,
    enabled: Iterable[str],
    *,
    excludes: Sequence[str] = DEFAULT_EXCLUDES,
    steamship_path: Optional[Path] = None,
    cache: bool = False,
    steamship_version: Optional[str] = None,
) -> Analysis:
    """Analyse now, and memoise, the project of file ``anchor``: the analysis that
    :func:`check_source` then uses for each file of that project's walk.

    flake8's main process calls this before forking its workers, so the project is analysed
    once, with the engine's own process pool (a flake8 worker is daemonic and may not start
    one), instead of once by each worker.
    """
    path = Path(os.path.abspath(anchor))
    where = (steamship_path, steamship_version)
    return _memoised(path, find_project_root(path), enabled, excludes, where, None, cache)


def _memoised(
    anchor: Path,
    root: Path,
    enabled: Iterable[str],
    excludes: Sequence[str],
    steamship: Tuple[Optional[Path], Optional[str]],
    extra: Optional[Path],
    cache: bool,
) -> Analysis:
    """The analysis of ``root``'s project as on disk (plus ``extra``), made once per process.

    ``anchor`` is a file of that project: a project opened on a file does not depend on which
    file it is (only directories named on a command line add import roots). ``steamship`` is
    the steamship path and release asked for (``--pkgcheck-steamship-path``/``-version``).
    """
    steamship_path, steamship_version = steamship
    key: _Key = (
        str(root),
        tuple(sorted(set(enabled))),
        str(steamship_path) if steamship_path else None,
        steamship_version,
        tuple(excludes),
        str(extra) if extra is not None else None,
    )
    analysis = _MEMO.get(key)
    if analysis is None:
        project = open_project([anchor], steamship_path, None, cache, steamship_version=steamship_version)
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
        return path.read_bytes() if stat.S_ISREG(os.stat(path).st_mode) else None
    except OSError:
        return None


def universal_newlines(text: str) -> str:
    """``text`` as flake8 reads a file (universal newlines): CRLF and CR become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
