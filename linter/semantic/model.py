"""The static ``PackageSpec`` as plain data: routes, their arguments, mixins used, and the
events (a conflict, a refused mixin) that the runtime would raise or pass over silently.

:mod:`linter.semantic.builder` fills it in; rules read it. It mirrors steamship's ``PackageSpec``,
``MethodSpec`` and ``ArgSpec`` (see STEAMSHIP.md of the steamship runtime).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from linter.project.index import Ref
from linter.source.facts import CallFact, Expr, FunctionFact

RESERVED = (
    ("GET", "/__dir__", "__steamship_dir__", None),
    ("POST", "/__dir__", "__steamship_dir__", None),
    ("POST", "/__instance_init__", "invocable_instance_init", {}),
)
PERMIT_FLAG = "permit_overwrite_of_existing_methods"


def clean_path(path: str) -> str:
    """``MethodSpec.clean_path``."""
    if not path:
        path = "/"
    elif path[0] != "/":
        path = f"/{path}"
    if path.startswith("//"):
        path = path[1:]
    return path


@dataclass(frozen=True)
class Where:
    """A node in a module: enough to compute its position later."""

    module: str
    node: int


@dataclass
class RouteDecl:
    """A route decorator on a method (an entry of ``find_route_methods``)."""

    verb: str
    raw_path: str
    config: Dict[str, object]
    #: keyword names whose values the runtime drops (not str/bool/int/float)
    dropped: Tuple[str, ...]
    #: a keyword whose value pkgcheck cannot evaluate
    config_unknown: bool
    method_name: str
    declared_in: Ref
    decorator: Where
    function: FunctionFact
    #: the decorator as written, and the expression giving the path
    decorator_expr: Optional[Expr] = None
    path_expr: Optional[Expr] = None

    @property
    def path(self) -> str:
        return clean_path(self.raw_path)


@dataclass
class Arg:
    name: str
    kind: str
    values: Optional[Tuple[str, ...]]
    certain: bool
    crash: Optional[str]
    param: Optional[Where]


@dataclass
class Route:
    """One entry of the spec's ``method_mappings``."""

    verb: str
    path: str
    raw_path: str
    returns: str
    doc: Optional[str]
    args: List[Arg]
    config: Optional[Dict[str, object]]
    class_name: str
    origin: str  # "route", "reserved" or "mixin"
    #: the class ``MethodSpec.from_class`` was called with (package or mixin)
    owner: Ref
    method_name: str
    decl: Optional[RouteDecl]
    #: the function whose signature the spec shows (``getattr(owner, method_name)``)
    function: Optional[FunctionFact] = None
    function_class: Optional[Ref] = None
    #: the USED_MIXIN_CLASSES element or add_mixin call that brought a mixin route in
    site: Optional[Where] = None
    args_known: bool = True

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "verb": self.verb,
            "returns": self.returns,
            "doc": self.doc,
            "args": [{"name": a.name, "kind": a.kind, "values": _list(a.values)} for a in self.args],
            "config": dict(self.config) if self.config is not None else None,
            "className": self.class_name,
        }


def _list(values: Optional[Tuple[str, ...]]) -> Optional[List[str]]:
    return list(values) if values is not None else None


@dataclass
class Event:
    """Something the runtime does silently or fatally while building the spec.

    kinds: ``duplicate`` (two routes of one class, same verb and path: ``route`` wins over
    ``other``), ``reserved`` (``route`` replaced by a reserved route), ``override_spelling``
    (``route`` in a subclass is dead; ``other`` is the base route that keeps serving),
    ``conflict`` (``RouteConflictError``: ``route`` from a mixin meets ``other``),
    ``overwrite`` (permitted overwrite of ``other`` by ``route``), ``inherited_overwrite``
    (a class route silently replaces a route the parent got from a mixin).
    """

    kind: str
    level: str  # "class" or "instance"
    route: Route
    other: Optional[Route] = None
    site: Optional[Where] = None
    #: the package's own add_mixin call that led here (site may be inside a mixin's __init__)
    root: Optional[Where] = None


@dataclass
class MixinUse:
    """A mixin added to a package: a USED_MIXIN_CLASSES entry or an ``add_mixin`` call."""

    level: str  # "class" or "instance"
    site: Where
    mixin: Optional[Ref]
    #: for add_mixin: how the argument looked: "instance", "class", "other" or "unknown"
    argument: str
    permit: Optional[bool]
    call: Optional[CallFact] = None
    #: the function the call is in (``Class.__init__``)
    function: Optional[str] = None
    conditional: bool = False
    #: where the constructor call is, and the __init__ it calls
    construct: Optional[Expr] = None
    #: the package's own add_mixin call that led here
    root: Optional[Where] = None


@dataclass
class Spec:
    cls: Ref
    name: str
    doc: Optional[str]
    sdk_version: Optional[str]
    used_mixins: Optional[List[str]]
    level: str
    routes: Dict[Tuple[str, str], Route] = field(default_factory=dict)
    events: List[Event] = field(default_factory=list)
    mixin_uses: List[MixinUse] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    #: the runtime would raise while building this spec (route conflict, bad decorator)
    fails: bool = False

    @property
    def complete(self) -> bool:
        return not self.notes

    def methods(self) -> List[Route]:
        return sorted(self.routes.values(), key=lambda r: (r.path, r.verb))

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "doc": self.doc,
            "sdkVersion": self.sdk_version,
            "usedMixins": list(self.used_mixins) if self.used_mixins is not None else None,
            "methods": [route.to_dict() for route in self.methods()],
        }

    def clone(self, level: str) -> "Spec":
        copy = Spec(self.cls, self.name, self.doc, self.sdk_version, None, level)
        copy.routes = dict(self.routes)
        copy.notes = list(self.notes)
        return copy
