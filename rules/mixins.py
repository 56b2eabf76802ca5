"""SHP3xx: mixins — USED_MIXIN_CLASSES, add_mixin, and the routes they bring."""

from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Set, Tuple

from linter.project.index import Ref
from linter.semantic.context import Context
from linter.semantic.model import PERMIT_FLAG, MixinUse, Route, Spec, Where
from linter.source.facts import Expr, FunctionFact
from rules import Finding, Rule


def in_project(context: Context, where: Optional[Where]) -> bool:
    return where is not None and where.module in context.module_names


def anchor(context: Context, site: Optional[Where], root: Optional[Where]) -> Optional[Where]:
    """Report where the user can edit: the site itself when it is the project's code, else the
    package's own add_mixin call that led into a library mixin's constructor."""
    if in_project(context, site):
        return site
    if in_project(context, root):
        return root
    return None


def package_specs(context: Context) -> Iterator[Tuple[Ref, Optional[Spec], Optional[Spec]]]:
    for package in context.packages():
        yield package, context.class_spec(package), context.instance_spec(package)


def route_place(route: Route) -> object:
    return route.decl.decorator if route.decl is not None else "built in"


def short(ref: Optional[Ref]) -> str:
    return ref.qualname.rpartition(".")[2] if ref is not None else "?"


class RouteConflict(Rule):
    """A mixin route collides with a route the package already has, with no permit flag.

    ## Why is this bad?
    ``PackageService.scan_mixin`` (steamship 2.17.34) refuses a verb and path that is already
    registered: a mixin listed in ``USED_MIXIN_CLASSES`` raises ``RouteConflictError`` when the
    package class is defined — the package cannot even be imported — and one passed to
    ``add_mixin`` raises it when the package is instantiated. Two mixins sharing a route fail the
    same way. (Adding the same mixin class that ``USED_MIXIN_CLASSES`` already scanned is
    allowed — from steamship 2.17.16 on. Releases 2.17.8–2.17.15 look the listed route up as
    ``"/" + path``, so for a path that starts with ``/`` (``@post("/note")``, every built-in
    mixin's) adding the listed mixin again collides with its own listed route and raises
    ``RouteConflictError`` when the package is instantiated; pkgcheck reports it under those
    releases only.)

    Releases: ``USED_MIXIN_CLASSES`` is read from steamship 2.17.8 on. In 2.17.8–2.17.10
    every class scans the list it inherits again, so a subclass of a class that lists a mixin
    with routes raises ``RouteConflictError`` when it is defined. Before 2.17.8, adding the
    same mixin class twice raises it too.

    ## Not reported
    An ``add_mixin`` whose permit flag is ``True`` (SHP302 reports what it replaces) or not a
    literal (pkgcheck cannot tell). When defining the class already fails, the conflicts its
    ``__init__`` would meet are left out: it never runs. Routes of steamship's own classes when
    pkgcheck does not model the routing code of the steamship in use, and conflicts inside a library
    mixin's ``__init__`` that no ``add_mixin`` of the project leads to.

    ## Example
    ```python
    from steamship.invocable import PackageService, post
    from steamship.invocable.package_mixin import PackageMixin

    class HealthMixin(PackageMixin):
        @post("status")
        def status(self) -> str:
            return "ok"

    class Bot(PackageService):
        USED_MIXIN_CLASSES = [HealthMixin]

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.add_mixin(HealthMixin())

        @post("status")
        def status(self) -> str:
            return "busy"
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post
    from steamship.invocable.package_mixin import PackageMixin

    class HealthMixin(PackageMixin):
        @post("health")
        def health(self) -> str:
            return "ok"

    class Bot(PackageService):
        USED_MIXIN_CLASSES = [HealthMixin]

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.add_mixin(HealthMixin())

        @post("status")
        def status(self) -> str:
            return "busy"
    ```
    """

    code = "SHP301"
    message = "{route} of {mixin} ({mixin_at}) collides with the route of {other} ({other_at}); {effect}"

    def check(self, context: Context) -> Iterator[Finding]:
        for package, class_spec, instance_spec in package_specs(context):
            # When the class itself cannot be defined, __init__ never runs: report the import
            # failure only.
            levels = (class_spec,) if class_spec is not None and class_spec.fails else (class_spec, instance_spec)
            for spec in levels:
                if spec is None:
                    continue
                for event in spec.events:
                    if event.kind != "conflict" or event.other is None:
                        continue
                    if not (context.trusts(event.route.owner) and context.trusts(event.other.owner)):
                        continue
                    at = anchor(context, event.site, event.root)
                    if at is None:
                        continue
                    verb = "importing" if event.level == "class" else "instantiating"
                    effect = f"{verb} {short(package)} raises RouteConflictError"
                    rescanned = event.other.origin == "mixin" and event.other.owner == event.route.owner
                    if event.level == "class" and rescanned:
                        # steamship 2.17.8-2.17.10: every class scans the USED_MIXIN_CLASSES it
                        # inherits, over the routes its parent already has from that mixin
                        effect += (
                            f" (steamship {context.project.steamship.version} scans the "
                            f"USED_MIXIN_CLASSES {short(package)} inherits again)"
                        )
                    yield self.finding(
                        at,
                        route=f"{event.route.verb} {event.route.path}",
                        mixin=event.route.class_name,
                        mixin_at=route_place(event.route),
                        other=event.other.class_name,
                        other_at=route_place(event.other),
                        effect=effect,
                    )


class PermittedOverwrite(Rule):
    """``add_mixin(..., permit_overwrite_of_existing_methods=True)`` that really replaces a route.

    ## Why is this bad?
    With the flag, steamship 2.17.34 lets the mixin's method silently take over a route another
    class serves: the package's own method (or another mixin's) is never called again. The flag is
    meant for deliberate overrides; pkgcheck reports the routes it actually replaces so that the
    replacement is a decision, not an accident.

    ## Not reported
    A permit flag that replaces nothing, or only routes a class of the same name registered (the
    listed mixin added again). Routes of steamship's own classes when pkgcheck does not model the
    routing code of the steamship in use, and overwrites inside a library mixin's ``__init__`` that
    no ``add_mixin`` of the project leads to.

    ## Example
    ```python
    from steamship.invocable import PackageService, post
    from steamship.invocable.package_mixin import PackageMixin

    class Audit(PackageMixin):
        @post("status")
        def status(self) -> str:
            return "audited"

    class Bot(PackageService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.add_mixin(Audit(), permit_overwrite_of_existing_methods=True)

        @post("status")
        def status(self) -> str:
            return "ok"
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post
    from steamship.invocable.package_mixin import PackageMixin

    class Audit(PackageMixin):
        @post("audit_status")
        def audit_status(self) -> str:
            return "audited"

    class Bot(PackageService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.add_mixin(Audit())

        @post("status")
        def status(self) -> str:
            return "ok"
    ```
    """

    code = "SHP302"
    message = (
        "{mixin} replaces {route} of {other} ({other_at}) because overwriting is permitted; "
        "{other}'s method is never served"
    )

    def check(self, context: Context) -> Iterator[Finding]:
        for _, _, spec in package_specs(context):
            if spec is None:
                continue
            for event in spec.events:
                if event.kind != "overwrite" or event.other is None:
                    continue
                if not (context.trusts(event.route.owner) and context.trusts(event.other.owner)):
                    continue
                at = anchor(context, event.site, event.root)
                if at is None:
                    continue
                yield self.finding(
                    at,
                    mixin=event.route.class_name,
                    route=f"{event.route.verb} {event.route.path}",
                    other=event.other.class_name,
                    other_at=route_place(event.other),
                )


def instance_uses(spec: Optional[Spec]) -> List[MixinUse]:
    return [u for u in (spec.mixin_uses if spec else []) if u.level == "instance"]


def unresolved_adds(spec: Optional[Spec]) -> bool:
    """The instance spec could not follow some add_mixin or __init__: stay quiet."""
    return spec is None or any(
        note.startswith(("add_mixin", "__init__")) for note in spec.notes
    ) or any(u.argument == "unknown" for u in instance_uses(spec))


class MixinNeverAdded(Rule):
    """A mixin in ``USED_MIXIN_CLASSES`` that no code path passes to ``add_mixin``.

    ## Why is this bad?
    Listing a mixin makes steamship 2.17.34 put its routes into the package's spec when the
    class is defined, but those routes are bound to no instance: calling one fails with
    ``TypeError: ... missing 1 required positional argument: 'self'``. Only ``add_mixin`` of an
    instance (in ``__init__``, a base class's ``__init__``, or a mixin's own ``__init__``) binds
    them.

    ## Not reported
    A package whose ``__init__`` pkgcheck cannot follow to every ``add_mixin`` (an argument or
    receiver it cannot evaluate, an ``__init__`` it cannot resolve): it may bind the mixin. A
    mixin without routes (nothing fails), one added only under a condition or through a subclass,
    a list written outside the project, and steamship's own mixins when pkgcheck does not model
    the routing code of the steamship in use. A package that inherits the list and leaves the
    mixin unbound as a non-abstract parent package does is that parent's finding.

    ## Example
    ```python
    from steamship.invocable import PackageService, post
    from steamship.invocable.package_mixin import PackageMixin

    class Greeter(PackageMixin):
        @post("greet")
        def greet(self) -> str:
            return "hi"

    class Bot(PackageService):
        USED_MIXIN_CLASSES = [Greeter]
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post
    from steamship.invocable.package_mixin import PackageMixin

    class Greeter(PackageMixin):
        @post("greet")
        def greet(self) -> str:
            return "hi"

    class Bot(PackageService):
        USED_MIXIN_CLASSES = [Greeter]

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.add_mixin(Greeter())
    ```
    """

    code = "SHP303"
    message = (
        "{mixin} is listed for {package} but no add_mixin reached from its __init__ ({package_init_at}) binds it; its "
        "routes ({routes}) are served without an instance and fail with TypeError (missing 'self')"
    )

    def check(self, context: Context) -> Iterator[Finding]:
        for package, class_spec, instance_spec in package_specs(context):
            unbound = unbound_listed(context, package, class_spec, instance_spec)
            if not unbound:
                continue
            # one finding per listing: a package class that inherits the list and adds the
            # mixin no more than its parent does (a test double of the package, say) is the
            # parent's finding, not a second one
            inherited: Set[Tuple[Where, Tuple[str, str]]] = set()
            for ancestor in context.project.mro(package)[0][1:]:
                deployable = ancestor.kind == "class" and not context.project.is_abstract(ancestor)
                if deployable and context.builder.is_package(ancestor):
                    inherited |= set(
                        unbound_listed(context, ancestor, context.class_spec(ancestor), context.instance_spec(ancestor))
                    )
            for key, use in unbound.items():
                if key in inherited or use.mixin is None:
                    continue
                routes = context.builder.find_route_methods(use.mixin)
                shown = ", ".join(sorted({f"{d.verb} {d.path}" for d in routes})[:3])
                if len(routes) > 3:
                    shown += ", …"
                yield self.finding(
                    use.site,
                    mixin=short(use.mixin),
                    package=short(package),
                    package_init_at=context.member_where(package, "__init__") or "?",
                    routes=shown,
                )


def unbound_listed(
    context: Context, package: Ref, class_spec: Optional[Spec], instance_spec: Optional[Spec]
) -> Dict[Tuple[Where, Tuple[str, str]], MixinUse]:
    """The listed mixins (with routes) that no add_mixin of ``package``'s ``__init__`` binds,
    by (listing site, mixin)."""
    project = context.project
    if class_spec is None or unresolved_adds(instance_spec):
        return {}
    added: Set[Tuple[str, str]] = set()
    for use in instance_uses(instance_spec):
        if use.mixin is not None and use.argument == "instance":
            for ancestor in project.mro(use.mixin)[0]:
                added.add(ancestor.key)
    found = {}
    for use in class_spec.mixin_uses:
        if use.level != "class" or use.mixin is None or use.mixin.key in added:
            continue
        if not context.trusts(use.mixin) or not in_project(context, use.site):
            continue
        if context.builder.find_route_methods(use.mixin):
            found[(use.site, use.mixin.key)] = use
    return found


class AddMixinNotInstance(Rule):
    """``add_mixin`` given a class, or something that is not a PackageMixin instance.

    ## Why is this bad?
    ``add_mixin`` (steamship 2.17.34) scans the routes of ``type(argument)``. Given the class
    ``M`` instead of ``M(...)``, it scans ``M``'s metaclass: no routes are added, silently, and
    ``instance_init`` later calls ``M.instance_init()`` without an instance. Anything else that
    is not a mixin instance adds nothing either.

    Releases: ``add_mixin`` takes its permit flag from steamship 2.17.7 on; given one in
    2.17.1–2.17.6, it raises TypeError, and pkgcheck reports that instead.

    ## Not reported
    An argument pkgcheck cannot evaluate (a parameter, a factory without a return annotation, a name
    it cannot follow), or an instance of a class whose kind an unresolved base hides. An instance of
    a non-mixin class that has routes: they are added, and SHP307 reports it. ``add_mixin`` outside
    what ``__init__`` reaches is SHP306's; one inside a library mixin's ``__init__`` that no
    ``add_mixin`` of the project leads to is not reported.

    ## Example
    ```python
    from steamship.invocable import PackageService, post
    from steamship.invocable.package_mixin import PackageMixin

    class Greeter(PackageMixin):
        @post("greet")
        def greet(self) -> str:
            return "hi"

    class Bot(PackageService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.add_mixin(Greeter)
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post
    from steamship.invocable.package_mixin import PackageMixin

    class Greeter(PackageMixin):
        @post("greet")
        def greet(self) -> str:
            return "hi"

    class Bot(PackageService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.add_mixin(Greeter())
    ```
    """

    code = "SHP304"
    message = "add_mixin is given {what}; {effect}"

    def check(self, context: Context) -> Iterator[Finding]:
        takes_flag = context.project.behaviour.permit_keyword is not None
        for package, _, spec in package_specs(context):
            for use in instance_uses(spec):
                at = anchor(context, use.site, use.root)
                if at is None:
                    continue
                argument = use.call.call.items[0].source if use.call and use.call.call.items else "?"
                flag = use.call.call.keyword(PERMIT_FLAG) if use.call else None
                if not takes_flag and use.call and (flag is not None or len(use.call.call.items) > 1):
                    yield self.finding(
                        at,
                        what=(
                            "a permit flag, which add_mixin of steamship "
                            f"{context.project.steamship.version} does not take (2.17.7 on)"
                        ),
                        effect=f"instantiating {short(package)} raises TypeError",
                    )
                    continue
                if use.argument == "class" and use.mixin is not None:
                    what = f"the class {short(use.mixin)}, not an instance of it"
                elif use.argument == "other":
                    what = f"{argument}, which is not a PackageMixin instance"
                elif (
                    use.argument == "instance"
                    and use.mixin is not None
                    and context.builder.is_mixin(use.mixin) is False
                    and not context.builder.find_route_methods(use.mixin)
                ):
                    what = f"an instance of {short(use.mixin)}, which is not a PackageMixin and has no routes"
                else:
                    continue
                yield self.finding(at, what=what, effect="no routes are added")


class MixinAddedTwice(Rule):
    """The same mixin class added twice to one package.

    ## Why is this bad?
    steamship 2.17.34 lets a mixin class re-register its own routes: the second instance
    silently takes every route of the first, whose state (clients, configuration) is then
    unreachable from any route. It often happens when a mixin such as
    ``IndexerPipelineMixin`` already adds ``FileImporterMixin`` and the package adds it again.

    Releases: from steamship 2.17.8 on; before, the second ``add_mixin`` raises
    ``RouteConflictError`` (SHP301).

    ## Not reported
    An ``add_mixin`` inside an ``if``, a loop or an ``except`` (perhaps only one runs), a mixin
    without routes (nothing is replaced), a class and its subclass (two classes), and two adds that
    come from one place in the project (a helper ``__init__`` calls twice): there is no second place
    to change. Before steamship 2.17.8 the second add raises instead (SHP301).

    ## Example
    ```python
    from steamship.invocable import PackageService, post
    from steamship.invocable.package_mixin import PackageMixin

    class Greeter(PackageMixin):
        def __init__(self, greeting: str):
            self.greeting = greeting

        @post("greet")
        def greet(self) -> str:
            return self.greeting

    class Bot(PackageService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.add_mixin(Greeter("hi"))
            self.add_mixin(Greeter("hello"))
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post
    from steamship.invocable.package_mixin import PackageMixin

    class Greeter(PackageMixin):
        def __init__(self, greeting: str):
            self.greeting = greeting

        @post("greet")
        def greet(self) -> str:
            return self.greeting

    class Bot(PackageService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.add_mixin(Greeter("hello"))
    ```
    """

    code = "SHP305"
    message = "{mixin} {relation} {first_at}; steamship lets it silently replace that one's routes"

    def check(self, context: Context) -> Iterator[Finding]:
        # before steamship 2.17.8 the second add_mixin of a class raises instead: SHP301
        readds_replace = context.project.behaviour.mixin_readds_replace
        for _, _, spec in package_specs(context):
            for event in spec.events if spec is not None else ():
                if event.kind != "same_name" or event.other is None:
                    continue
                at = anchor(context, event.site, event.root)
                first = event.other.site
                if at is None or first is None:
                    continue
                yield self.finding(
                    at,
                    mixin=f"{event.route.class_name} of {event.route.owner.module}",
                    relation=(
                        f"has the same class name as the {event.other.class_name} "
                        f"of {event.other.owner.module} added at"
                    ),
                    first_at=first,
                )
            if not readds_replace:
                continue
            first: Dict[Tuple[str, str], MixinUse] = {}
            for use in instance_uses(spec):
                if use.argument != "instance" or use.mixin is None:
                    continue
                if not context.builder.find_route_methods(use.mixin):
                    continue
                earlier = first.get(use.mixin.key)
                if earlier is None:
                    first[use.mixin.key] = use
                    continue
                if use.conditional or earlier.conditional:
                    continue
                at = anchor(context, use.site, use.root)
                if at is None or at == anchor(context, earlier.site, earlier.root):
                    continue
                yield self.finding(at, mixin=short(use.mixin), relation="is already added at", first_at=earlier.site)


class AddMixinOutsideInit(Rule):
    """``add_mixin`` called outside ``__init__`` (in a route, ``instance_init``, a helper).

    ## Why is this bad?
    Steamship 2.17.34 builds a fresh package instance for every invocation and reads its spec
    from what ``__init__`` registered. Routes added later exist only on that one instance, for
    that one invocation: the next request does not find them ("No handler for ...").

    ## Not reported
    A method that the ``__init__`` of some package reaches (a helper called from this class's or a
    subclass's ``__init__``): its ``add_mixin`` runs at construction. Calls on anything but plain
    ``self`` (``self.package.add_mixin``, ``bot.add_mixin``), and calls in mixins, module-level
    functions or classes whose kind an unresolved base hides, are not looked at.

    ## Example
    ```python
    from steamship.invocable import PackageService, post
    from steamship.invocable.package_mixin import PackageMixin

    class Greeter(PackageMixin):
        @post("greet")
        def greet(self) -> str:
            return "hi"

    class Bot(PackageService):
        def instance_init(self):
            self.add_mixin(Greeter())
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post
    from steamship.invocable.package_mixin import PackageMixin

    class Greeter(PackageMixin):
        @post("greet")
        def greet(self) -> str:
            return "hi"

    class Bot(PackageService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.add_mixin(Greeter())
    ```
    """

    code = "SHP306"
    message = "add_mixin in {function} runs outside __init__; the routes it adds exist only for that one invocation"

    def check(self, context: Context) -> Iterator[Finding]:
        package_keys = {p.key for p in context.packages()}
        for module in context.modules:
            for cls in module.classes:
                if (module.name, cls.qualname) not in package_keys:
                    continue
                for method in cls.methods:
                    if method.name == "__init__":
                        continue
                    for kind, index in method.events:
                        if kind != "call":
                            continue
                        call = module.calls[index]
                        if call.method != "add_mixin" or call.receiver is None:
                            continue
                        if call.receiver.kind != "name" or call.receiver.dotted != "self":
                            continue
                        site = Where(module.name, call.node)
                        if context.reached(site):
                            continue  # some package's __init__ gets here
                        yield self.finding(site, function=method.qualname)


class NotAMixin(Rule):
    """A mixin slot filled with something that is not a PackageMixin class.

    ## Why is this bad?
    ``PackageService.__init_subclass__`` (steamship 2.17.34) iterates ``USED_MIXIN_CLASSES``
    and reads ``__module__``/``__qualname__`` of each entry: a single class instead of a list
    raises ``TypeError`` (not iterable) and a string raises ``AttributeError`` when the package
    class is defined. A class that is not a ``PackageMixin`` is scanned anyway, but its routes
    are bound to no mixin instance and steamship's mixin bookkeeping (``instance_init``) fails
    on it.

    Releases: ``USED_MIXIN_CLASSES`` is read from steamship 2.17.8 on; before, it is an
    attribute like any other, and only ``add_mixin`` is checked.

    ## Not reported
    A class whose kind an unresolved base hides, an entry pkgcheck cannot resolve to a class, and
    lists it cannot read (``BASE + [X]``, ``list(...)``, a name bound elsewhere). Only the class's
    own ``USED_MIXIN_CLASSES`` is read, not one it inherits. A non-mixin listed here and also added
    as an instance is reported at its ``add_mixin``; an instance added without routes is SHP304's.

    ## Example
    ```python
    from steamship.invocable import PackageService, post

    class Helpers:
        @post("help")
        def help(self) -> str:
            return "?"

    class Bot(PackageService):
        USED_MIXIN_CLASSES = [Helpers]
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post
    from steamship.invocable.package_mixin import PackageMixin

    class Helpers(PackageMixin):
        @post("help")
        def help(self) -> str:
            return "?"

    class Bot(PackageService):
        USED_MIXIN_CLASSES = [Helpers]

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.add_mixin(Helpers())
    ```
    """

    code = "SHP307"
    message = "{what}; {effect}"

    def check(self, context: Context) -> Iterator[Finding]:
        builder = context.builder
        packages = {p.key for p in context.packages()}
        # steamship reads USED_MIXIN_CLASSES from 2.17.8 on; before, it is an attribute like any
        reads_used_mixins = context.project.behaviour.used_mixin_classes != "ignored"
        for module in context.modules:
            for cls in module.classes:
                if (module.name, cls.qualname) not in packages:
                    continue
                assign = cls.assign("USED_MIXIN_CLASSES")
                if assign is None or assign.value is None or not reads_used_mixins:
                    continue
                value = assign.value
                if value.kind in ("name", "attribute"):
                    ref = context.project.resolve(module, value.dotted)
                    if ref is not None and ref.kind == "class":
                        yield self.finding(
                            Where(module.name, value.node),
                            what=f"USED_MIXIN_CLASSES is the class {value.source}, not a list of classes",
                            effect=f"defining {cls.name} raises TypeError (not iterable)",
                        )
                    continue
                if value.kind in ("set", "dict", "str"):
                    yield self.finding(
                        Where(module.name, value.node),
                        what=f"USED_MIXIN_CLASSES is a {value.kind}, not a list or tuple of classes",
                        effect="steamship iterates it in an order (or with items) you did not intend",
                    )
                    continue
                if value.kind not in ("list", "tuple"):
                    continue
                for item in value.items:
                    if item.kind == "str":
                        yield self.finding(
                            Where(module.name, item.node),
                            what=f"USED_MIXIN_CLASSES lists the string {item.source}, not a class",
                            effect=f"defining {cls.name} raises AttributeError",
                        )
                        continue
                    if item.kind not in ("name", "attribute"):
                        continue
                    ref = context.project.resolve(module, item.dotted)
                    if ref is None or ref.kind != "class":
                        continue
                    if builder.is_mixin(ref) is False and not added_to(context, (module.name, cls.qualname), ref):
                        yield self.finding(
                            Where(module.name, item.node),
                            what=f"{item.source} is not a PackageMixin subclass",
                            effect="its routes are served without a mixin instance and fail",
                        )
        for package in context.packages():
            for use in instance_uses(context.instance_spec(package)):
                if use.argument != "instance" or use.mixin is None:
                    continue
                if builder.is_mixin(use.mixin) is False and builder.find_route_methods(use.mixin):
                    at = anchor(context, use.site, use.root)
                    if at is not None:
                        yield self.finding(
                            at,
                            what=f"add_mixin is given an instance of {short(use.mixin)}, which is not a PackageMixin",
                            effect="its routes are added but instance_init fails on it",
                        )


def added_to(context: Context, package: Tuple[str, str], mixin: Ref) -> bool:
    spec = context.instance_spec(Ref("class", package[0], package[1]))
    return any(u.argument == "instance" and u.mixin == mixin for u in instance_uses(spec))


class AddMixinNotListed(Rule):
    """``add_mixin`` of a mixin that ``USED_MIXIN_CLASSES`` does not list (opt-in).

    ## Why is this bad?
    The instance serves the mixin's routes, but the class-level spec (what steamship 2.17.34
    reads from the class, e.g. to publish the package's interface) lacks them. Steamship's own
    examples do this, hence opt-in.

    Releases: from steamship 2.17.8 on, when ``USED_MIXIN_CLASSES`` exists.

    ## Not reported
    A mixin listed in the ``USED_MIXIN_CLASSES`` the package has or inherits, a mixin without
    routes (both specs agree), an argument that is not an instance pkgcheck can name, and mixins a
    library mixin's own ``__init__`` adds (that call is not the project's to change). An
    ``add_mixin`` with ``permit_overwrite_of_existing_methods=True``: the class-level scan of
    ``USED_MIXIN_CLASSES`` takes no permit flag, so listing a mixin that replaces a route of the
    package raises ``RouteConflictError`` when the class is defined (seen on dkolas/mycroft-agent's
    IndexerPipelineMixin). Nothing before steamship 2.17.8, which has no ``USED_MIXIN_CLASSES``.

    ## Example
    ```python
    from steamship.invocable import PackageService, post
    from steamship.invocable.package_mixin import PackageMixin

    class Greeter(PackageMixin):
        @post("greet")
        def greet(self) -> str:
            return "hi"

    class Bot(PackageService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.add_mixin(Greeter())
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post
    from steamship.invocable.package_mixin import PackageMixin

    class Greeter(PackageMixin):
        @post("greet")
        def greet(self) -> str:
            return "hi"

    class Bot(PackageService):
        USED_MIXIN_CLASSES = [Greeter]

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.add_mixin(Greeter())
    ```
    """

    code = "SHP308"
    message = (
        "{mixin} is added but not listed in USED_MIXIN_CLASSES of {package} ({listed_at}); "
        "the class-level spec lacks its routes"
    )
    opt_in = True

    def check(self, context: Context) -> Iterator[Finding]:
        if context.project.behaviour.used_mixin_classes == "ignored":
            return  # no USED_MIXIN_CLASSES before steamship 2.17.8: nothing to list it in
        for package, class_spec, instance_spec in package_specs(context):
            if class_spec is None:
                continue
            listed = {
                f"{use.mixin.module}.{use.mixin.qualname}"
                for use in class_spec.mixin_uses
                if use.level == "class" and use.mixin is not None
            }
            for use in instance_uses(instance_spec):
                if use.argument != "instance" or use.mixin is None or use.permit:
                    continue  # with a permit flag, listing it could raise RouteConflictError
                if f"{use.mixin.module}.{use.mixin.qualname}" in listed:
                    continue
                if not in_project(context, use.site):
                    continue  # added by a library mixin's own __init__
                if not context.builder.find_route_methods(use.mixin):
                    continue
                yield self.finding(
                    use.site,
                    mixin=short(use.mixin),
                    package=short(package),
                    listed_at=context.member_where(package, "USED_MIXIN_CLASSES") or "?",
                )


def bind_problem(init: Optional[FunctionFact], call: Expr) -> Optional[str]:
    """Why ``call`` cannot bind to ``init`` (None: it binds, or pkgcheck cannot tell).

    ``init`` None means the class has no ``__init__`` of its own in any known base: ``object``'s,
    which takes no arguments.
    """
    if any(item.kind == "starred" for item in call.items) or any(k is None for k, _ in call.keywords):
        return None  # *args / **kwargs at the call: unknown contents
    if init is None:
        if call.items or call.keywords:
            return "takes no arguments (object.__init__)"
        return None
    params = list(init.params)
    if params and params[0].kind in ("posonly", "normal"):
        params = params[1:]  # self
    positional = [p for p in params if p.kind in ("posonly", "normal")]
    has_varargs = any(p.kind == "vararg" for p in params)
    has_varkw = any(p.kind == "varkw" for p in params)
    if len(call.items) > len(positional) and not has_varargs:
        plural = "s" if len(positional) != 1 else ""
        return f"takes {len(positional)} positional argument{plural} but {len(call.items)} were given"
    bound = {p.name for p in positional[: len(call.items)]}
    by_name = {p.name: p for p in params if p.kind in ("normal", "kwonly")}
    for key, _ in call.keywords:
        assert key is not None
        if key in bound:
            return f"got multiple values for argument {key!r}"
        if key not in by_name and not has_varkw:
            return f"got an unexpected keyword argument {key!r}"
        bound.add(key)
    missing = [
        p.name
        for p in params
        if p.kind in ("posonly", "normal", "kwonly") and p.default is None and p.name not in bound
    ]
    if missing:
        names = ", ".join(repr(m) for m in missing)
        return "is missing required argument" + ("s " if len(missing) > 1 else " ") + names
    return None


class MixinConstructorMismatch(Rule):
    """``add_mixin(M(...))`` whose arguments do not fit ``M.__init__``.

    ## Why is this bad?
    The mixin is constructed in the package's ``__init__``, which steamship 2.17.34 runs for
    every invocation: a ``TypeError`` there means no route of the package is ever served. It
    happens when a mixin's constructor changes between SDK versions (steamship's own transports
    and mixins have), and it has shipped in public packages. Checked against the steamship the
    project targets; with pkgcheck's bundled catalogue standing in for another pinned version,
    steamship's mixins are not checked.

    ## Not reported
    Calls with ``*args`` or ``**kwargs``, an ``__init__`` pkgcheck cannot see (from a base it does
    not read, or bound to something other than a ``def``), and classes with a class decorator on
    them or a base (``@dataclass`` writes an ``__init__``). A mixin built by a factory function, and
    steamship's own mixins when pkgcheck does not model the routing code of the steamship in use.
    Only the number and names of the arguments are checked, not their types.

    ## Example
    ```python
    from steamship.invocable import PackageService, post
    from steamship.invocable.package_mixin import PackageMixin

    class Greeter(PackageMixin):
        def __init__(self, greeting: str):
            self.greeting = greeting

        @post("greet")
        def greet(self) -> str:
            return self.greeting

    class Bot(PackageService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.add_mixin(Greeter(text="hi"))
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post
    from steamship.invocable.package_mixin import PackageMixin

    class Greeter(PackageMixin):
        def __init__(self, greeting: str):
            self.greeting = greeting

        @post("greet")
        def greet(self) -> str:
            return self.greeting

    class Bot(PackageService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.add_mixin(Greeter(greeting="hi"))
    ```
    """

    code = "SHP309"
    message = "{mixin}(...) {problem} (its __init__ is at {init_at}); every instantiation of {package} raises TypeError"

    def check(self, context: Context) -> Iterator[Finding]:
        project = context.project
        for package, _, spec in package_specs(context):
            for use in instance_uses(spec):
                if use.argument != "instance" or use.mixin is None or use.construct is None:
                    continue
                if not context.trusts(use.mixin) or project.is_decorated(use.mixin):
                    continue  # @dataclass and friends write an __init__ pkgcheck cannot see
                defining, init, known = project.lookup_attribute(use.mixin, "__init__")
                if not known and init is None:
                    continue
                if init is not None and not isinstance(init, FunctionFact):
                    continue
                problem = bind_problem(init, use.construct)
                if problem is None:
                    continue
                at = anchor(context, use.site, use.root)
                if at is None:
                    continue
                if at == use.site and use.construct.node >= 0 and in_project(context, use.site):
                    at = Where(use.site.module, use.construct.node)
                init_at: object = (
                    Where(defining.module, init.node) if defining is not None and init is not None else "object"
                )
                yield self.finding(
                    at, mixin=short(use.mixin), problem=problem, init_at=init_at, package=short(package)
                )
