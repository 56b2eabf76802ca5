"""The static ``PackageSpec``: what steamship 2.17.34 builds for a package, without running it.

This module mirrors, step by step, ``Invocable.__init_subclass__``, ``find_route_methods``,
``merge_routes_respecting_override``, ``PackageService.__init_subclass__`` / ``scan_mixin`` /
``add_mixin`` and ``PackageSpec.add_method`` (see docs in STEAMSHIP.md of the steamship
runtime). Where the runtime would raise or silently replace something, the builder records an
:class:`Event` for the rules instead; where pkgcheck cannot know something, it records a note
and marks the spec incomplete, so rules can stay quiet rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Dict, Iterator, List, Optional, Set, Tuple

from linter.source.facts import AssignFact, CallFact, Expr, FunctionFact, ModuleFacts
from linter.project.index import Project, Ref, class_attribute, class_namespace
from linter.sdk.steamship import ENDPOINT, INVOCABLE, PACKAGE_MIXIN, PACKAGE_SERVICE, ROUTE_DECORATORS, VERB
from linter.spec.typerepr import render

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


class SpecBuilder:
    """Builds and memoises class- and instance-level specs over one :class:`Project`."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._class_specs: Dict[Tuple[str, str], Optional[Spec]] = {}
        self._instance_specs: Dict[Tuple[str, str], Optional[Spec]] = {}
        self._routes_memo: Dict[Tuple[str, str], Tuple[List[RouteDecl], List[str]]] = {}
        self._signatures: Dict[Tuple[str, int], Tuple[str, Tuple[Arg, ...]]] = {}
        self._in_progress: Set[Tuple[str, str]] = set()

    # -- classification --------------------------------------------------------------------
    def is_package(self, ref: Ref) -> Optional[bool]:
        if ref.key in (PACKAGE_SERVICE, INVOCABLE):
            return False
        return self.project.is_subclass(ref, PACKAGE_SERVICE)

    def is_mixin(self, ref: Optional[Ref]) -> Optional[bool]:
        if ref is None:
            return None
        return self.project.is_subclass(ref, PACKAGE_MIXIN)

    def is_invocable(self, ref: Ref) -> Optional[bool]:
        return self.project.is_subclass(ref, INVOCABLE)

    def packages(self, module: ModuleFacts) -> List[Ref]:
        """The PackageService subclasses defined in ``module``."""
        found = []
        for cls in module.classes:
            ref = Ref("class", module.name, cls.qualname)
            if self.is_package(ref):
                found.append(ref)
        return found

    # -- route decorators ------------------------------------------------------------------
    def route_decorator(
        self, module: ModuleFacts, function: FunctionFact
    ) -> Optional[Tuple[str, Expr, Optional[str]]]:
        """The route decorator of ``function``: (verb or '?', decorator, problem).

        ``problem`` is ``bare`` (``@post`` without a call), ``no_path`` (``@post()``) or None.
        Only the outermost route decorator counts: it is the one whose attributes survive.
        """
        for decorator in function.decorators:
            target = decorator.dotted if decorator.kind != "call" else decorator.func.dotted  # type: ignore[union-attr]
            if not target:
                continue
            ref = self.project.resolve(module, target)
            if ref is None:
                continue
            verb = ROUTE_DECORATORS.get(ref.key) if ref.kind == "function" else None
            if ref.kind == "external" and ref.module.startswith("steamship."):
                verb = {
                    "steamship.invocable.post": "POST",
                    "steamship.invocable.get": "GET",
                    "steamship.invocable.invocable.post": "POST",
                    "steamship.invocable.invocable.get": "GET",
                }.get(ref.module)
            is_endpoint = ref.kind == "function" and ref.key == ENDPOINT
            if verb is None and not is_endpoint:
                continue
            if decorator.kind != "call":
                return (verb or "?", decorator, "bare")
            if is_endpoint:
                verb_expr = decorator.keyword("verb") or (
                    decorator.items[0] if decorator.items else None
                )
                verb = self.verb_of(module, verb_expr) or "?"
                if decorator.keyword("path") is None and len(decorator.items) < 2:
                    return (verb, decorator, "no_path")
                return (verb, decorator, None)
            if not decorator.items and decorator.keyword("path") is None:
                return (verb or "?", decorator, "no_path")
            return (verb or "?", decorator, None)
        return None

    def verb_of(self, module: ModuleFacts, expr: Optional[Expr]) -> Optional[str]:
        """``Verb.GET`` → ``GET``; None when it is not a Verb member."""
        if expr is None or expr.kind != "attribute" or not expr.dotted:
            return None
        ref = self.project.resolve(module, expr.dotted)
        if ref is not None and ref.kind == "attribute":
            owner, _, member = ref.qualname.rpartition(".")
            if (ref.module, owner) == VERB and member in ("GET", "POST"):
                return member
        return None

    def literal(self, module: ModuleFacts, expr: Optional[Expr]) -> Tuple[bool, object]:
        """(known, value); an unknown value that surely is not str/bool/int/float is _OPAQUE."""
        known, value = self.project.constant(module, expr)
        if known:
            return True, value
        _, target = self.project.assigned_expr(module, expr)
        if target is not None and target.kind in ("list", "tuple", "dict", "set", "bytes", "complex"):
            return False, _OPAQUE  # surely not str/bool/int/float
        return False, None

    def declared_routes(self, ref: Ref) -> Tuple[List[RouteDecl], List[str]]:
        """``this_class_route_methods`` of ``find_route_methods``: the class's own routes in
        ``__dict__`` order, and notes on what could not be evaluated."""
        if ref.key in self._routes_memo:
            return self._routes_memo[ref.key]
        cls = self.project.class_fact(ref)
        module = self.project.class_module(ref)
        decls: List[RouteDecl] = []
        notes: List[str] = []
        if cls is not None and module is not None:
            for _, value in class_namespace(cls):
                if not isinstance(value, FunctionFact):
                    continue
                found = self.route_decorator(module, value)
                if found is None:
                    continue
                verb, decorator, problem = found
                if problem is not None:
                    if problem == "no_path":
                        notes.append(f"{ref.qualname}.{value.name}: route decorator without a path")
                    continue
                path_expr = decorator.keyword("path") or (
                    decorator.items[1]
                    if decorator.func is not None
                    and self._is_endpoint(module, decorator)
                    and len(decorator.items) > 1
                    else (decorator.items[0] if decorator.items else None)
                )
                known, raw = self.literal(module, path_expr)
                if not known or not isinstance(raw, str):
                    notes.append(f"{ref.qualname}.{value.name}: path is not a literal string")
                    continue
                config: Dict[str, object] = {}
                dropped: List[str] = []
                config_unknown = False
                skip = {"path", "verb"} if self._is_endpoint(module, decorator) else {"path"}
                for key, arg in decorator.keywords:
                    if key is None:
                        config_unknown = True
                        continue
                    if key in skip:
                        continue
                    ok, val = self.literal(module, arg)
                    if ok and isinstance(val, (str, bool, int, float)):
                        config[key] = val
                    elif ok or val is _OPAQUE or (arg.kind == "none"):
                        dropped.append(key)
                    else:
                        config_unknown = True  # the route exists either way: not a note
                decls.append(
                    RouteDecl(
                        verb,
                        raw,
                        config,
                        tuple(dropped),
                        config_unknown,
                        value.name,
                        ref,
                        Where(module.name, decorator.node),
                        value,
                        decorator,
                        path_expr,
                    )
                )
        self._routes_memo[ref.key] = (decls, notes)
        return decls, notes

    def _is_endpoint(self, module: ModuleFacts, decorator: Expr) -> bool:
        if decorator.kind != "call" or decorator.func is None:
            return False
        ref = self.project.resolve(module, decorator.func.dotted)
        return ref is not None and ref.key == ENDPOINT

    def find_route_methods(
        self, ref: Ref, events: Optional[List[Tuple[str, RouteDecl, RouteDecl]]] = None,
        notes: Optional[List[str]] = None, depth: int = 0,
    ) -> List[RouteDecl]:
        """``find_route_methods(cls)``: this class's routes, then its bases' routes whose raw
        path and verb this class does not have."""
        if depth > 50 or ref.kind != "class":
            return []
        base_routes: List[RouteDecl] = []
        bases = self.project.bases(ref)
        for base in bases:
            if base is None:
                if notes is not None:
                    notes.append(f"{ref.qualname}: a base class cannot be resolved")
                continue
            if base.kind == "class":
                base_routes.extend(self.find_route_methods(base, events, notes, depth + 1))
        own, own_notes = self.declared_routes(ref)
        if notes is not None:
            notes.extend(own_notes)
        this = list(own)
        if events is not None:
            seen: Dict[Tuple[str, str], RouteDecl] = {}
            for decl in own:
                key = (decl.verb, decl.path)
                if key in seen:
                    events.append(("duplicate", decl, seen[key]))
                seen[key] = decl
        for decl in base_routes:
            if not any(o.raw_path == decl.raw_path and o.verb == decl.verb for o in this):
                if events is not None:
                    for o in own:
                        if o.verb == decl.verb and o.path == decl.path:
                            events.append(("override_spelling", o, decl))
                this.append(decl)
        return this

    # -- from_class ------------------------------------------------------------------------
    def signature(self, defining: Ref, function: FunctionFact) -> Tuple[str, List[Arg]]:
        """The return repr and the args of ``function`` (defined in ``defining``), rendered once:
        a mixin's route appears in the spec of every package that uses it."""
        key = (defining.module, function.node)
        memo = self._signatures.get(key)
        if memo is None:
            module = self.project.module(defining.module)
            assert module is not None
            returns = render(self.project, module, function.returns, is_param=False).text
            args = []
            for param in function.params:
                if param.name == "self":
                    continue
                r = render(self.project, module, param.annotation, is_param=True)
                args.append(
                    Arg(param.name, r.text, r.values, r.certain, r.crash, Where(module.name, param.node))
                )
            memo = self._signatures[key] = (returns, tuple(args))
        return memo[0], list(memo[1])

    def method_spec(
        self,
        owner: Ref,
        name: str,
        verb: str,
        raw_path: str,
        config: Optional[Dict[str, object]],
        origin: str,
        decl: Optional[RouteDecl],
        site: Optional[Where] = None,
    ) -> Route:
        """``MethodSpec.from_class(owner, name, ...)``: signature from ``getattr(owner, name)``."""
        defining, found, known = self.project.lookup_attribute(owner, name)
        args: List[Arg] = []
        returns = "<class 'inspect._empty'>"
        doc = None
        function = found if isinstance(found, FunctionFact) else None
        args_known = function is not None
        if function is not None and defining is not None:
            returns, args = self.signature(defining, function)
            doc = function.doc
        owner_fact = self.project.class_fact(owner)
        return Route(
            verb=verb,
            path=clean_path(raw_path),
            raw_path=raw_path,
            returns=returns,
            doc=doc,
            args=args,
            config=config,
            class_name=owner_fact.name if owner_fact else owner.qualname.rpartition(".")[2],
            origin=origin,
            owner=owner,
            method_name=name,
            decl=decl,
            function=function,
            function_class=defining,
            site=site,
            args_known=args_known,
        )

    # -- class level -----------------------------------------------------------------------
    def class_spec(self, ref: Ref) -> Optional[Spec]:
        """``cls._package_spec`` right after the class statement ran."""
        if ref.key in self._class_specs:
            return self._class_specs[ref.key]
        if ref.key in self._in_progress or ref.kind != "class":
            return None
        if not self.is_invocable(ref) or ref.key == INVOCABLE:
            self._class_specs[ref.key] = None
            return None
        self._in_progress.add(ref.key)
        try:
            spec = self._build_class_spec(ref)
        finally:
            self._in_progress.discard(ref.key)
        self._class_specs[ref.key] = spec
        return spec

    def _build_class_spec(self, ref: Ref) -> Spec:
        project = self.project
        cls = project.class_fact(ref)
        assert cls is not None
        spec = Spec(ref, cls.name, cls.doc, project.steamship.version, None, "class")
        mro, complete = project.mro(ref)
        if not complete:
            spec.notes.append(f"{cls.name}: part of its class hierarchy cannot be resolved")
        parent: Optional[Spec] = None
        for ancestor in mro[1:]:
            if ancestor.kind == "class" and ancestor.key != INVOCABLE and self.is_invocable(ancestor):
                parent = self.class_spec(ancestor)
                break
        used: List[str] = []
        if parent is not None:
            used = list(parent.used_mixins or [])
            for route in parent.methods():
                spec.routes[(route.verb, route.path)] = route
            spec.notes.extend(note for note in parent.notes if note not in spec.notes)
        inherited_from_mixins = {
            key for key, route in spec.routes.items() if route.origin == "mixin"
        }
        events: List[Tuple[str, RouteDecl, RouteDecl]] = []
        for decl in self.find_route_methods(ref, events, spec.notes):
            route = self.method_spec(
                ref, decl.method_name, decl.verb, decl.raw_path, decl.config, "route", decl
            )
            key = (route.verb, route.path)
            if key in inherited_from_mixins:
                spec.events.append(Event("inherited_overwrite", "class", route, spec.routes[key]))
                inherited_from_mixins.discard(key)
            spec.routes[key] = route
        routes_by_decl = {id(route.decl): route for route in spec.routes.values() if route.decl}
        for kind, decl, other in events:
            route = self._route_for(ref, decl, routes_by_decl)
            other_route = self._route_for(ref, other, routes_by_decl)
            spec.events.append(Event(kind, "class", route, other_route))
        for verb, path, name, config in RESERVED:
            key = (verb, path)
            existing = spec.routes.get(key)
            if existing is not None and existing.origin != "reserved":
                spec.events.append(Event("reserved", "class", existing))
            spec.routes[key] = self.method_spec(
                ref, name, verb, path, dict(config) if config is not None else None, "reserved", None
            )
        if self.is_package(ref):
            for mixin, site, element in self.used_mixin_classes(ref, spec):
                if mixin is None:
                    continue
                qualified = f"{mixin.module}.{mixin.qualname}"
                spec.mixin_uses.append(MixinUse("class", site, mixin, "class", False, construct=element))
                if qualified not in used:
                    self.scan_mixin(spec, mixin, None, False, site)
                    used.append(qualified)
        spec.used_mixins = used
        return spec

    def _route_for(self, owner: Ref, decl: RouteDecl, known: Dict[int, Route]) -> Route:
        route = known.get(id(decl))
        if route is None:
            route = self.method_spec(
                owner, decl.method_name, decl.verb, decl.raw_path, decl.config, "route", decl
            )
        return route

    def used_mixin_classes(
        self, ref: Ref, spec: Spec
    ) -> List[Tuple[Optional[Ref], Where, Optional[Expr]]]:
        """The classes of ``cls.USED_MIXIN_CLASSES`` (looked up through the MRO), each with
        the place it is listed."""
        defining, found, known = self.project.lookup_attribute(ref, "USED_MIXIN_CLASSES")
        if not isinstance(found, AssignFact) or defining is None:
            if not known:
                spec.notes.append(f"{ref.qualname}: USED_MIXIN_CLASSES cannot be resolved")
            return []
        module = self.project.module(defining.module)
        if module is None or found.value is None:
            return []
        result: List[Tuple[Optional[Ref], Where, Optional[Expr]]] = []
        if not self._mixin_list(module, found.value, result, spec, 0):
            spec.notes.append(f"{ref.qualname}: USED_MIXIN_CLASSES is not a literal list")
        return result

    def _mixin_list(
        self, module: ModuleFacts, expr: Expr, out: list, spec: Spec, depth: int
    ) -> bool:
        if depth > 10:
            return False
        if expr.kind in ("list", "tuple"):
            ok = True
            for item in expr.items:
                if item.kind == "starred" and item.func is not None:
                    ok = self._mixin_list(module, item.func, out, spec, depth + 1) and ok
                    continue
                ref = self.project.resolve(module, item.dotted) if item.dotted else None
                if ref is None or ref.kind != "class":
                    spec.notes.append(f"USED_MIXIN_CLASSES entry {item.source} cannot be resolved")
                    out.append((None, Where(module.name, item.node), item))
                else:
                    out.append((ref, Where(module.name, item.node), item))
            return ok
        if expr.kind == "binop" and expr.op == "+":
            return all(self._mixin_list(module, side, out, spec, depth + 1) for side in expr.items)
        if (
            expr.kind == "call"
            and expr.func is not None
            and expr.func.dotted in ("list", "tuple")
            and len(expr.items) == 1
            and not expr.keywords
        ):
            ref = self.project.resolve(module, expr.func.dotted)
            if ref is not None and ref.kind == "builtin":
                return self._mixin_list(module, expr.items[0], out, spec, depth + 1)
        if expr.kind in ("name", "attribute") and expr.dotted:
            ref = self.project.resolve(module, expr.dotted)
            if ref is None:
                return False
            if ref.kind == "attribute":
                owner_name, _, attr = ref.qualname.rpartition(".")
                owner = Ref("class", ref.module, owner_name)
                defining, found, _ = self.project.lookup_attribute(owner, attr)
                if isinstance(found, AssignFact) and found.value is not None and defining:
                    target = self.project.module(defining.module)
                    if target is not None:
                        return self._mixin_list(target, found.value, out, spec, depth + 1)
            if ref.kind == "value":
                target = self.project.module(ref.module)
                if target is not None:
                    for assign in reversed(target.assigns):
                        if assign.target == ref.qualname and assign.value is not None:
                            return self._mixin_list(target, assign.value, out, spec, depth + 1)
        return False

    def scan_mixin(
        self,
        spec: Spec,
        mixin: Ref,
        instance: Optional[bool],
        permit: Optional[bool],
        site: Where,
        root: Optional[Where] = None,
    ) -> None:
        """``PackageService.scan_mixin``: add a mixin's routes, or record why the runtime
        would refuse them."""
        notes: List[str] = []
        decls = self.find_route_methods(mixin, None, notes)
        for note in notes:
            if note not in spec.notes:
                spec.notes.append(note)
        mixin_fact = self.project.class_fact(mixin)
        mixin_name = mixin_fact.name if mixin_fact else mixin.qualname
        for decl in decls:
            route = self.method_spec(
                mixin, decl.method_name, decl.verb, decl.raw_path, decl.config, "mixin", decl, site
            )
            comparison = decl.raw_path if decl.raw_path.startswith("/") else "/" + decl.raw_path
            existing_same = spec.routes.get((decl.verb, comparison))
            allow = bool(permit)
            if (
                existing_same is not None
                and existing_same.class_name == mixin_name
                and instance
            ):
                allow = True
            key = (route.verb, route.path)
            existing = spec.routes.get(key)
            if existing is not None:
                if not allow:
                    if permit is None:
                        spec.notes.append("add_mixin permit flag is not a literal")
                        continue
                    spec.events.append(Event("conflict", spec.level, route, existing, site, root or site))
                    spec.fails = True
                    continue
                if existing.class_name != mixin_name:
                    spec.events.append(Event("overwrite", spec.level, route, existing, site, root or site))
                elif existing.origin == "mixin" and existing.owner.key != mixin.key and not permit:
                    # Another class of the same __name__: the runtime takes it for the same mixin.
                    spec.events.append(Event("same_name", spec.level, route, existing, site, root or site))
            spec.routes[key] = route

    # -- instance level --------------------------------------------------------------------
    def instance_spec(self, ref: Ref) -> Optional[Spec]:
        """The spec of ``Cls(...)``: the class spec plus what ``__init__`` adds."""
        if ref.key in self._instance_specs:
            return self._instance_specs[ref.key]
        base = self.class_spec(ref)
        if base is None or not self.is_package(ref):
            self._instance_specs[ref.key] = None
            return None
        spec = base.clone("instance")
        spec.fails = False
        _InitWalker(self, spec, ref).run()
        self._instance_specs[ref.key] = spec
        return spec


class _OpaqueType:
    def __repr__(self) -> str:
        return "<opaque>"


_OPAQUE = _OpaqueType()


#: What a name holds, as far as ``add_mixin`` is concerned: surely the package being built
#: (``PKG``), perhaps it (``MAYBE``: pkgcheck cannot tell), or — ``None`` — something else.
PKG = "package"
MAYBE = "maybe"
#: how deep a chain of ``__init__``s, helpers and mixin constructors is followed, and how many
#: function bodies one package's walk may visit; beyond either the spec is marked incomplete
MAX_INIT_DEPTH = 20
MAX_INIT_WALKS = 2000
HANDED = "it is handed the package"


def _join(a: Optional[str], b: Optional[str]) -> Optional[str]:
    """The status of a name that holds either ``a`` or ``b``."""
    return a if a == b else MAYBE


@dataclass
class _Binding:
    """Which arguments of one call being followed hold the package.

    ``names``: the parameters (and, once the body is read, local names) holding it, PKG or
    MAYBE; ``star``: the ``*args`` tuple's elements, ``star_more`` the status of elements
    pkgcheck cannot place (``*unknown`` forwarded); ``kw`` / ``kw_more`` the same for
    ``**kwargs``.
    """

    names: Dict[str, str] = field(default_factory=dict)
    vararg: Optional[str] = None
    star: Tuple[Optional[str], ...] = ()
    star_more: Optional[str] = None
    varkw: Optional[str] = None
    kw: Dict[str, Optional[str]] = field(default_factory=dict)
    kw_more: Optional[str] = None

    @classmethod
    def unknown(cls, function: FunctionFact, bound_method: bool = True) -> "_Binding":
        """Arguments pkgcheck cannot place: any parameter may receive the package."""
        binding = cls(star_more=MAYBE, kw_more=MAYBE)
        for index, param in enumerate(function.params):
            if bound_method and index == 0 and param.kind in ("posonly", "normal"):
                continue  # self
            if param.kind == "vararg":
                binding.vararg = param.name
            elif param.kind == "varkw":
                binding.varkw = param.name
            else:
                binding.names[param.name] = MAYBE
        return binding

    def holds_package(self) -> bool:
        return bool(
            self.names
            or any(self.star)
            or self.star_more
            or any(self.kw.values())
            or self.kw_more
        )


class _InitWalker:
    """Follows ``__init__`` (and what it calls on ``self``) to find ``add_mixin`` calls, also
    inside mixins' constructors that are handed the package — however deep the mixins nest,
    and through the base classes' ``__init__`` they call.

    The package is ``self`` in the package's own methods; inside a mixin it is whatever the
    mixin was handed: a parameter the constructor call bound to the package (positionally, by
    keyword, or forwarded through ``*args``/``**kwargs``), a local name or ``self.<attr>``
    assigned from one. ``add_mixin`` on something that may or may not be the package adds a
    note (the spec is then incomplete and the rules stay quiet); on anything else it is not the
    package's.
    """

    def __init__(self, builder: SpecBuilder, spec: Spec, package: Ref) -> None:
        self.builder = builder
        self.project = builder.project
        self.spec = spec
        self.package = package
        self.mro, _ = self.project.mro(package)
        self.active: Set[Tuple[str, str, str]] = set()
        self.walks = 0
        #: the package's own add_mixin call being followed
        self.root_site: Optional[Where] = None

    def run(self) -> None:
        defining, function, known = self.project.lookup_attribute(self.package, "__init__")
        if isinstance(function, FunctionFact) and defining is not None:
            # The runtime instantiates a package with client/config/context: none of its
            # arguments is the package itself.
            binding = _Binding(
                vararg=_param_name(function, "vararg"), varkw=_param_name(function, "varkw")
            )
            self.walk_function(defining, function, "package", binding, {}, 0)
        elif not known:
            self.spec.notes.append("__init__ cannot be resolved")

    def note(self, text: str) -> None:
        if text not in self.spec.notes:
            self.spec.notes.append(text)

    def walk_function(
        self,
        cls: Ref,
        function: FunctionFact,
        context: str,
        binding: _Binding,
        attrs: Dict[str, Optional[str]],
        depth: int,
        mixin: Optional[Ref] = None,
    ) -> None:
        """Follow one call of ``function``; ``attrs`` are the attributes of the mixin object
        being constructed (shared by its ``__init__``, base ``__init__``s and helpers)."""
        key = (cls.module, cls.qualname, function.name)
        if key in self.active:
            # Re-entered while still running: the runtime recurses (without end, unless a
            # condition stops it). Nothing more is known.
            if context == "mixin":
                self.note(f"__init__ recursion through {function.qualname} is not followed")
            return
        if depth > MAX_INIT_DEPTH or self.walks >= MAX_INIT_WALKS:
            self.note(f"__init__ calls nest too deep to follow at {function.qualname}")
            return
        module = self.project.module(cls.module)
        if module is None:
            return
        self.walks += 1
        self.active.add(key)
        try:
            frame = replace(binding, names=dict(binding.names), kw=dict(binding.kw))
            names = frame.names
            params = {param.name for param in function.params}
            assigned: Dict[str, Optional[str]] = {}
            for name, value in function.local_assigns:
                status = self.status(value, context, frame, attrs)
                if name in assigned:
                    status = _join(assigned[name], status)
                elif name in params:
                    status = _join(names.get(name), status)
                assigned[name] = status
                if name == frame.vararg:
                    frame.vararg = None  # rebound: its elements are no longer known
                if name == frame.varkw:
                    frame.varkw = None
                if status is None:
                    names.pop(name, None)
                else:
                    names[name] = status
            if context == "mixin":
                for attr, value in function.self_assigns:
                    status = self.status(value, context, frame, attrs)
                    attrs[attr] = _join(attrs[attr], status) if attr in attrs else status
            #: constructor calls already followed in this body (``m = M(self)`` is followed
            #: where it stands; ``self.add_mixin(m)`` then only scans the mixin)
            constructed: Set[int] = set()
            for kind, payload in self._steps(module, function):
                if kind == "construct":
                    self.construct(module, payload, context, frame, attrs, depth, constructed)
                elif kind == "call":
                    call = module.calls[payload]
                    if call.method != "add_mixin" or call.receiver is None:
                        continue
                    status = self.status(call.receiver, context, frame, attrs)
                    if status == PKG:
                        self.add_mixin(
                            module, cls, function, call, context, depth, frame, attrs, constructed
                        )
                    elif status == MAYBE:
                        self.note(
                            f"add_mixin on {call.receiver.source} in {function.qualname}: "
                            "may be the package, pkgcheck cannot tell"
                        )
                elif kind == "self":
                    self.helper(payload, context, frame, attrs, depth, mixin)
                elif kind in ("super_init", "base_init"):
                    self.base_init(module, cls, kind, payload, context, frame, attrs, depth, mixin)
        finally:
            self.active.discard(key)

    def _steps(self, module: ModuleFacts, function: FunctionFact) -> List[Tuple[str, object]]:
        """The function's events, with the constructor calls assigned to a name or an
        attribute (``self.storage = StorageMixin(package)``) as ``("construct", call)`` steps,
        in source order (node ids are given in visit order)."""
        constructions = []
        for _, value in (*function.local_assigns, *function.self_assigns):
            if value.kind == "call" and value.func is not None and value.func.dotted:
                constructions.append(value)
        if not constructions:
            return list(function.events)
        steps: List[Tuple[int, str, object]] = []
        for kind, payload in function.events:
            if kind == "call":
                node = module.calls[payload].node
            else:
                node = payload.node if isinstance(payload, Expr) else -1
            steps.append((node, kind, payload))
        for value in constructions:
            steps.append((value.node, "construct", value))
        steps.sort(key=lambda step: step[0])
        return [(kind, payload) for _, kind, payload in steps]

    def construct(
        self,
        module: ModuleFacts,
        call: Expr,
        context: str,
        frame: _Binding,
        attrs: Dict[str, Optional[str]],
        depth: int,
        constructed: Set[int],
    ) -> None:
        """``x = C(...)``: a new object whose ``__init__`` may add mixins to the package it is
        handed (a mixin added later, or a helper object never added at all)."""
        assert call.func is not None
        ref = self.project.resolve(module, call.func.dotted or "")
        if ref is None or ref.kind != "class" or call.node in constructed:
            return
        constructed.add(call.node)
        defining, init, known = self.project.lookup_attribute(ref, "__init__")
        if not isinstance(init, FunctionFact) or defining is None:
            # A helper class whose __init__ pkgcheck cannot see is taken not to add mixins;
            # a mixin's may well.
            if not known and self.builder.is_mixin(ref):
                if self.bind(call, call.items, None, context, frame, attrs).holds_package():
                    self.note(f"__init__ of {ref.qualname} cannot be resolved; {HANDED}")
            return
        binding = self.bind(call, call.items, init, context, frame, attrs)
        if not binding.holds_package():
            return
        if context == "package":
            self.root_site = Where(module.name, call.node)
        self.walk_function(defining, init, "mixin", binding, {}, depth + 1, ref)

    def helper(
        self,
        call: object,
        context: str,
        frame: _Binding,
        attrs: Dict[str, Optional[str]],
        depth: int,
        mixin: Optional[Ref],
    ) -> None:
        """``self.name(...)``: a method of the same object, with the call's arguments."""
        owner = self.package if context == "package" else mixin
        if owner is None or not isinstance(call, Expr) or call.func is None or not call.func.dotted:
            return
        name = call.func.dotted.partition(".")[2]
        defining, target, _ = self.project.lookup_attribute(owner, name)
        if not isinstance(target, FunctionFact) or defining is None:
            return
        decorators = {d.dotted for d in target.decorators}
        if decorators <= {"classmethod"} and call.kind == "call":
            binding = self.bind(call, call.items, target, context, frame, attrs)
        else:
            # A static method, or a decorator that may change the signature: any parameter
            # may receive the package.
            binding = _Binding.unknown(target, "staticmethod" not in decorators)
        self.walk_function(defining, target, context, binding, attrs, depth + 1, mixin)

    def status(
        self, expr: Expr, context: str, frame: _Binding, attrs: Dict[str, Optional[str]]
    ) -> Optional[str]:
        """Whether ``expr``, evaluated in the function being followed, is the package."""
        if expr.kind == "name" and expr.dotted:
            if expr.dotted == "self":
                return PKG if context == "package" else None
            return frame.names.get(expr.dotted)
        if (
            context == "mixin"
            and expr.kind == "attribute"
            and expr.dotted is not None
            and expr.dotted.count(".") == 1
            and expr.dotted.startswith("self.")
        ):
            return attrs.get(expr.dotted[5:])
        return None

    def base_init(
        self,
        module: ModuleFacts,
        cls: Ref,
        kind: str,
        call: object,
        context: str,
        frame: _Binding,
        attrs: Dict[str, Optional[str]],
        depth: int,
        mixin: Optional[Ref],
    ) -> None:
        """``super().__init__(...)`` or ``Base.__init__(self, ...)``: the same object's base
        ``__init__``, with the arguments of the call."""
        if not isinstance(call, Expr) or call.kind != "call":
            return  # facts from before the call was recorded
        owner = self.package if context == "package" else mixin
        if owner is None:
            return
        items = call.items
        if kind == "super_init":
            found, known = self._next_init(owner, cls)
            what = f"super().__init__ in {cls.qualname}"
        else:
            base_expr = call.func.func if call.func is not None else None
            dotted = base_expr.dotted if base_expr is not None else None
            if not dotted or not items or items[0].kind != "name" or items[0].dotted != "self":
                # Another object's __init__ (``Base.__init__(other, invocable)``), or one
                # pkgcheck cannot name: what it does with the package is not followed.
                if self.bind(call, items, None, context, frame, attrs).holds_package():
                    self.note(f"__init__ called as {call.source} is not followed; {HANDED}")
                return
            items = items[1:]
            base = self.project.resolve(module, dotted)
            found, known = None, False
            if base is not None and base.kind == "class":
                defining, target, known = self.project.lookup_attribute(base, "__init__")
                if isinstance(target, FunctionFact) and defining is not None:
                    found = (defining, target)
            what = f"{dotted}.__init__"
        binding = self.bind(call, items, found[1] if found else None, context, frame, attrs)
        if found is None:
            if not known and binding.holds_package():
                self.note(f"__init__ called by {what} cannot be resolved; {HANDED}")
            return
        self.walk_function(found[0], found[1], context, binding, attrs, depth + 1, mixin)

    def bind(
        self,
        call: Expr,
        items: Tuple[Expr, ...],
        init: Optional[FunctionFact],
        context: str,
        frame: _Binding,
        attrs: Dict[str, Optional[str]],
    ) -> _Binding:
        """Which parameters of ``init`` the call's arguments that are the package land in, as
        Python binds them (``init`` None: only whether any argument may be the package)."""
        values: List[Optional[str]] = []  # positional arguments, in place
        placed = True  # False after a ``*splat`` of unknown length
        more: Optional[str] = None  # positional arguments at unknown places
        for item in items:
            if item.kind == "starred" and item.func is not None:
                inner = item.func
                if inner.kind == "name" and inner.dotted and inner.dotted == frame.vararg:
                    elements, rest = frame.star, frame.star_more  # forwarded ``*args``
                else:
                    elements, rest = (), MAYBE  # unknown contents
                if placed:
                    values.extend(elements)
                elif any(elements):
                    more = MAYBE
                if rest is not None:
                    placed = False
                    more = MAYBE
            else:
                status = self.status(item, context, frame, attrs)
                if placed:
                    values.append(status)
                elif status is not None:
                    more = MAYBE
        keywords: Dict[str, Optional[str]] = {}
        kw_more: Optional[str] = None
        for key, value in call.keywords:
            if key is not None:
                keywords[key] = self.status(value, context, frame, attrs)
            elif value.kind == "name" and value.dotted and value.dotted == frame.varkw:
                keywords.update(frame.kw)  # forwarded ``**kwargs``
                if frame.kw_more is not None:
                    kw_more = MAYBE
            else:
                kw_more = MAYBE  # unknown contents
        if init is None:
            # An __init__ pkgcheck cannot see: only whether it is handed the package at all.
            handed = any(values) or more or any(keywords.values()) or kw_more
            return _Binding(star_more=MAYBE) if handed else _Binding()
        binding = _Binding()
        params = list(init.params)
        if params and params[0].kind in ("posonly", "normal"):
            params = params[1:]  # the instance
        positional = [p for p in params if p.kind in ("posonly", "normal")]
        named = {p.name for p in params if p.kind in ("normal", "kwonly")}

        def by_keyword(name: str) -> Optional[str]:
            if name in keywords:
                return keywords[name]
            return MAYBE if kw_more else None  # perhaps in the splat, perhaps the default

        for index, param in enumerate(positional):
            if index < len(values):
                status = values[index]
            elif not placed:
                # filled from the splat, by keyword, or left to its default
                by_name = param.kind == "normal" and by_keyword(param.name)
                status = MAYBE if more or by_name else None
            elif param.kind == "normal":
                status = by_keyword(param.name)
            else:
                status = None
            if status is not None:
                binding.names[param.name] = status
        for param in params:
            if param.kind == "kwonly":
                status = by_keyword(param.name)
                if status is not None:
                    binding.names[param.name] = status
            elif param.kind == "vararg":
                binding.vararg = param.name
                binding.star = tuple(values[len(positional) :])
                binding.star_more = more if not placed else None
            elif param.kind == "varkw":
                binding.varkw = param.name
                binding.kw = {k: v for k, v in keywords.items() if k not in named and v is not None}
                binding.kw_more = kw_more
        return binding

    def _next_init(
        self, owner: Ref, after: Ref
    ) -> Tuple[Optional[Tuple[Ref, FunctionFact]], bool]:
        """The ``__init__`` that ``super().__init__`` in class ``after`` calls on an ``owner``
        object, and whether pkgcheck knows (False: a class on the way it cannot see)."""
        mro, complete = self.project.mro(owner)
        keys = [item.key for item in mro]
        if after.key not in keys:
            return None, False
        for item in mro[keys.index(after.key) + 1 :]:
            if item.kind != "class":
                if item.kind == "external" and item.module not in ("abc.ABC", "typing.Generic"):
                    complete = False
                continue
            cls = self.project.class_fact(item)
            if cls is None:
                return None, False
            found = class_attribute(cls, "__init__")
            if isinstance(found, FunctionFact):
                return (item, found), True
        return None, complete

    def add_mixin(
        self,
        module: ModuleFacts,
        cls: Ref,
        function: FunctionFact,
        call: CallFact,
        context: str,
        depth: int,
        frame: _Binding,
        attrs: Dict[str, Optional[str]],
        constructed: Set[int],
    ) -> None:
        args = call.call.items
        argument = call.call.keyword("mixin") or (args[0] if args else None)
        permit_expr = call.call.keyword(PERMIT_FLAG) or (args[1] if len(args) > 1 else None)
        permit: Optional[bool] = False
        if permit_expr is not None:
            permit = permit_expr.value if permit_expr.kind == "bool" else None
        site = Where(module.name, call.node)
        if context == "package":
            self.root_site = site
        use = MixinUse(
            "instance", site, None, "unknown", permit, call, function.qualname, call.conditional,
            root=self.root_site,
        )
        self.spec.mixin_uses.append(use)
        construct = self._constructor(function, argument, cls)
        if construct is None:
            self.spec.notes.append(f"add_mixin argument {argument.source if argument else '?'} unknown")
            return
        kind, mixin_ref, ctor = construct
        use.mixin = mixin_ref
        use.argument = kind
        use.construct = ctor
        if kind != "instance" or mixin_ref is None:
            return
        if not self.builder.is_mixin(mixin_ref):
            return
        # The argument is evaluated first: the mixin's constructor may add mixins itself.
        if ctor is not None and ctor.node not in constructed:
            constructed.add(ctor.node)
            self._walk_constructor(mixin_ref, ctor, context, frame, attrs, depth)
        self.builder.scan_mixin(self.spec, mixin_ref, True, permit, site, self.root_site)

    def _constructor(
        self, function: FunctionFact, argument: Optional[Expr], cls: Ref
    ) -> Optional[Tuple[str, Optional[Ref], Optional[Expr]]]:
        module = self.project.module(cls.module)
        if argument is None or module is None:
            return None
        expr = argument
        # Follow one local or self-attribute assignment: ``m = M(...); self.add_mixin(m)``.
        if expr.kind == "name":
            for name, value in reversed(function.local_assigns):
                if name == expr.dotted:
                    expr = value
                    break
        elif expr.kind == "attribute" and expr.dotted and expr.dotted.startswith("self."):
            attr = expr.dotted[5:]
            for name, value in reversed(function.self_assigns):
                if name == attr:
                    expr = value
                    break
        if expr.kind == "call" and expr.func is not None and expr.func.dotted:
            ref = self.project.resolve(module, expr.func.dotted)
            if ref is None:
                return None
            if ref.kind == "class":
                return ("instance", ref, expr)
            if ref.kind == "function":
                # A factory: trust its return annotation, else the result is unknown.
                returned = self._returned_class(ref)
                return ("instance", returned, None) if returned is not None else None
            return None
        if expr.kind in ("name", "attribute") and expr.dotted:
            ref = self.project.resolve(module, expr.dotted)
            if ref is not None and ref.kind == "class":
                return ("class", ref, None)
            return None
        if expr.is_literal or expr.kind in ("list", "tuple", "dict", "set", "fstring"):
            return ("other", None, None)
        return None

    def _returned_class(self, ref: Ref) -> Optional[Ref]:
        module = self.project.module(ref.module)
        if module is None:
            return None
        for function in module.functions:
            if function.scope == "module" and function.name == ref.qualname and function.returns:
                annotation = function.returns
                dotted = annotation.value if annotation.kind == "str" else annotation.dotted
                if isinstance(dotted, str) and dotted.replace(".", "").isidentifier():
                    found = self.project.resolve(module, dotted)
                    if found is not None and found.kind == "class":
                        return found
        return None

    def _walk_constructor(
        self,
        mixin: Ref,
        ctor: Expr,
        context: str,
        frame: _Binding,
        attrs: Dict[str, Optional[str]],
        depth: int,
    ) -> None:
        """``M(...)`` constructs a new mixin object: follow its ``__init__`` with the package
        bound to whichever parameters the call hands it to."""
        defining, init, known = self.project.lookup_attribute(mixin, "__init__")
        if not isinstance(init, FunctionFact) or defining is None:
            handed = self.bind(ctor, ctor.items, None, context, frame, attrs).holds_package()
            if not known and handed:
                self.note(f"__init__ of {mixin.qualname} cannot be resolved; {HANDED}")
            return
        binding = self.bind(ctor, ctor.items, init, context, frame, attrs)
        if binding.holds_package():
            self.walk_function(defining, init, "mixin", binding, {}, depth + 1, mixin)


def _param_name(function: FunctionFact, kind: str) -> Optional[str]:
    for param in function.params:
        if param.kind == kind:
            return param.name
    return None


def iter_package_specs(
    builder: SpecBuilder, modules: List[ModuleFacts], level: str
) -> Iterator[Tuple[str, Spec]]:
    found: List[Tuple[Ref, Spec]] = []
    for module in modules:
        for ref in builder.packages(module):
            spec = builder.instance_spec(ref) if level == "instance" else builder.class_spec(ref)
            if spec is not None:
                found.append((ref, spec))
    if level == "class":
        share_used_mixins(builder, found)
    for ref, spec in found:
        yield f"{ref.module}.{ref.qualname}", spec


def share_used_mixins(builder: SpecBuilder, found: List[Tuple[Ref, Spec]]) -> None:
    """Mirror the runtime's shared ``used_mixins`` list (steamship 2.17.34).

    A subclass reuses its parent's list *object* when that list is non-empty, and appends its
    own mixins to it: once every class is defined, all classes sharing the list show every
    mixin any of them listed. The classes are taken in the order given (modules by name, classes
    in source order), which is the import order of a project imported module by module.
    """
    owner: Dict[Tuple[str, str], Tuple[str, str]] = {}

    def owner_of(ref: Ref) -> Tuple[str, str]:
        if ref.key in owner:
            return owner[ref.key]
        result = owner[ref.key] = ref.key  # an inheritance cycle ends here
        mro, _ = builder.project.mro(ref)
        for ancestor in mro[1:]:
            if ancestor.key == ref.key:
                break
            if ancestor.kind == "class" and builder.is_package(ancestor):
                parent = builder.class_spec(ancestor)
                if parent is not None and parent.used_mixins:
                    result = owner_of(ancestor)
                break
        owner[ref.key] = result
        return result

    groups: Dict[Tuple[str, str], List[str]] = {}
    members: Dict[Tuple[str, str], List[Spec]] = {}
    for ref, spec in found:
        key = owner_of(ref)
        shared = groups.setdefault(key, [])
        for name in spec.used_mixins or []:
            if name not in shared:
                shared.append(name)
        members.setdefault(key, []).append(spec)
    for key, specs in members.items():
        if len(specs) > 1:
            for spec in specs:
                spec.used_mixins = list(groups[key])
