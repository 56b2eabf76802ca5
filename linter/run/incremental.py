"""Results kept module by module, so that after an edit only what depends on it is checked again.

The rules run over one in-scope module at a time (a *unit*: :meth:`linter.semantic.context.Context.unit`).
A unit's findings are a function of the modules its analysis reads and of the answers it gets
from the project-wide indexes (which packages subclass a class, which add a mixin, ...). The
results entry of a run (:func:`encode`) keeps, per unit, its located findings, the modules its
names can resolve to (``reads``), the modules the packages the indexes named to it can read
(``extra``), those questions with their answers, and its packages' summaries (what the indexes
are built from); and the digest of every module file the run read (:class:`Table`). The next
run (:class:`Plan`) checks again exactly the units for which one of these changed; the others'
findings are the previous run's.

Why ``reads`` holds every module a unit's analysis can read: pkgcheck resolves a name only
through the import statements of the module it appears in (never by spelling across the
project), so every module read on a unit's behalf is reached from the unit's own module by a
chain of imports, or from the module of a package an index named. The graph here
over-approximates those chains (:func:`module_edges`): a module imports the modules its
statements name, their parent packages, its own parent packages, and for ``import a`` or
``from a import *`` every module under ``a``. A module whose content did not change imports
what it did before, so the set recorded by the previous run still holds for a unit none of
whose modules changed, by induction along the chains. Creating or deleting a file, changing an
option or the set of in-scope files changes the entry's name
(:func:`linter.run.checker.results_key`): a full run. Steamship's own modules (the catalogue or the
installed source) are not tracked per unit: a change of an installed steamship file starts a
full run. ``tests/test_incremental.py`` compares cached and fresh runs after random edits.

One assumption is not proven here: that a module name means the same file whoever asks for it.
For in-scope files :meth:`linter.project.index.Project.claim` makes it so; a name outside the scope that
two importing directories would find as two different files (a ``helpers.py`` beside each of two
scripts) means the file found for whichever module asked first, in a full run as in this one.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set

from linter.project.index import Project, Ref
from linter.semantic.context import Indexes, PackageSummary
from linter.semantic.model import Where
from linter.source import serial
from linter.source.facts import ModuleFacts, ParseFailure

#: The shape of a results entry; an entry of another shape is not read.
FORMAT = "units-2"


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
        while name and name not in found:
            found.add(name)
            name = name.rpartition(".")[0]

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


class Table:
    """The modules a results entry knows, each a bit of the units' sets: name, file, digest.
    A table only grows while entries follow one another (kept units' sets stay valid); a full
    run starts a new one."""

    def __init__(self, rows: Sequence[Sequence[Optional[str]]] = ()) -> None:
        self.names: List[str] = []
        self.paths: List[str] = []
        #: None: the file could not be read (it counts as changed when it can)
        self.digests: List[Optional[str]] = []
        self.index: Dict[str, int] = {}
        for name, path, was in rows:
            self.add(str(name), str(path), str(was) if was is not None else None)

    def add(self, name: str, path: str, found: Optional[str]) -> int:
        bit = self.index.get(name)
        if bit is None:
            bit = self.index[name] = len(self.names)
            self.names.append(name)
            self.paths.append(path)
            self.digests.append(found)
        else:
            self.paths[bit], self.digests[bit] = path, found
        return bit

    def rows(self) -> List[List[Optional[str]]]:
        return [[n, p, d] for n, p, d in zip(self.names, self.paths, self.digests)]

    def names_of(self, bits: int) -> List[str]:
        return [name for i, name in enumerate(self.names) if bits >> i & 1]


class Graph:
    """The import graph (:func:`module_edges`) of the project modules a run loaded, with each
    module's transitive closure as a set of :class:`Table` bits.

    Every module a unit checked in this run read was loaded, and so was every module on the
    chain of imports that led to it: these edges are enough for the unit's ``reads``."""

    def __init__(self, project: Project, table: Table) -> None:
        self.project = project
        self.table = table
        modules: Dict[str, object] = {}
        for name, loaded in project.loaded_modules():
            path = Path(loaded.path)
            if path.is_absolute():  # not the catalogue's
                table.add(name, str(path), file_digest(project, path))
                if not project.is_steamship(name):
                    modules[name] = loaded
        self.names = sorted(modules)
        self._known = set(modules)
        self._modules = modules
        self.edges: Dict[str, List[str]] = {
            name: self._targets(module_edges(project, loaded)) if isinstance(loaded, ModuleFacts) else []
            for name, loaded in modules.items()
        }
        self.bits = self._closures()

    def _targets(self, edges: Iterable[str]) -> List[str]:
        """The graph's modules ``edges`` name (``a.*``: every module under ``a``)."""
        found: List[str] = []
        for name in edges:
            if name.endswith(".*"):
                start = bisect.bisect_left(self.names, name[:-1])
                for other in self.names[start:]:
                    if not other.startswith(name[:-1]):
                        break
                    found.append(other)
            elif name in self._known:
                found.append(name)
        return found

    def _closures(self) -> Dict[str, int]:
        """Each module's closure, through its strongly connected components (Tarjan's
        algorithm, without recursion): a component's set is its modules' bits and the sets
        of the components it imports, which are complete when it is."""
        bit = self.table.index
        order: Dict[str, int] = {}
        low: Dict[str, int] = {}
        stack: List[str] = []
        on_stack: Set[str] = set()
        closure: Dict[str, int] = {}
        for root in self.names:
            if root in order:
                continue
            work = [(root, iter(self.edges[root]))]
            order[root] = low[root] = len(order)
            stack.append(root)
            on_stack.add(root)
            while work:
                name, pending = work[-1]
                advanced = False
                for other in pending:
                    if other not in self.edges:
                        continue
                    if other not in order:
                        order[other] = low[other] = len(order)
                        stack.append(other)
                        on_stack.add(other)
                        work.append((other, iter(self.edges[other])))
                        advanced = True
                        break
                    if other in on_stack:
                        low[name] = min(low[name], order[other])
                if advanced:
                    continue
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[name])
                if low[name] != order[name]:
                    continue
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == name:
                        break
                bits = 0
                for member in members:
                    bits |= 1 << bit[member]
                for member in members:
                    for other in self.edges[member]:
                        if other in closure:
                            bits |= closure[other]
                for member in members:
                    closure[member] = bits
        return closure

    def reads(self, module: ModuleFacts) -> int:
        """The modules ``module``'s names can resolve to: its own and its imports' closures
        (its own edges too: a file whose name another in-scope file took is not in the graph
        under it)."""
        bits = self.bits.get(module.name, 0)
        if self._modules.get(module.name) is module:
            return bits  # its closure: its own edges are in
        for other in self._targets(module_edges(self.project, module)):
            bits |= self.bits.get(other, 0)
        return bits

    def closure(self, names: Iterable[str]) -> int:
        bits = 0
        for name in names:
            bits |= self.bits.get(name, 0)
        return bits


@dataclass
class Unit:
    """One in-scope file's part of a run's results."""

    path: str
    digest: str
    #: its module name, None when the file has no facts (``failure`` says why)
    name: Optional[str]
    failure: Optional[ParseFailure]
    #: located findings, as :func:`linter.run.checker.encode_violation` writes them
    violations: List[list]
    #: :class:`Table` bits of the modules its names can resolve to
    reads: int = 0
    #: bits of the modules of the packages the indexes named to it (and of their imports)
    extra: int = 0
    #: [question, key, answer] of every index question its rules asked
    consulted: List[list] = field(default_factory=list)
    summaries: List[PackageSummary] = field(default_factory=list)


def plain(value: object) -> object:
    """``value`` as JSON gives it back (tuples as lists), for comparing answers."""
    if isinstance(value, (tuple, list)):
        return [plain(item) for item in value]
    return value


def answer(indexes: Indexes, question: str, key: list) -> object:
    """What :class:`linter.semantic.context.Context` answers ``question`` about ``key`` now, in the
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
    qualname, ancestors, adds, used, reached = data
    keys = lambda items: tuple((str(a), str(b)) for a, b in items)  # noqa: E731
    return PackageSummary(
        Ref("class", module, str(qualname)),
        keys(ancestors),
        keys(adds),
        keys(used),
        tuple(Where(str(m), int(n)) for m, n in reached),
    )


def encode(units: Sequence[Unit], table: Table, notices: Sequence[str]) -> dict:
    return {
        "format": FORMAT,
        "modules": table.rows(),
        "notices": list(notices),
        "units": [
            [
                u.path,
                u.digest,
                u.name,
                serial.encode(u.failure) if u.failure is not None else None,
                u.violations,
                f"{u.reads:x}",
                f"{u.extra:x}",
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
        if not isinstance(item[7], list) or not all(
            isinstance(r, list) and len(r) == 3 and isinstance(r[1], int) for r in item[7]
        ):
            raise ValueError("bad related location")
    return Unit(
        str(path),
        str(file_digest_),
        str(name) if name is not None else None,
        decoded,
        violations,
        int(str(reads), 16),
        int(str(extra), 16),
        consulted,
        [_decode_summary(str(name), s) for s in summaries] if name is not None else [],
    )


@dataclass
class Plan:
    """What a previous run's entry lets this run keep."""

    units: Dict[Path, Unit]
    #: the previous run's modules, with their digests as they are now
    table: Table
    notices: List[str]
    #: the bits of the modules whose file changed since
    changed: int
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
            table = Table(data["modules"])
            notices = [str(n) for n in data["notices"]]
        except (KeyError, TypeError, ValueError, AttributeError, serial.FormatError):
            return None
        if [u.path for u in units] != [str(p) for p in chosen]:
            return None
        changed = 0
        for bit, (name, path) in enumerate(zip(table.names, table.paths)):
            now = digests.get(Path(path)) or file_digest(project, Path(path))
            if now != table.digests[bit]:
                if project.is_steamship(name):
                    return None  # steamship itself changed: start afresh
                changed |= 1 << bit
                table.digests[bit] = now  # no unit kept can depend on its old text
        clean: Set[Path] = set()
        summarised: Set[Path] = set()
        for path, unit in zip(chosen, units):
            if digests[path] != unit.digest or unit.reads & changed:
                continue
            summarised.add(path)
            if not unit.extra & changed:
                clean.add(path)
        return cls(dict(zip(chosen, units)), table, notices, changed, clean, summarised)

    def still_clean(self, path: Path, indexes: Indexes) -> bool:
        """Whether the kept unit at ``path`` gets the answers it got before from ``indexes``."""
        try:
            return all(
                plain(answer(indexes, question, key)) == was
                for question, key, was in self.units[path].consulted
            )
        except (TypeError, ValueError, IndexError):
            return False
