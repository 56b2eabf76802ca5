"""Run the rules over a project and turn their findings into located violations."""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

from linter.project.index import Project
from linter.project.loader import Loaded
from linter.project.scan import wait_for_writers
from linter.project.scope import in_scope_names, project_file_names
from linter.run import incremental
from linter.run.collector import few_collections
from linter.run.workers import Workers, collect_in_parallel, may_fork, outcome
from linter.semantic.context import Context, PackageSummary
from linter.semantic.model import Phrase, Where
from linter.source.facts import ModuleFacts, ParseFailure, Span
from linter.source.jobs import node_spans_of

if TYPE_CHECKING:
    pass

PARSE_ERROR = "SHP001"
#: How the other places a message names are labelled in related locations (SARIF).
LABELS = {
    "other_at": "the other route",
    "mixin_at": "the mixin's route",
    "base_at": "the base class's route",
    "first_at": "the first add_mixin",
    "init_at": "the mixin's __init__",
    "method_at": "the route's method",
    "route_at": "the route's method",
    "package_at": "the package",
    "package_init_at": "the package's __init__",
    "listed_at": "USED_MIXIN_CLASSES",
}


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    #: other places involved: (path, line, label)
    related: Tuple[Tuple[str, int, str], ...] = ()


@dataclass
class Analysis:
    """Everything one run found, for every in-scope file of the project."""

    project: Project
    violations: List[Violation] = field(default_factory=list)
    failures: List[ParseFailure] = field(default_factory=list)
    #: (where, message, traceback) for rules that crashed
    internal_errors: List[Tuple[str, str, str]] = field(default_factory=list)
    notices: List[str] = field(default_factory=list)
    #: the in-scope files (those that were parsed and checked)
    analysed: List[Path] = field(default_factory=list)
    #: every file of the project's own walk (as strings), before ``extra_files``: a file outside it is
    #: analysed only as an extra file (see :func:`linter.run.engine.check_source`)
    walked: FrozenSet[str] = frozenset()
    #: the in-scope files whose rules ran in this run (with the cache: those an edit touched)
    checked: List[Path] = field(default_factory=list)


def unmodelled_runtime(project: Project) -> Optional[str]:
    """The release in use (``steamship 2.16.9``) when its code that builds routes is not code
    pkgcheck's spec builder models: verdicts resting on steamship's own code are then withheld.
    None when pkgcheck models it, or cannot tell (a broken bundle: the installed source is
    trusted, as before there was a bundle)."""
    from linter.sdk.catalogue import load_bundle

    try:
        load_bundle()
    except Exception:  # noqa: BLE001 - a broken install: nothing to compare with
        return None
    steamship = project.steamship
    if steamship.guessed:  # installed from a URL: which release's code it is cannot be known
        return f"steamship from {steamship.reason}"
    if project.runtime is not None:
        return None
    return f"steamship {steamship.version}" if steamship.kind == "catalogue" else steamship.describe()


def release_notices(
    project: Project,
    unmodelled: Optional[str],
    consequence: str = "the checks that depend on steamship's own code were skipped",
) -> List[str]:
    """What to tell the user about the steamship release the run used: which one, when it is
    not the newest pkgcheck knows, and why checks were skipped, when they were."""
    from linter.project.files import is_within
    from linter.sdk.catalogue import load_bundle
    from linter.sdk.releases import modelled_range

    steamship = project.steamship
    notices: List[str] = []
    if steamship.note:
        notices.append(steamship.note)
    elif steamship.kind == "catalogue" and steamship.version != load_bundle().newest:
        notices.append(f"checked against steamship {steamship.version}: {steamship.reason}")
    elif steamship.kind == "installed" and steamship.directory and is_within(steamship.directory.parent, project.root):
        # a virtualenv inside the project (perhaps committed with it): say which one was used.
        # (Not steamship's own source checked as the project: its site-packages is above it.)
        where = steamship.directory.parent.relative_to(project.root).as_posix()
        notices.append(f"checked against steamship {steamship.version or '(unknown version)'} installed in {where}")
    if unmodelled and not steamship.guessed:  # a guess says why in its own note
        modelled = modelled_range(load_bundle())
        notices.append(
            f"{unmodelled} builds a package's routes with code that pkgcheck does not model yet "
            f"(it models steamship {modelled}); {consequence}"
        )
    return notices


def analyse(
    project: Project,
    enabled: Iterable[str],
    excludes: Sequence[str],
    extra_files: Sequence[Path] = (),
    prefilter: bool = True,
    files: Optional[Sequence[Path]] = None,
    named: Sequence[Path] = (),
) -> Analysis:
    """Findings of the ``enabled`` rules for every in-scope module of ``project``.

    ``extra_files`` are analysed even when they lie outside the project's walk (a file named on
    the command line inside an excluded directory, flake8's stdin). ``files`` is that walk (the
    Python files under the project root, with ``excludes``) when the caller has done it.
    ``named`` files (named on the command line) are in scope whatever the prefilter says, so
    that one that does not parse is reported rather than passed over.
    """
    try:
        with few_collections():
            return _analyse(project, enabled, excludes, extra_files, prefilter, files, named)
    finally:
        wait_for_writers()  # the prefilter's record, written while the analysis ran


def _analyse(
    project: Project,
    enabled: Iterable[str],
    excludes: Sequence[str],
    extra_files: Sequence[Path],
    prefilter: bool,
    files: Optional[Sequence[Path]],
    named: Sequence[Path] = (),
) -> Analysis:
    from rules import load_all

    registry = load_all()
    analysis = Analysis(project)
    # The walk as strings: on a large tree, a Path for each of its files costs more than the
    # prefilter's own work; only the files in scope become Paths.
    names = [str(path) for path in files] if files is not None else project_file_names(project, excludes)
    analysis.walked = walked = frozenset(names)
    added: Set[str] = set()
    for extra in extra_files:
        name = os.path.abspath(extra)
        if name not in walked and name not in added:
            names.append(name)
            added.add(name)
    if prefilter:
        chosen = [Path(names[index]) for index in in_scope_names(project, names, split=may_fork())]
    else:
        chosen = [Path(n) for n in names]
    if prefilter and named:
        kept = set(chosen)
        always = {Path(os.path.abspath(p)) for p in named} - kept
        if always:
            wanted = {str(p) for p in kept | always}
            chosen = [Path(name) for name in names if name in wanted]
    analysis.analysed = list(chosen)
    enabled = set(enabled)
    pinned = unmodelled_runtime(project)
    cache = project.cache
    key = None
    plan: Optional[incremental.Plan] = None
    digests: Dict[Path, str] = {}
    if cache is not None:
        key = results_key(project, names, chosen, enabled, excludes, prefilter, pinned)
        for path in chosen:
            found = incremental.file_digest(project, path)
            if found is None:
                key = None  # unreadable: reported, never cached
                break
            digests[path] = found
        if key is not None:
            plan = incremental.Plan.read(cache.get_results(key), project, chosen, digests)  # type: ignore[attr-defined]
            if plan is not None and plan.complete:
                _take_units(analysis, [plan.units[p] for p in chosen], plan.notices)
                return analysis
    with Workers() as workers:
        units, graph = _check(
            project, chosen, registry, enabled, pinned, analysis, workers, plan, digests, record=key is not None
        )
    if cache is not None and key is not None and not analysis.internal_errors and not any(
        f.internal for f in analysis.failures
    ):
        assert graph is not None
        cache.put_results(key, incremental.encode(units, graph.table, analysis.notices))  # type: ignore[attr-defined]
    return analysis


def _take_units(analysis: Analysis, units: Sequence[incremental.Unit], notices: Sequence[str]) -> None:
    """The run's findings from its units': each once (two units may reach one finding), sorted."""
    for unit in units:
        if unit.failure is not None:
            analysis.failures.append(unit.failure)
    analysis.violations = _unique(decode_violation(item) for unit in units for item in unit.violations)
    analysis.notices = list(notices)


def _check(
    project: Project,
    chosen: Sequence[Path],
    registry: Dict[str, type],
    enabled: Set[str],
    pinned: Optional[str],
    analysis: Analysis,
    workers: "Workers",
    plan: Optional[incremental.Plan] = None,
    digests: Optional[Dict[Path, str]] = None,
    record: bool = False,
) -> Tuple[List[incremental.Unit], Optional[incremental.Graph]]:
    """Parse, run the rules over every unit that ``plan`` does not keep, and locate their
    findings into ``analysis``; the units of the run, in ``chosen``'s order, and (``record``)
    the import graph of the modules it loaded, for the results entry."""
    project.claim(chosen)
    kept = set(plan.clean) if plan is not None else set()
    collect_in_parallel(project, [p for p in chosen if p not in kept], workers)
    analysis.notices.extend(release_notices(project, pinned))
    loaded = {path: project.load_path(path) for path in chosen if path not in kept}
    names = [
        name
        for name in (
            plan.units[path].name if path in kept else getattr(loaded[path], "name", None)  # type: ignore[union-attr]
            for path in chosen
        )
        if name is not None
    ]
    context = Context(project, [], sdk_exact=not pinned, names=names)
    own = _summaries(context, chosen, loaded, plan)
    if plan is not None:
        indexes = context.indexes()
        for path in [p for p in chosen if p in kept and not plan.still_clean(p, indexes)]:
            kept.discard(path)  # an index answers it otherwise now
            loaded[path] = project.load_path(path)
    checked = _run_rules(context, [p for p in chosen if p not in kept], loaded, registry, enabled, analysis)
    place_findings(project, [f for _, found in checked.values() for f in found], workers)
    graph = incremental.Graph(project, plan.table if plan else incremental.Table()) if record else None
    units: List[incremental.Unit] = []
    for path in chosen:
        if path in kept:
            units.append(plan.units[path])  # type: ignore[union-attr]
            continue
        module = loaded[path]
        digest = (digests or {}).get(path, "")
        if not isinstance(module, ModuleFacts):
            units.append(incremental.Unit(str(path), digest, None, module, []))  # type: ignore[arg-type]
            continue
        unit, findings = checked[path]
        consulted = unit.consulted or []
        reads = extra = 0
        if graph is not None:
            reads = graph.reads(module)
            named = [p[0] for _, _, answer in consulted if isinstance(answer, list) for p in answer]
            extra = graph.closure(named) & ~reads
        located = (violation_of(project, finding, registry) for finding in findings)
        units.append(
            incremental.Unit(
                str(path),
                digest,
                module.name,
                None,
                [encode_violation(v) for v in located if v is not None],
                reads,
                extra,
                [incremental.plain(asked) for asked in consulted],
                own[path],
            )
        )
    _take_units(analysis, units, analysis.notices)
    return units, graph


def _summaries(
    context: Context, chosen: Sequence[Path], loaded: Dict[Path, Loaded], plan: Optional[incremental.Plan]
) -> Dict[Path, List[PackageSummary]]:
    """Each unit's package summaries — the previous run's when nothing it reads changed — given
    to ``context`` for its indexes, in ``chosen``'s order."""
    own: Dict[Path, List[PackageSummary]] = {}
    every: List[PackageSummary] = []
    for path in chosen:
        if plan is not None and path in plan.summarised:
            own[path] = list(plan.units[path].summaries)
        else:
            module = loaded.get(path) or context.project.load_path(path)
            own[path] = context.summarise(module) if isinstance(module, ModuleFacts) else []
        every.extend(own[path])
    context.use_summaries(every)
    return own


def _run_rules(
    context: Context,
    paths: Sequence[Path],
    loaded: Dict[Path, Loaded],
    registry: Dict[str, type],
    enabled: Set[str],
    analysis: Analysis,
) -> Dict[Path, Tuple[Context, List[object]]]:
    """The enabled rules over each of ``paths`` with facts, one unit at a time: its context
    (with the index questions it asked) and its findings."""
    rules = [(code, rule_class()) for code, rule_class in registry.items() if code in enabled and code != PARSE_ERROR]
    crashed: Set[str] = set()
    checked: Dict[Path, Tuple[Context, List[object]]] = {}
    for path in paths:
        module = loaded.get(path)
        if not isinstance(module, ModuleFacts):
            continue
        unit = context.unit(module)
        findings: List[object] = []
        for code, rule in rules:
            try:
                findings.extend(rule.check(unit))
            except Exception as error:  # one broken rule must not lose the others' findings
                if code not in crashed:  # nor be reported once per module
                    crashed.add(code)
                    analysis.internal_errors.append(
                        (
                            code,
                            f"internal error in {code} ({type(error).__name__}: {error}); please report it",
                            traceback.format_exc(),
                        )
                    )
        checked[path] = (unit, findings)
        analysis.checked.append(path)
    return checked


def results_key(
    project: Project,
    files: Sequence[Path],
    chosen: Sequence[Path],
    enabled: Set[str],
    excludes: Sequence[str],
    prefilter: bool,
    pinned: Optional[str],
) -> str:
    """The name of a run's results entry: a digest of what its results depend on besides the
    content of the modules it reads — the options, the in-scope files, and the name of every
    file of the project (a file created where an import found nothing before may resolve it
    now). The entry records the content (:mod:`linter.run.incremental`): a run whose files changed
    reads the entry of the previous run on them and checks again only what the change touched."""
    import hashlib

    from linter import __version__

    digest = hashlib.sha256()
    steamship = project.steamship
    for part in (
        incremental.FORMAT,
        __version__,
        ",".join(sorted(enabled)),
        ",".join(excludes),
        str(prefilter),
        steamship.kind,
        steamship.version or "",
        str(steamship.directory or ""),
        pinned or "",
        str(project.root),
    ):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(b"in scope\0")
    for path in chosen:
        digest.update(str(path).encode("utf-8", "surrogatepass") + b"\0")
    digest.update(b"files\0")
    for path in sorted(str(p) for p in files):
        digest.update(path.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def locate(
    project: Project,
    findings: Iterable[object],
    registry: Dict[str, type],
    workers: Optional[Workers] = None,
) -> List[Violation]:
    """The findings as violations, each once, sorted."""
    findings = list(findings)
    place_findings(project, findings, workers)
    located = (violation_of(project, finding, registry) for finding in findings)
    return _unique(v for v in located if v is not None)


def _unique(violations: Iterable[Violation]) -> List[Violation]:
    """Each finding once (rules may reach one from two classes, units from two modules), the
    first of them, sorted."""
    found: Dict[Tuple[object, ...], Violation] = {}
    for v in violations:
        found.setdefault((v.code, v.path, v.line, v.column, v.end_line, v.end_column, v.message), v)
    return sorted(found.values(), key=lambda v: (v.path, v.line, v.column, v.code, v.message))


def violation_of(project: Project, finding: object, registry: Dict[str, type]) -> Optional[Violation]:
    """A finding with its message written and its places located (see :func:`place_findings`);
    None for one in steamship's own code."""
    module = project.module(finding.at.module)  # type: ignore[attr-defined]
    if module is None or project.is_steamship(module.name) and not _is_project_file(project, module):
        return None
    fields = {}
    related = []
    for key, value in finding.fields.items():  # type: ignore[attr-defined]
        parts = value.parts if isinstance(value, Phrase) else (value,)
        written = []
        for part in parts:
            if isinstance(part, Where):
                place, path, line = describe(project, part)
                written.append(place)
                if path is not None:
                    related.append((path, line, LABELS.get(key, key.replace("_", " "))))
            else:
                written.append(part)
        fields[key] = "".join(map(str, written)) if isinstance(value, Phrase) else written[0]
    message = registry[finding.code].message.format(**fields)  # type: ignore[attr-defined]
    span = project.span(module, finding.at.node) or Span(1, 1, 1, 1)  # type: ignore[attr-defined]
    return Violation(
        finding.code,  # type: ignore[attr-defined]
        message,
        module.path,
        span.line,
        span.column,
        span.end_line,
        span.end_column,
        tuple(related),
    )


def encode_violation(v: Violation) -> list:
    return [v.code, v.message, v.path, v.line, v.column, v.end_line, v.end_column, [list(r) for r in v.related]]


def decode_violation(data: list) -> Violation:
    code, message, path, line, column, end_line, end_column, related = data
    return Violation(
        str(code),
        str(message),
        str(path),
        int(line),
        int(column),
        int(end_line),
        int(end_column),
        tuple((str(a), int(b), str(x)) for a, b, x in related),
    )


def place_findings(project: Project, findings: Sequence[object], workers: Optional[Workers] = None) -> None:
    """Compute the positions :func:`locate` is about to ask for, and only those: of every node a
    finding is at or names, in modules whose positions are not known yet nor catalogued. On the
    workers when they run (a module each), else here."""
    wanted: Dict[str, Tuple[ModuleFacts, Set[int]]] = {}

    def want(module: ModuleFacts, node: int) -> None:
        wanted.setdefault(module.name, (module, set()))[1].add(node)

    for finding in findings:
        module = project.module(finding.at.module)  # type: ignore[attr-defined]
        if module is None or project.is_steamship(module.name) and not _is_project_file(project, module):
            continue
        want(module, finding.at.node)  # type: ignore[attr-defined]
        for value in finding.fields.values():  # type: ignore[attr-defined]
            for part in value.parts if isinstance(value, Phrase) else (value,):
                if isinstance(part, Where):
                    other = project.module(part.module)
                    if other is not None:
                        want(other, part.node)
    jobs = []
    for module, nodes in wanted.values():
        if not project.needs_spans(module):
            continue
        nodes = set(project.cached_spans(module, nodes))
        if not nodes:
            continue
        future = None
        if workers is not None and workers.running and not project.parsed_here(module):
            try:
                source = project.source(Path(module.path))
            except Exception:  # noqa: BLE001 - place() says "no position" itself
                source = None
            if source is not None:
                future = workers.submit(node_spans_of, (source, sorted(nodes)))
        jobs.append((module, nodes, future))
    for module, nodes, future in jobs:
        placed = outcome(future) if future is not None else None
        if isinstance(placed, dict):
            project.adopt_node_spans(module, placed)
        else:
            project.place(module, nodes)


def _is_project_file(project: Project, module: ModuleFacts) -> bool:
    path = Path(module.path)
    return path.is_absolute() and str(path).startswith(str(project.root) + os.sep)


def describe(project: Project, where: Where) -> Tuple[str, Optional[str], int]:
    """``path:line`` of a place, for messages; plus its path and line for related locations."""
    module = project.module(where.module)
    if module is None:
        return where.module, None, 0
    span = project.span(module, where.node)
    line = span.line if span else 0
    shown = display_path(project, module.path)
    return (f"{shown}:{line}" if line else shown), module.path, line


def display_path(project: Project, path: str) -> str:
    candidate = Path(path)
    if not candidate.is_absolute():
        return path  # the catalogue's "steamship/..." paths
    for base in (project.root, Path.cwd()):
        try:
            return candidate.relative_to(base).as_posix()
        except ValueError:
            continue
    directory = project.steamship.directory
    if directory is not None:
        try:
            return candidate.relative_to(directory.parent).as_posix()
        except ValueError:
            pass
    return candidate.as_posix()
