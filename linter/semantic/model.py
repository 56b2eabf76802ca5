"""The static ``PackageSpec`` as plain data: routes, their arguments, mixins used, and the
events (a conflict, a refused mixin) that the runtime would raise or pass over silently.

:mod:`linter.semantic.builder` fills it in; rules read it. It mirrors steamship's ``PackageSpec``,
``MethodSpec`` and ``ArgSpec`` (see STEAMSHIP.md of the steamship runtime).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from linter.project.index import Ref
from linter.sdk.releases import Runtime
from linter.source.facts import CallFact, Expr, FunctionFact

PERMIT_FLAG = "permit_overwrite_of_existing_methods"


def clean_path(path: str, strips_double_slash: bool = True) -> str:
    """``MethodSpec.clean_path``: a leading slash added, and from steamship 2.17.1 one of a
    leading ``//`` taken off."""
    if not path:
        path = "/"
    elif path[0] != "/":
        path = f"/{path}"
    if strips_double_slash and path.startswith("//"):
        path = path[1:]
    return path


@dataclass(frozen=True)
class Where:
    """A node in a module: enough to compute its position later."""

    module: str
    node: int


@dataclass(frozen=True)
class Phrase:
    """A message field made of text and places: each :class:`Where` is written ``path:line``
    (and becomes a related location), like a field that is a place itself."""

    parts: Tuple[object, ...]


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
    #: ``/__dir__`` lists it (a route the class serves without listing it: steamship's own
    #: ``/__dir__`` before 2.17.1, a grandparent's route in 2.16.1–2.16.9)
    listed: bool = True

    def to_dict(self, runtime: Runtime = Runtime()) -> dict:
        """``MethodSpec.dict(by_alias=True)``, with the fields of the release's ``MethodSpec``."""
        result: Dict[str, object] = {
            "path": self.path,
            "verb": self.verb,
            "returns": self.returns,
            "doc": self.doc,
            "args": [_arg_dict(a, runtime) for a in self.args],
        }
        if runtime.route_config:
            result["config"] = dict(self.config) if self.config is not None else None
        if runtime.class_names:
            result["className"] = self.class_name
        return result


def _arg_dict(arg: Arg, runtime: Runtime) -> Dict[str, object]:
    result: Dict[str, object] = {"name": arg.name, "kind": arg.kind}
    if runtime.enum_values != "none":
        result["values"] = _list(arg.values)
    return result


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
    #: what the release does (which fields its spec has, how it lists its routes)
    runtime: Runtime = field(default_factory=Runtime)
    #: ``methods`` in registration order, duplicates included, for a release whose spec is a
    #: list (before 2.17.1); None when it lists its table sorted by path and verb
    listing: Optional[List[Route]] = None

    @property
    def complete(self) -> bool:
        return not self.notes

    def methods(self) -> List[Route]:
        """The routes the package serves, sorted by path and verb."""
        return sorted(self.routes.values(), key=lambda r: (r.path, r.verb))

    def listed(self) -> List[Route]:
        """The routes ``/__dir__`` lists, in its order."""
        if self.listing is not None:
            return list(self.listing)
        return [route for route in self.methods() if route.listed]

    def to_dict(self) -> dict:
        """``PackageSpec.dict(by_alias=True)``, with the fields of the release's ``PackageSpec``."""
        result: Dict[str, object] = {"name": self.name, "doc": self.doc}
        if self.runtime.sdk_version_field:
            result["sdkVersion"] = self.sdk_version
        if self.runtime.used_mixins_field:
            result["usedMixins"] = list(self.used_mixins) if self.used_mixins is not None else None
        result["methods"] = [route.to_dict(self.runtime) for route in self.listed()]
        return result

    def clone(self, level: str) -> "Spec":
        copy = Spec(self.cls, self.name, self.doc, self.sdk_version, None, level, runtime=self.runtime)
        copy.routes = dict(self.routes)
        copy.notes = list(self.notes)
        copy.listing = list(self.listing) if self.listing is not None else None
        return copy
