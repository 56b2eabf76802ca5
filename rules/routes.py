"""SHP0xx–SHP1xx: files pkgcheck cannot read, and route declarations."""

from __future__ import annotations

from typing import Iterator, List, Optional, Tuple

from linter.project.index import Ref
from linter.semantic.context import Context
from linter.semantic.model import RouteDecl, Where, clean_path
from linter.source.facts import FunctionFact, ModuleFacts
from rules import Finding, Rule


class UnparsableFile(Rule):
    """A file pkgcheck cannot read or parse.

    Reported by the standalone checker only: flake8 reports the same file as E999 itself.

    ## Why is this bad?
    Nothing in the file is checked: a route conflict or a misspelt ``invoke_later`` in it goes
    unnoticed until the deployed package fails to import.

    ## Not reported
    A file that a directory walk finds but the prefilter leaves out (it mentions neither
    ``steamship`` nor ``invoke_later`` and imports no project module that does) is never checked,
    so it is not reported even when it does not parse; a file named on the command line always is.
    Modules read only as context, and steamship's own source, are not reported either.

    ## Example
    ```python
    from steamship.invocable import PackageService, post

    class Broken(PackageService):
        @post("x"
        def x(self) -> str: ...
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post

    class Fixed(PackageService):
        @post("x")
        def x(self) -> str:
            return "x"
    ```
    """

    code = "SHP001"
    message = "{problem}; nothing in this file is checked"
    only = "cli"

    def check(self, context: Context) -> Iterator[Finding]:
        # Files without facts have no nodes to point at: the checker turns each ParseFailure
        # into SHP001 itself, with the parser's own position.
        return iter(())


def route_classes(context: Context) -> Iterator[Tuple[ModuleFacts, Ref, str]]:
    """Project classes whose routes the runtime reads: (module, class, "package" or "mixin")."""
    for module, _, ref in context.classes():
        if context.builder.is_invocable(ref):
            yield module, ref, "package"
        elif context.builder.is_mixin(ref):
            yield module, ref, "mixin"


def declared(context: Context, ref: Ref) -> List[RouteDecl]:
    return context.builder.declared_routes(ref)[0]


def all_functions(module: ModuleFacts) -> Iterator[FunctionFact]:
    yield from module.functions
    for cls in module.classes:
        yield from cls.methods


def route_label(decl: RouteDecl) -> str:
    return f"{decl.verb} {decl.path}"


class DuplicateRoute(Rule):
    """Two routes of one class have the same verb and normalised path.

    ## Why is this bad?
    Steamship 2.17.34 registers a class's routes in definition order with overwriting
    allowed: the later method silently takes the route and the earlier one is never served.
    Paths are normalised first, so ``@post("x")`` and ``@post("/x")`` are the same route.

    ## Not reported
    A route that repeats a base class's route: that is an override (SHP103 when the spellings
    differ). Two routes on methods of the same name: the class keeps only the last method, so only
    its route exists. Routes whose path is not a literal string pkgcheck can evaluate, and classes
    whose kind an unresolved base hides, are not checked.

    ## Example
    ```python
    from steamship.invocable import PackageService, post

    class Notes(PackageService):
        @post("add")
        def add(self, text: str) -> str:
            return text

        @post("/add")
        def add_many(self, texts: list) -> str:
            return ",".join(texts)
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post

    class Notes(PackageService):
        @post("add")
        def add(self, text: str) -> str:
            return text

        @post("add_many")
        def add_many(self, texts: list) -> str:
            return ",".join(texts)
    ```
    """

    code = "SHP101"
    message = (
        "{route} of {method} repeats the route of {other} ({other_at}); the later one silently "
        "wins, so {other} is never served"
    )

    def check(self, context: Context) -> Iterator[Finding]:
        for _, ref, _ in route_classes(context):
            seen = {}
            for decl in declared(context, ref):
                key = (decl.verb, decl.path)
                if decl.verb == "?":
                    continue  # a verb pkgcheck cannot evaluate: two of them may well differ
                if key in seen:
                    first = seen[key]
                    yield self.finding(
                        decl.decorator,
                        route=route_label(decl),
                        method=decl.method_name,
                        other=first.method_name,
                        other_at=first.decorator,
                    )
                seen[key] = decl


class ReservedRoute(Rule):
    """A route at a verb and path steamship reserves for itself.

    ## Why is this bad?
    Every package gets ``GET /__dir__``, ``POST /__dir__`` and ``POST /__instance_init__``,
    registered after the package's own routes with overwriting allowed (steamship 2.17.34,
    ``Invocable.__init_subclass__``). A route of yours at one of them is silently replaced and
    never served.

    Releases: ``/__dir__`` is reserved from steamship 2.2.0 on, ``POST /__instance_init__``
    from 2.15.0 on; pkgcheck follows the release the project uses.

    ## Not reported
    A mixin's route at a reserved verb and path: ``scan_mixin`` refuses it with
    ``RouteConflictError``, which SHP301 reports. The same path under another verb
    (``GET /__instance_init__``) is an ordinary route. Nothing under a release that does not reserve
    the route (see Releases), nor routes whose path pkgcheck cannot evaluate.

    ## Example
    ```python
    from steamship.invocable import PackageService, get

    class Inspect(PackageService):
        @get("__dir__")
        def describe(self) -> dict:
            return {}
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, get

    class Inspect(PackageService):
        @get("describe")
        def describe(self) -> dict:
            return {}
    ```
    """

    code = "SHP102"
    message = "{route} is reserved by steamship; {method} is silently replaced by the built-in route and never served"

    def check(self, context: Context) -> Iterator[Finding]:
        reserved = {(verb, path) for verb, path, _, _ in context.project.behaviour.reserved}
        for _, ref, kind in route_classes(context):
            if kind != "package":
                continue  # a mixin's reserved route is a RouteConflictError: SHP301
            for decl in declared(context, ref):
                if (decl.verb, decl.path) in reserved:
                    yield self.finding(decl.decorator, route=route_label(decl), method=decl.method_name)


class OverrideSpelling(Rule):
    """A subclass route overrides a base route but spells the path differently.

    ## Why is this bad?
    ``merge_routes_respecting_override`` (steamship 2.17.34) decides that a subclass route
    overrides a base route by comparing the *raw* path strings, before normalisation. Base
    ``@post("/x")`` and subclass ``@post("x")`` are the same route, but not an override: both
    are registered, the base's last, so the base method keeps serving ``POST /x`` and the
    override is dead code. This holds from steamship 2.17.14, when route collection became
    recursive; up to 2.17.13 the class's own routes are registered after its bases' and the
    override wins, so pkgcheck reports this only under 2.17.14 and later.

    ## Not reported
    Under steamship up to 2.17.13, where the override wins. An override that spells the path as its
    base does, or the same path under another verb (another route). Only the class that declares the
    misspelt override is reported, not its subclasses; bases pkgcheck cannot resolve, and base
    routes whose path it cannot evaluate, are left out.

    ## Example
    ```python
    from steamship.invocable import PackageService, post

    class Base(PackageService):
        @post("/greet")
        def greet(self) -> str:
            return "hello"

    class Child(Base):
        @post("greet")
        def greet_politely(self) -> str:
            return "good day"
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post

    class Base(PackageService):
        @post("/greet")
        def greet(self) -> str:
            return "hello"

    class Child(Base):
        @post("/greet")
        def greet_politely(self) -> str:
            return "good day"
    ```
    """

    code = "SHP103"
    message = (
        "{route} spells its path {raw!r} but overrides {base} ({base_at}), which spells it "
        "{base_raw!r}; the runtime compares raw paths, so {base} keeps serving it and "
        "{method} is dead"
    )

    def check(self, context: Context) -> Iterator[Finding]:
        for _, ref, _ in route_classes(context):
            events: List[Tuple[str, RouteDecl, RouteDecl]] = []
            context.builder.find_route_methods(ref, events)
            for kind, decl, base in events:
                if kind != "override_spelling" or decl.declared_in.key != ref.key:
                    continue
                yield self.finding(
                    decl.decorator,
                    route=route_label(decl),
                    raw=decl.raw_path,
                    base=f"{base.declared_in.qualname}.{base.method_name}",
                    base_at=base.decorator,
                    base_raw=base.raw_path,
                    method=decl.method_name,
                )


class BareRouteDecorator(Rule):
    """A route decorator used without a call, or called without a path.

    ## Why is this bad?
    In steamship 2.17.34, ``@post`` without parentheses calls ``post(function)``: no route is
    registered and the method is replaced by a decorator function. ``@post()`` without a path
    raises ``TypeError`` when the class is defined, so the package cannot be imported.

    ## Not reported
    Decorators that do not resolve to steamship's ``get``, ``post`` or ``endpoint`` (another
    library's ``post``, an import pkgcheck cannot follow). Only the outermost route decorator of a
    function is looked at; one beneath it is not reported. ``@post(*parts)`` is taken to give a
    path.

    ## Example
    ```python
    from steamship.invocable import PackageService, post

    class Echo(PackageService):
        @post
        def echo(self, text: str) -> str:
            return text
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post

    class Echo(PackageService):
        @post("echo")
        def echo(self, text: str) -> str:
            return text
    ```
    """

    code = "SHP104"
    message = "{decorator} {effect}"

    def check(self, context: Context) -> Iterator[Finding]:
        for module in context.modules:
            for function in all_functions(module):
                found = context.builder.route_decorator(module, function)
                if found is None or found[2] is None:
                    continue
                _, decorator, problem = found
                if problem == "bare":
                    effect = f"without a call registers no route and replaces {function.name} with a decorator function"
                else:
                    effect = "without a path raises TypeError when the class is defined; the package cannot be imported"
                yield self.finding(
                    Where(module.name, decorator.node), decorator="@" + decorator.source, effect=effect
                )


class MisplacedRoute(Rule):
    """A route decorator where the runtime never looks for routes.

    ## Why is this bad?
    Steamship 2.17.34 collects routes from the class dictionaries of ``PackageService`` and
    ``PackageMixin`` subclasses (``find_route_methods``). A decorated module-level function, a
    function nested in another, or a method of any other class is never registered and never
    served.

    ## Not reported
    A bare decorator (SHP104 reports it), and decorators that do not resolve to steamship's
    ``get``, ``post`` or ``endpoint``. A method of a class whose kind an unresolved base hides, of a
    class defined inside a function, or of a class a package lists in ``USED_MIXIN_CLASSES`` or
    passes to ``add_mixin`` (or a base of one): the runtime scans that class's routes whatever it
    inherits, and SHP307 reports it if it is not a PackageMixin.

    ## Example
    ```python
    from steamship.invocable import post

    @post("health")
    def health() -> str:
        return "ok"
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post

    class Service(PackageService):
        @post("health")
        def health(self) -> str:
            return "ok"
    ```
    """

    code = "SHP105"
    message = "route decorator on {place} registers nothing; {route} is never served"

    def check(self, context: Context) -> Iterator[Finding]:
        builder = context.builder
        for module in context.modules:
            for function in all_functions(module):
                found = builder.route_decorator(module, function)
                if found is None or found[2] == "bare":
                    continue
                verb, decorator, _ = found
                place = None
                if function.scope == "module":
                    place = f"module-level function {function.name}"
                elif function.scope == "function":
                    place = f"nested function {function.name}"
                elif function.class_qualname is not None:
                    ref = Ref("class", module.name, function.class_qualname)
                    cls = context.project.class_fact(ref)
                    if cls is not None and cls.local:
                        continue  # a class built inside a function: cannot tell
                    if context.used_as_mixin(ref):
                        continue  # listed or added as a mixin: the runtime scans it anyway
                    if builder.is_invocable(ref) is False and builder.is_mixin(ref) is False:
                        place = (
                            f"method {function.name} of {function.class_qualname} "
                            "(not a PackageService or PackageMixin subclass)"
                        )
                if place is None:
                    continue
                path = _path_text(context, module, decorator)
                yield self.finding(
                    Where(module.name, decorator.node), place=place, route=f"{verb} {path}"
                )


def _path_text(context: Context, module: ModuleFacts, decorator) -> str:  # type: ignore[no-untyped-def]
    expr = decorator.keyword("path") or (decorator.items[0] if decorator.items else None)
    known, value = context.project.constant(module, expr)
    return clean_path(value) if known and isinstance(value, str) else "(computed path)"


class DroppedConfig(Rule):
    """A route decorator keyword whose value steamship silently drops from the config.

    ## Why is this bad?
    ``endpoint`` (steamship 2.17.34) keeps a keyword in the route's ``config`` only when its
    value is a ``str``, ``bool``, ``int`` or ``float``: ``@post("z", public=True,
    timeout=None, tags=["a"])`` serves config ``{"public": True}``; ``timeout`` and ``tags``
    vanish without a word, so whatever the engine would have done with them never happens.

    ## Not reported
    Values pkgcheck cannot evaluate (a call, a name it cannot follow) and ``**options``: they may
    well be a str, bool, int or float. ``path`` (and ``endpoint``'s ``verb``) are not config.
    Before steamship 2.2.1 no keyword reaches a config, so none is singled out. Routes whose path is
    not a literal, and decorators outside a package or mixin (SHP105), are skipped.

    ## Example
    ```python
    from steamship.invocable import PackageService, post

    class Service(PackageService):
        @post("run", public=True, tags=["beta"])
        def run(self) -> str:
            return "ok"
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post

    class Service(PackageService):
        @post("run", public=True, tags="beta")
        def run(self) -> str:
            return "ok"
    ```
    """

    code = "SHP106"
    message = "{key}={value} is not a str, bool, int or float; steamship silently drops it from the config of {route}"

    def check(self, context: Context) -> Iterator[Finding]:
        if not context.project.behaviour.route_config:
            return  # no route config before steamship 2.2.1: every keyword is dropped alike
        for module, ref, _ in route_classes(context):
            for decl in declared(context, ref):
                if decl.declared_in.module != module.name or decl.decorator_expr is None:
                    continue
                for key, value in decl.decorator_expr.keywords:
                    if key in decl.dropped:
                        yield self.finding(
                            Where(module.name, value.node),
                            key=key,
                            value=value.source,
                            route=route_label(decl),
                        )


class AsyncRoute(Rule):
    """An ``async def`` route.

    ## Why is this bad?
    Steamship 2.17.34 registers the route but calls it synchronously: the caller receives an
    un-awaited coroutine object instead of the result, and the body never runs.

    ## Not reported
    An ``async def`` with a route decorator outside a package or mixin class: it is never served at
    all (SHP105). A route whose path pkgcheck cannot evaluate, or in a class whose kind an
    unresolved base hides, is skipped. Async methods without a route decorator are not routes.

    ## Example
    ```python
    from steamship.invocable import PackageService, post

    class Service(PackageService):
        @post("fetch")
        async def fetch(self, url: str) -> str:
            return url
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post

    class Service(PackageService):
        @post("fetch")
        def fetch(self, url: str) -> str:
            return url
    ```
    """

    code = "SHP107"
    message = (
        "{route} is async; steamship calls it without awaiting, "
        "so callers get a coroutine and the body never runs"
    )

    def check(self, context: Context) -> Iterator[Finding]:
        for module, ref, _ in route_classes(context):
            for decl in declared(context, ref):
                if decl.function.is_async and decl.declared_in.module == module.name:
                    yield self.finding(Where(module.name, decl.function.name_node), route=route_label(decl))


def path_problem(raw: str, strips_double_slash: bool = True) -> Optional[str]:
    """What makes a route path mean something other than it looks, or None."""
    if raw != raw.strip() or any(ch.isspace() for ch in raw):
        return "contains whitespace, which is part of the route: callers who trim it get no handler"
    if "?" in raw or "#" in raw:
        return "contains '?' or '#', which a URL never delivers as part of the path: no caller reaches it"
    if "{" in raw or "}" in raw:
        return "has a {placeholder}; steamship matches paths literally, so only the literal braces reach it"
    if raw.startswith("//") and not strips_double_slash:  # before steamship 2.17.1
        return "starts with '//', which clients and proxies collapse to '/': no caller reaches it"
    if raw.startswith("//"):
        return (
            f"starts with '//': steamship serves it as {clean_path(raw)} but compares raw paths "
            "for overrides and mixins, where it does not match that route"
        )
    if "//" in raw:
        return "contains '//', which clients and proxies collapse to '/': no caller reaches it"
    if len(raw) > 1 and raw.endswith("/"):
        return f"ends with '/', which steamship keeps: this is not the route {clean_path(raw.rstrip('/'))}"
    return None


class SuspiciousPath(Rule):
    """A route path whose meaning differs from its look.

    ## Why is this bad?
    ``MethodSpec.clean_path`` (steamship 2.17.34) only adds a leading slash and strips one of
    two leading slashes; everything else is matched literally. A trailing slash makes ``/y/`` a
    different route from ``/y``; whitespace, ``?``, ``#`` and ``{param}`` placeholders are
    part of the path, so the route is never reached by the URL a caller would write.

    Releases: before steamship 2.17.1 a leading ``//`` is kept as it is, so such a route is
    served at ``//x``, which no caller reaches.

    ## Not reported
    A path without its leading slash (``"x"``), the root ``"/"`` and the empty path: steamship
    makes them ``/x`` and ``/``. Anything else a path may hold (capitals, dots, non-ASCII) is matched
    literally and means what it looks like. Paths pkgcheck cannot evaluate (built at run time) are
    skipped.

    ## Example
    ```python
    from steamship.invocable import PackageService, get

    class Service(PackageService):
        @get("status/")
        def status(self) -> str:
            return "ok"
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, get

    class Service(PackageService):
        @get("status")
        def status(self) -> str:
            return "ok"
    ```
    """

    code = "SHP108"
    message = "path {raw!r} {problem}"

    def check(self, context: Context) -> Iterator[Finding]:
        for module, ref, _ in route_classes(context):
            for decl in declared(context, ref):
                if decl.declared_in.module != module.name:
                    continue
                problem = path_problem(decl.raw_path, context.project.behaviour.strips_double_slash)
                if problem is None:
                    continue
                node = decl.path_expr.node if decl.path_expr is not None else decl.decorator.node
                yield self.finding(Where(module.name, node), raw=decl.raw_path, problem=problem)


class PermitFlagOnRoute(Rule):
    """A route decorator keyword that looks like ``add_mixin``'s permit flag.

    ## Why is this bad?
    ``@post("x", permit_overwrite_of_existing_methods=True)`` permits nothing: in steamship
    2.17.34 every keyword of a route decorator is just copied into the route's ``config``
    (``endpoint(**kwargs)``). Overwriting is decided by ``add_mixin(...,
    permit_overwrite_of_existing_methods=True)`` alone, so the conflict the flag was meant to
    allow still raises ``RouteConflictError`` (or the route is still silently replaced).

    Releases: mixins and ``add_mixin`` exist from steamship 2.17.1 on; before, there is no
    flag to mistake, and the rule is silent.

    ## Not reported
    A flag hidden in ``**options`` (its name is not written), keywords that do not start with
    ``permit_overwrite`` (SHP106 checks their values), and decorators that are not called or do not
    resolve to steamship's ``get``, ``post`` or ``endpoint``. Nothing before steamship 2.17.1 (see
    Releases).

    ## Example
    ```python
    from steamship.invocable import PackageService, post

    class Service(PackageService):
        @post("status", permit_overwrite_of_existing_methods=True)
        def status(self) -> str:
            return "ok"
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post

    class Service(PackageService):
        @post("status")
        def status(self) -> str:
            return "ok"
    ```
    """

    code = "SHP109"
    message = (
        "{key}= on a route decorator permits nothing; it only lands in the config of {route}, "
        "and overwriting is decided by add_mixin's own flag"
    )

    def check(self, context: Context) -> Iterator[Finding]:
        if not context.project.behaviour.mixins:
            return  # before steamship 2.17.1 nothing can be overwritten: no flag to mistake
        for module in context.modules:
            for function in all_functions(module):
                found = context.builder.route_decorator(module, function)
                if found is None or found[1].kind != "call":
                    continue
                verb, decorator, _ = found
                for key, value in decorator.keywords:
                    if key is not None and key.startswith("permit_overwrite"):
                        yield self.finding(
                            Where(module.name, value.node),
                            key=key,
                            route=f"{verb} {_path_text(context, module, decorator)}",
                        )
