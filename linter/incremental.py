"""Results kept module by module, so that after an edit only what depends on it is checked again.

The rules run over one in-scope module at a time (a *unit*: :meth:`linter.context.Context.unit`).
A unit's findings are a function of the modules its analysis reads and of the answers it gets
from the project-wide indexes (which packages subclass a class, which add a mixin, ...). The
cache entry of a run (:func:`record`) keeps, per unit, its located findings, the modules its
names can resolve to (``reads``), the modules of the packages the indexes named to it
(``extra``), and those questions with their answers; per module read, its file's digest and the
modules it imports. The next run (:class:`Plan`) checks again exactly the units for which one
of these changed; the others' findings are the previous run's.

Why ``reads`` holds every module a unit's analysis can read: pkgcheck resolves a name only
through the import statements of the module it appears in (never by spelling across the
project), so every module read on a unit's behalf is reached from the unit's own module by a
chain of imports, or from the module of a package an index named. The graph here
over-approximates those chains: a module imports the modules its statements name, their parent
packages, its own parent packages, and for ``import a`` or ``from a import *`` every module
under ``a``. A module whose content did not change imports what it did before, so the
over-approximation recorded by the previous run still holds for a unit none of whose modules
changed, by induction along the chains. Creating or deleting a file, changing an option or the
set of in-scope files changes the entry's key (:func:`linter.checker.results_key`): a full run.
Steamship's own modules (the catalogue or the installed source) are not tracked per unit: a
change of an installed steamship file starts a full run.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set

from linter import serial
from linter.context import Indexes, PackageSummary
from linter.facts import ModuleFacts, ParseFailure
from linter.index import Project, Ref
from linter.spec import Where

#: The shape of a results entry; an entry of another shape is not read.
FORMAT = "units-1"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(project: Project, path: Path) -> Optional[str]:
    """The digest of the text the project analyses for ``path`` (an override's, else the
    file's bytes); None when it cannot be read."""
    override = project.overrides.get(path) if project.overrides else None
    if override is not None:
        return digest(override.encode("utf-8", "surrogatepass"))
    try:
        return digest(project.read_bytes(path))
    except OSError:
        return None


def module_edges(project: Project, module: ModuleFacts) -> List[str]:
    """The modules ``module`` may read names from, over-approximated (see the module's
    docstring); ``a.*`` stands for every module under ``a``."""
    found: Set[str] = set()

    def with_parents(name: str) -> None:
        parts = name.split(".")
        found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))

    parent = module.name.rpartition(".")[0]
    if parent:
        with_parents(parent)
    for imported in module.imports:
        if imported.name is None:
            base: Optional[str] = imported.module
        else:
            base = project._absolute(module, imported.module, imported.level)
        if not base:
            continue
        with_parents(base)
        if imported.also:
            with_parents(imported.also)
        if imported.name in (None, "*"):
            found.add(base + ".*")
        else:
            with_parents(f"{base}.{imported.name}")
    found.discard(module.name)
    return sorted(found)


class Graph:
    """Module name -> the modules it may read (:func:`module_edges`)."""

    def __init__(self, edges: Dict[str, Sequence[str]]) -> None:
        self.edges = edges
        self.names = sorted(edges)

    def _under(self, prefix: str) -> Iterable[str]:
        start = bisect.bisect_left(self.names, prefix)
        for name in self.names[start:]:
            if not name.startswith(prefix):
                break
            yield name

    def closure(self, start: Iterable[str]) -> Set[str]:
        """The modules of the graph reachable from ``start`` (those included)."""
        seen: Set[str] = set()
        stack: List[str] = []
        for name in start:
            if name.endswith(".*"):
                stack.extend(self._under(name[:-1]))
            elif name in self.edges:
                stack.append(name)
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            for other in self.edges.get(name, ()):
                if other.endswith(".*"):
                    stack.extend(n for n in self._under(other[:-1]) if n not in seen)
                elif other in self.edges and other not in seen:
                    stack.append(other)
        return seen


@dataclass
class Unit:
    """One in-scope file's part of a run's results."""

    path: str
    digest: str
    #: its module name, None when the file has no facts (``failure`` says why)
    name: Optional[str]
    failure: Optional[ParseFailure]
    #: located findings, as :func:`linter.checker.encode_violation` writes them
    violations: List[list]
    reads: List[str] = field(default_factory=list)
    extra: List[str] = field(default_factory=list)
    #: [question, key, answer] of every index question its rules asked
    consulted: List[list] = field(default_factory=list)
    summaries: List[PackageSummary] = field(default_factory=list)


def plain(value: object) -> object:
    """``value`` as JSON gives it back (tuples as lists), for comparing answers."""
    if isinstance(value, (tuple, list)):
        return [plain(item) for item in value]
    return value


def answer(indexes: Indexes, question: str, key: list) -> object:
    """What :class:`linter.context.Context` answers ``question`` about ``key`` now, in the
    form it records (see ``Context._asked``)."""
    if question == "adding":
        return plain([p.key for p in indexes.adders.get((key[0], key[1]), ())])
    if question == "subclasses":
        return plain([p.key for p in indexes.subclasses.get((key[0], key[1]), ())])
    if question == "used":
        return (key[0], key[1]) in indexes.used
    if question == "reached":
        return Where(key[0], key[1]) in indexes.reached
    raise ValueError(f"unknown question {question!r}")


def _encode_summary(summary: PackageSummary) -> list:
    return [
        summary.ref.qualname,
        plain(summary.ancestors),
        plain(summary.adds),
        plain(summary.used),
        [[w.module, w.node] for w in summary.reached],
    ]


def _decode_summary(module: str, data: list) -> PackageSummary:
    qualname, mro, adds, used, reached = data
    keys = lambda items: tuple((str(a), str(b)) for a, b in items)  # noqa: E731
    return PackageSummary(
        Ref("class", module, str(qualname)),
        keys(mro),
        keys(adds),
        keys(used),
        tuple(Where(str(m), int(n)) for m, n in reached),
    )


def encode(units: Sequence[Unit], modules: Dict[str, list], notices: Sequence[str]) -> dict:
    return {
        "format": FORMAT,
        "modules": modules,
        "notices": list(notices),
        "units": [
            [
                u.path,
                u.digest,
                u.name,
                serial.encode(u.failure) if u.failure is not None else None,
                u.violations,
                u.reads,
                u.extra,
                u.consulted,
                [_encode_summary(s) for s in u.summaries],
            ]
            for u in units
        ],
    }


def _decode_unit(data: list) -> Unit:
    path, file_digest_, name, failure, violations, reads, extra, consulted, summaries = data
    decoded = serial.decode(failure) if failure is not None else None
    if decoded is not None and not isinstance(decoded, ParseFailure):
        raise ValueError("not a failure")
    if not isinstance(violations, list) or not isinstance(consulted, list):
        raise ValueError("bad unit")
    for item in violations:
        if not (isinstance(item, list) and len(item) == 8 and all(isinstance(x, int) for x in item[3:7])):
            raise ValueError("bad violation")
    return Unit(
        str(path),
        str(file_digest_),
        str(name) if name is not None else None,
        decoded,
        violations,
        [str(n) for n in reads],
        [str(n) for n in extra],
        consulted,
        [_decode_summary(str(name), s) for s in summaries] if name is not None else [],
    )


@dataclass
class Plan:
    """What a previous run's entry lets this run keep."""

    units: Dict[Path, Unit]
    #: old module table: name -> [path, digest, edges]
    modules: Dict[str, list]
    notices: List[str]
    #: the modules whose file changed since
    changed: Set[str]
    #: units whose findings may be kept (pending their index answers)
    clean: Set[Path]
    #: units whose package summaries may be kept
    summarised: Set[Path]

    @property
    def complete(self) -> bool:
        """Nothing changed: every unit is kept as it is."""
        return len(self.clean) == len(self.units)

    @classmethod
    def read(
        cls, data: object, project: Project, chosen: Sequence[Path], digests: Dict[Path, str]
    ) -> Optional["Plan"]:
        """The plan for this run from the previous run's entry, or None when there is none
        usable (then every unit is checked)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None
        try:
            units = [_decode_unit(item) for item in data["units"]]
            modules = {str(k): list(v) for k, v in data["modules"].items()}
            notices = [str(n) for n in data["notices"]]
        except (KeyError, TypeError, ValueError, AttributeError, serial.FormatError):
            return None
        if [u.path for u in units] != [str(p) for p in chosen]:
            return None
        changed: Set[str] = set()
        for name, (path, was, _) in modules.items():
            now = digests.get(Path(path)) or file_digest(project, Path(path))
            if now != was:
                if project.is_steamship(name):
                    return None  # steamship itself changed: start afresh
                changed.add(name)
        clean: Set[Path] = set()
        summarised: Set[Path] = set()
        for path, unit in zip(chosen, units):
            if digests[path] != unit.digest or changed.intersection(unit.reads):
                continue
            summarised.add(path)
            if not changed.intersection(unit.extra):
                clean.add(path)
        return cls(dict(zip(chosen, units)), modules, notices, changed, clean, summarised)

    def still_clean(self, path: Path, indexes: Indexes) -> bool:
        """Whether the kept unit at ``path`` gets the answers it got before from ``indexes``."""
        try:
            return all(
                plain(answer(indexes, question, key)) == was
                for question, key, was in self.units[path].consulted
            )
        except (TypeError, ValueError, IndexError):
            return False


def module_table(
    project: Project, edges: Dict[str, List[str]], old: Optional[Dict[str, list]], kept: Iterable[str]
) -> Dict[str, list]:
    """name -> [path, digest, edges] of every module this run loaded from a file, and of the
    previous run's modules named by the units kept from it (``kept``: unchanged since)."""
    table: Dict[str, list] = {}
    if old:
        for name in kept:
            if name in old:
                table[name] = old[name]
    for name, loaded in project.loaded_modules():
        path = loaded.path
        if not Path(path).is_absolute():
            continue  # the catalogue's
        found = file_digest(project, Path(path))
        if found is not None:
            table[name] = [path, found, edges.get(name, [])]
    return table


def graph_of(project: Project) -> Graph:
    """The import graph of the project modules this run loaded. Every module a unit checked
    in this run read was loaded, and so was every module on the chain of imports that led to
    it: their edges are enough for the unit's ``reads``."""
    edges: Dict[str, List[str]] = {}
    for name, loaded in project.loaded_modules():
        if not project.is_steamship(name):
            edges[name] = module_edges(project, loaded) if isinstance(loaded, ModuleFacts) else []
    return Graph(edges)
