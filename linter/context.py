"""What rules see: the project's modules, its packages and their specs.

Rules are pure functions of a :class:`Context`; they do not parse or read files. Everything here
is memoised, so rules may ask freely.
"""

from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Set, Tuple

from linter.facts import ClassFact, FunctionFact, ModuleFacts
from linter.index import Project, Ref
from linter.spec import Spec, SpecBuilder, Where


class Context:
    def __init__(self, project: Project, modules: List[ModuleFacts], sdk_exact: bool = True) -> None:
        self.project = project
        #: False when steamship's code comes from pkgcheck's catalogue of another version than
        #: the one the project requires: verdicts resting on steamship's own classes are withheld
        self.sdk_exact = sdk_exact
        self.builder = SpecBuilder(project)
        #: the project's in-scope modules (what findings may point into)
        self.modules = modules
        #: their names, for "is this in the project?" asked per route and per mixin use
        self.module_names = frozenset(module.name for module in modules)
        self._packages: Optional[List[Ref]] = None
        self._mixins: Optional[List[Ref]] = None
        self._adders: Optional[Dict[Tuple[str, str], List[Ref]]] = None
        self._used_as_mixins: Optional[Set[Tuple[str, str]]] = None
        self._subclasses: Optional[Dict[Tuple[str, str], List[Ref]]] = None
        self._functions: Dict[str, Dict[str, FunctionFact]] = {}

    # -- classes ---------------------------------------------------------------------------
    def classes(self) -> Iterator[Tuple[ModuleFacts, ClassFact, Ref]]:
        for module in self.modules:
            for cls in module.classes:
                yield module, cls, Ref("class", module.name, cls.qualname)

    def packages(self) -> List[Ref]:
        """Every PackageService subclass defined in the project."""
        if self._packages is None:
            self._packages = [
                ref for _, _, ref in self.classes() if self.builder.is_package(ref)
            ]
        return self._packages

    def mixins(self) -> List[Ref]:
        """Every PackageMixin subclass defined in the project."""
        if self._mixins is None:
            self._mixins = [ref for _, _, ref in self.classes() if self.builder.is_mixin(ref)]
        return self._mixins

    def class_spec(self, ref: Ref) -> Optional[Spec]:
        return self.builder.class_spec(ref)

    def instance_spec(self, ref: Ref) -> Optional[Spec]:
        return self.builder.instance_spec(ref)

    def packages_adding(self, mixin: Ref) -> List[Ref]:
        """Packages whose instances get ``mixin`` (or a subclass of it) through add_mixin."""
        if self._adders is None:
            adders: Dict[Tuple[str, str], List[Ref]] = {}
            for package in self.packages():
                spec = self.instance_spec(package)
                if spec is None:
                    continue
                for use in spec.mixin_uses:
                    if (
                        use.level == "instance"
                        and use.mixin is not None
                        and use.argument == "instance"
                        and not self.project.is_abstract(package)
                    ):
                        for ancestor in self.project.mro(use.mixin)[0]:
                            bucket = adders.setdefault(ancestor.key, [])
                            # one package's uses come one after another: if it is in, it is last
                            if not bucket or bucket[-1] is not package:
                                bucket.append(package)
            self._adders = adders
        return list(self._adders.get(mixin.key, []))

    def subclasses(self, ref: Ref) -> List[Ref]:
        """Project packages that are ``ref`` or inherit from it and can be instantiated
        (abstract classes never serve a request)."""
        if self._subclasses is None:
            # one pass over the packages' MROs, not one per question (rules ask per call site)
            index: Dict[Tuple[str, str], List[Ref]] = {}
            for package in self.packages():
                if self.project.is_abstract(package):
                    continue
                for item in self.project.mro(package)[0]:
                    bucket = index.setdefault(item.key, [])
                    if not bucket or bucket[-1] is not package:
                        bucket.append(package)
            self._subclasses = index
        return list(self._subclasses.get(ref.key, ()))

    def used_as_mixins(self) -> Set[Tuple[str, str]]:
        """Classes any package lists in USED_MIXIN_CLASSES or passes to add_mixin (and
        their bases): the runtime scans their routes whatever they inherit from."""
        if self._used_as_mixins is None:
            found: Set[Tuple[str, str]] = set()
            for package in self.packages():
                for spec in (self.class_spec(package), self.instance_spec(package)):
                    for use in spec.mixin_uses if spec is not None else ():
                        if use.mixin is not None and use.argument in ("class", "instance"):
                            found.update(item.key for item in self.project.mro(use.mixin)[0])
            self._used_as_mixins = found
        return self._used_as_mixins

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
