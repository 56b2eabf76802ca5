"""What rules see: the project's modules, its packages and their specs.

Rules are pure functions of a :class:`Context`; they do not parse or read files. Everything here
is memoised, so rules may ask freely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from linter.project.index import Project, Ref
from linter.semantic.builder import SpecBuilder
from linter.semantic.model import Spec, Where
from linter.source.facts import ClassFact, FunctionFact, ModuleFacts

Key = Tuple[str, str]


@dataclass(frozen=True)
class PackageSummary:
    """What one package contributes to the project-wide indexes the rules consult: enough to
    build them without the package's spec (see :mod:`linter.run.incremental`)."""

    ref: Ref
    #: its MRO's classes, when it can be instantiated (abstract classes serve no request)
    ancestors: Tuple[Key, ...]
    #: the ancestors of the mixins it passes to add_mixin as instances (not when abstract)
    adds: Tuple[Key, ...]
    #: the classes the runtime scans as its mixins (USED_MIXIN_CLASSES, add_mixin), with bases
    used: Tuple[Key, ...]
    #: the add_mixin calls its ``__init__`` reaches
    reached: Tuple[Where, ...]


class Indexes:
    """Which packages subclass a class, which add a mixin, which classes are scanned as mixins
    and which add_mixin calls some package reaches: built from every package's summary, in the
    order of the project's modules."""

    def __init__(self, summaries: Iterable[PackageSummary]) -> None:
        self.subclasses: Dict[Key, List[Ref]] = {}
        self.adders: Dict[Key, List[Ref]] = {}
        self.used: Set[Key] = set()
        self.reached: Set[Where] = set()
        for summary in summaries:
            for key in summary.ancestors:
                self.subclasses.setdefault(key, []).append(summary.ref)
            for key in summary.adds:
                self.adders.setdefault(key, []).append(summary.ref)
            self.used.update(summary.used)
            self.reached.update(summary.reached)


def _unique(keys: Iterable[Key]) -> Tuple[Key, ...]:
    return tuple(dict.fromkeys(keys))


class Context:
    """What the rules see. The context of a run iterates every in-scope module; a rule run
    over one module (:meth:`unit`) sees that module only, while "is this project code?" and
    the project-wide indexes still cover every module, and the questions it asks of the
    indexes are recorded with their answers (``consulted``): what its findings depend on
    beyond the modules its names resolve to."""

    def __init__(
        self,
        project: Project,
        modules: List[ModuleFacts],
        sdk_exact: bool = True,
        names: Optional[Iterable[str]] = None,
    ) -> None:
        self.project = project
        #: False when steamship's code comes from pkgcheck's catalogue of another version than
        #: the one the project requires: verdicts resting on steamship's own classes are withheld
        self.sdk_exact = sdk_exact
        self.builder = SpecBuilder(project)
        #: the modules rules iterate (what findings may point into)
        self.modules = modules
        #: the names of every in-scope module, for "is this in the project?" asked per route
        #: and per mixin use (``modules``' when not given)
        self.module_names = frozenset(names if names is not None else (m.name for m in modules))
        self._summaries: Optional[Sequence[PackageSummary]] = None
        self._indexes: Optional[Indexes] = None
        self._packages: Optional[List[Ref]] = None
        self._mixins: Optional[List[Ref]] = None
        self._functions: Dict[str, Dict[str, FunctionFact]] = {}
        self._parent: Optional[Context] = None
        #: (question, key, answer) for every index question asked here, when recording
        self.consulted: Optional[List[Tuple[str, object, object]]] = None

    def unit(self, module: ModuleFacts) -> "Context":
        """A context that iterates ``module`` only and records what it asks of the indexes;
        the builder, the memos and the indexes are this context's."""
        child = Context(self.project, [module], self.sdk_exact, names=())
        child.builder = self.builder
        child.module_names = self.module_names
        child._functions = self._functions
        child._parent = self
        child.consulted = []
        return child

    # -- classes ---------------------------------------------------------------------------
    def classes(self) -> Iterator[Tuple[ModuleFacts, ClassFact, Ref]]:
        for module in self.modules:
            for cls in module.classes:
                yield module, cls, Ref("class", module.name, cls.qualname)

    def packages(self) -> List[Ref]:
        """Every PackageService subclass defined in the modules iterated."""
        if self._packages is None:
            self._packages = [
                ref for _, _, ref in self.classes() if self.builder.is_package(ref)
            ]
        return self._packages

    def mixins(self) -> List[Ref]:
        """Every PackageMixin subclass defined in the modules iterated."""
        if self._mixins is None:
            self._mixins = [ref for _, _, ref in self.classes() if self.builder.is_mixin(ref)]
        return self._mixins

    def class_spec(self, ref: Ref) -> Optional[Spec]:
        return self.builder.class_spec(ref)

    def instance_spec(self, ref: Ref) -> Optional[Spec]:
        return self.builder.instance_spec(ref)

    # -- project-wide indexes ----------------------------------------------------------------
    def summarise(self, module: ModuleFacts) -> List[PackageSummary]:
        """The summaries of the packages ``module`` defines, in its order."""
        project = self.project
        found = []
        for cls in module.classes:
            ref = Ref("class", module.name, cls.qualname)
            if not self.builder.is_package(ref):
                continue
            abstract = project.is_abstract(ref)
            class_spec, instance_spec = self.class_spec(ref), self.instance_spec(ref)
            adds: List[Key] = []
            used: Set[Key] = set()
            for spec in (class_spec, instance_spec):
                for use in spec.mixin_uses if spec is not None else ():
                    if use.mixin is not None and use.argument in ("class", "instance"):
                        used.update(item.key for item in project.mro(use.mixin)[0])
            uses = instance_spec.mixin_uses if instance_spec is not None else []
            if not abstract:
                for use in uses:
                    if use.level == "instance" and use.mixin is not None and use.argument == "instance":
                        adds.extend(item.key for item in project.mro(use.mixin)[0])
            found.append(
                PackageSummary(
                    ref,
                    () if abstract else _unique(item.key for item in project.mro(ref)[0]),
                    _unique(adds),
                    tuple(sorted(used)),
                    tuple(dict.fromkeys(use.site for use in uses if use.level == "instance")),
                )
            )
        return found

    def use_summaries(self, summaries: Sequence[PackageSummary]) -> None:
        """Build the indexes from ``summaries`` (every in-scope package's, in order) rather
        than from the packages of the modules iterated."""
        self._summaries = summaries
        self._indexes = None

    def indexes(self) -> Indexes:
        if self._parent is not None:
            return self._parent.indexes()
        if self._indexes is None:
            summaries = self._summaries
            if summaries is None:
                summaries = [s for module in self.modules for s in self.summarise(module)]
            self._indexes = Indexes(summaries)
        return self._indexes

    def _asked(self, question: str, key: object, answer: object) -> None:
        if self.consulted is not None:
            self.consulted.append((question, key, answer))

    def packages_adding(self, mixin: Ref) -> List[Ref]:
        """Packages whose instances get ``mixin`` (or a subclass of it) through add_mixin."""
        found = list(self.indexes().adders.get(mixin.key, ()))
        self._asked("adding", mixin.key, [p.key for p in found])
        return found

    def subclasses(self, ref: Ref) -> List[Ref]:
        """Project packages that are ``ref`` or inherit from it and can be instantiated
        (abstract classes never serve a request)."""
        found = list(self.indexes().subclasses.get(ref.key, ()))
        self._asked("subclasses", ref.key, [p.key for p in found])
        return found

    def used_as_mixin(self, ref: Ref) -> bool:
        """Whether any package lists ``ref`` (or a subclass) in USED_MIXIN_CLASSES or passes it
        to add_mixin: the runtime scans its routes whatever it inherits from."""
        found = ref.key in self.indexes().used
        self._asked("used", ref.key, found)
        return found

    def reached(self, site: Where) -> bool:
        """Whether the ``__init__`` of some package reaches the add_mixin call at ``site``."""
        found = site in self.indexes().reached
        self._asked("reached", (site.module, site.node), found)
        return found

    def trusts(self, ref: Optional[Ref]) -> bool:
        """Whether a verdict may rest on ``ref``: anything of the project's own, and
        steamship's classes only when they are the version the project targets."""
        if ref is None:
            return True
        return self.sdk_exact or not self.project.is_steamship(ref.module)

    def trusts_spec(self, spec: Optional[Spec]) -> bool:
        """A spec whose routes owe nothing to steamship's mixins and services of an untrusted
        version."""
        if spec is None:
            return False
        if self.sdk_exact:
            return True
        return all(
            route.origin == "reserved" or self.trusts(route.owner if route.origin == "mixin" else route.function_class)
            for route in spec.routes.values()
        )

    def module(self, name: str) -> Optional[ModuleFacts]:
        return self.project.module(name)

    def function_of(self, module: ModuleFacts, qualname: Optional[str]) -> Optional[FunctionFact]:
        """The FunctionFact with ``qualname`` in ``module`` (methods included)."""
        if qualname is None:
            return None
        functions = self._functions.get(module.name)
        if functions is None:
            functions = {}
            for cls in reversed(module.classes):
                for method in reversed(cls.methods):
                    functions[method.qualname] = method
            for function in reversed(module.functions):
                functions[function.qualname] = function
            self._functions[module.name] = functions
        return functions.get(qualname)

    def where(self, module: ModuleFacts, node: int) -> Where:
        return Where(module.name, node)

    def class_where(self, ref: Ref) -> Optional[Where]:
        """The ``class`` line of ``ref``, when pkgcheck has its source."""
        cls = self.project.class_fact(ref)
        return Where(ref.module, cls.name_node) if cls is not None else None

    def member_where(self, ref: Ref, name: str) -> Optional[Where]:
        """Where ``name`` (``__init__``, ``USED_MIXIN_CLASSES``) is written for ``ref``: its own
        or a project base's definition, else — undefined, or steamship's — the ``class`` line,
        where the user would write it."""
        owner, found, _ = self.project.lookup_attribute(ref, name)
        node = getattr(found, "node", None)
        if owner is not None and isinstance(node, int) and not self.project.is_steamship(owner.module):
            return Where(owner.module, node)
        return self.class_where(ref)
