"""The static ``PackageSpec``: what the steamship release in use builds for a package,
without running it.

This module mirrors, step by step, ``Invocable.__init_subclass__``, ``find_route_methods``,
``merge_routes_respecting_override``, ``PackageService.__init_subclass__`` / ``scan_mixin`` /
``add_mixin`` and ``PackageSpec.add_method`` of 2.17.34; where a release does otherwise, a
switch of its :class:`~linter.sdk.releases.Runtime` (``project.behaviour``) says what it does.
Where the runtime would raise or silently replace something, the builder records an
:class:`Event` for the rules instead; where pkgcheck cannot know something, it records a note
and marks the spec incomplete, so rules can stay quiet rather than guess.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, FrozenSet, Iterator, List, Optional, Set, Tuple

from linter.project.index import Project, Ref, class_namespace
from linter.sdk.steamship import PACKAGE_MIXIN, ROUTE_VERBS
from linter.semantic.init_walk import InitWalker
from linter.semantic.model import Arg, Event, MixinUse, Route, RouteDecl, Spec, Where, clean_path
from linter.semantic.typerepr import enum_values_of, render
from linter.source.facts import AssignFact, Expr, FunctionFact, ModuleFacts


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
        behaviour = self.project.behaviour
        if ref.key in (behaviour.package_class, behaviour.invocable_class):
            return False
        return self.project.is_subclass(ref, behaviour.package_class)

    def is_mixin(self, ref: Optional[Ref]) -> Optional[bool]:
        if ref is None:
            return None
        return self.project.is_subclass(ref, PACKAGE_MIXIN)

    def is_invocable(self, ref: Ref) -> Optional[bool]:
        return self.project.is_subclass(ref, self.project.behaviour.invocable_class)

    def packages(self, module: ModuleFacts) -> List[Ref]:
        """The packages defined in ``module`` (subclasses of the release's package class)."""
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
            route_module = self.project.behaviour.route_module
            verb = ROUTE_VERBS.get(ref.qualname) if ref.kind == "function" and ref.module == route_module else None
            if ref.kind == "external" and ref.module.startswith("steamship."):
                verb = {
                    "steamship.invocable.post": "POST",
                    "steamship.invocable.get": "GET",
                    "steamship.invocable.invocable.post": "POST",
                    "steamship.invocable.invocable.get": "GET",
                }.get(ref.module)
            is_endpoint = ref.kind == "function" and ref.key == (route_module, "endpoint")
            if verb is None and not is_endpoint:
                continue
            if decorator.kind != "call":
                return (verb or "?", decorator, "bare")
            # @post(**options), @post(*args): the path may well be in them
            splat = any(key is None for key, _ in decorator.keywords) or any(
                item.kind == "starred" for item in decorator.items
            )
            if is_endpoint:
                verb_expr = decorator.keyword("verb") or (
                    decorator.items[0] if decorator.items else None
                )
                verb = self.verb_of(module, verb_expr) or "?"
                if decorator.keyword("path") is None and len(decorator.items) < 2 and not splat:
                    return (verb, decorator, "no_path")
                return (verb, decorator, None)
            if not decorator.items and decorator.keyword("path") is None and not splat:
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
            if (ref.module, owner) == self.project.behaviour.verb_class and member in ("GET", "POST"):
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
        return ref is not None and ref.key == (self.project.behaviour.route_module, "endpoint")

    def find_route_methods(
        self, ref: Ref, events: Optional[List[Tuple[str, RouteDecl, RouteDecl]]] = None,
        notes: Optional[List[str]] = None, depth: int = 0, path: FrozenSet[Tuple[str, str]] = frozenset(),
    ) -> List[RouteDecl]:
        """``find_route_methods(cls)``: this class's routes, then its bases' routes whose raw
        path and verb this class does not have.

        A base that is already on the way down (``path``: ``class Alpha(Alpha, b.Alpha)``, two
        modules' classes inheriting from each other) is skipped: no such class can be created
        at run time, and following it again would walk the cycle once per path through it —
        2 ** 50 calls for a class that names itself twice (found by
        test_steamship_projects_at_scale, which never finished)."""
        if depth > 50 or ref.kind != "class":
            return []
        if not self.project.behaviour.routes_from_every_ancestor:
            return self._direct_route_methods(ref, events, notes)
        here = path | {(ref.module, ref.qualname)}
        base_routes: List[RouteDecl] = []
        bases = self.project.bases(ref)
        for base in bases:
            if base is None:
                if notes is not None:
                    notes.append(f"{ref.qualname}: a base class cannot be resolved")
                continue
            if base.kind == "class" and (base.module, base.qualname) not in here:
                base_routes.extend(self.find_route_methods(base, events, notes, depth + 1, here))
        own = self._own_route_methods(ref, events, notes)
        this = list(own)
        for decl in base_routes:
            if not any(o.raw_path == decl.raw_path and o.verb == decl.verb for o in this):
                if events is not None:
                    for o in own:
                        if o.verb == decl.verb and o.path == decl.path:
                            events.append(("override_spelling", o, decl))
                this.append(decl)
        return this

    def _direct_route_methods(
        self, ref: Ref, events: Optional[List[Tuple[str, RouteDecl, RouteDecl]]], notes: Optional[List[str]]
    ) -> List[RouteDecl]:
        """Route collection before 2.17.14: the direct bases' own routes (from 2.1.22 on), then
        the class's, in that order (each registered over the ones before it)."""
        found: List[RouteDecl] = []
        for base in self.project.bases(ref) if self.project.behaviour.routes_from_bases else ():
            if base is None:
                if notes is not None:
                    notes.append(f"{ref.qualname}: a base class cannot be resolved")
            elif base.kind == "class":
                found.extend(self.declared_routes(base)[0])
        return found + self._own_route_methods(ref, events, notes)

    def _own_route_methods(
        self, ref: Ref, events: Optional[List[Tuple[str, RouteDecl, RouteDecl]]], notes: Optional[List[str]]
    ) -> List[RouteDecl]:
        """The routes declared in the class itself; two of one verb and path are a
        ``duplicate`` event (the later one wins)."""
        own, own_notes = self.declared_routes(ref)
        if notes is not None:
            notes.extend(own_notes)
        if events is not None:
            seen: Dict[Tuple[str, str], RouteDecl] = {}
            for decl in own:
                key = (decl.verb, decl.path)
                if key in seen:
                    events.append(("duplicate", decl, seen[key]))
                seen[key] = decl
        return list(own)

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
                values, crash = enum_values_of(self.project.behaviour.enum_values, r)
                args.append(Arg(param.name, r.text, values, r.certain, crash, Where(module.name, param.node)))
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
        behaviour = self.project.behaviour
        return Route(
            verb=verb,
            path=clean_path(raw_path, behaviour.strips_double_slash),
            raw_path=raw_path,
            returns=returns,
            doc=doc,
            args=args,
            config=config if behaviour.route_config else None,
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
        if not self.is_invocable(ref) or ref.key == self.project.behaviour.invocable_class:
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
        behaviour = project.behaviour
        cls = project.class_fact(ref)
        assert cls is not None
        version = project.steamship.version if behaviour.sdk_version_field else None
        spec = Spec(ref, cls.name, cls.doc, version, None, "class", runtime=behaviour)
        if behaviour.listing != "table":
            spec.listing = []
        mro, complete = project.mro(ref)
        if not complete:
            unknown = ", ".join(project.unknown_bases(ref)) or "an inheritance cycle or inconsistent order"
            spec.notes.append(f"{cls.name}: part of its class hierarchy cannot be resolved: {unknown}")
        parent: Optional[Spec] = None
        for ancestor in mro[1:]:
            if ancestor.kind == "class" and ancestor.key != behaviour.invocable_class and self.is_invocable(ancestor):
                parent = self.class_spec(ancestor)
                break
        used: List[str] = []
        if parent is not None and behaviour.inherits != "nothing":
            used = list(parent.used_mixins or [])
            served_only = behaviour.inherits == "dispatch"
            for route in parent.methods():
                spec.routes[(route.verb, route.path)] = replace(route, listed=False) if served_only else route
            if spec.listing is not None and not served_only:
                spec.listing.extend(parent.listed())
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
            _list_route(spec, route)
        routes_by_decl = {id(route.decl): route for route in spec.routes.values() if route.decl}
        for kind, decl, other in events:
            route = self._route_for(ref, decl, routes_by_decl)
            other_route = self._route_for(ref, other, routes_by_decl)
            spec.events.append(Event(kind, "class", route, other_route))
        for verb, path, name, config in behaviour.reserved:
            key = (verb, path)
            existing = spec.routes.get(key)
            if existing is not None and existing.origin != "reserved":
                spec.events.append(Event("reserved", "class", existing))
            route = self.method_spec(
                ref, name, verb, path, dict(config) if config is not None else None, "reserved", None
            )
            route.listed = key in behaviour.listed_reserved
            spec.routes[key] = route
            if route.listed:
                _list_route(spec, route)
        if self.is_package(ref) and behaviour.used_mixin_classes != "ignored":
            rescan = behaviour.used_mixin_classes == "rescanned"
            for mixin, site, element in self.used_mixin_classes(ref, spec):
                if mixin is None:
                    continue
                qualified = f"{mixin.module}.{mixin.qualname}"
                spec.mixin_uses.append(MixinUse("class", site, mixin, "class", False, construct=element))
                if rescan or qualified not in used:
                    self.scan_mixin(spec, mixin, None, False, site)
                    used.append(qualified)
        spec.used_mixins = used if behaviour.used_mixins_field else None
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
        behaviour = self.project.behaviour
        for decl in decls:
            route = self.method_spec(
                mixin, decl.method_name, decl.verb, decl.raw_path, decl.config, "mixin", decl, site
            )
            if behaviour.mixin_lookup_adds_slash or not decl.raw_path.startswith("/"):
                comparison = "/" + decl.raw_path
            else:
                comparison = decl.raw_path
            existing_same = spec.routes.get((decl.verb, comparison))
            allow = bool(permit)
            if (
                behaviour.mixin_readds_replace
                and existing_same is not None
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
        if self.project.behaviour.mixins:  # no add_mixin before steamship 2.17.1
            InitWalker(self, spec, ref).run()
        self._instance_specs[ref.key] = spec
        return spec


def _list_route(spec: Spec, route: Route) -> None:
    """Register ``route`` in a spec that lists its routes: appended (before 2.17.0, every
    registration is listed) or in place of the entry of the same verb and path (2.17.0)."""
    if spec.listing is None:
        return
    if spec.runtime.listing == "replace":
        for index, listed in enumerate(spec.listing):
            if (listed.verb, listed.path) == (route.verb, route.path):
                spec.listing[index] = route
                return
    spec.listing.append(route)


class _OpaqueType:
    def __repr__(self) -> str:
        return "<opaque>"


_OPAQUE = _OpaqueType()


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
