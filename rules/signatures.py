"""SHP2xx: the signatures of route methods."""

from __future__ import annotations

from typing import Iterator, Tuple

from linter.semantic.context import Context
from linter.semantic.model import RouteDecl, Where
from linter.semantic.typerepr import enum_values_of, render
from linter.source.facts import ModuleFacts, ParamFact
from rules import Finding, Rule
from rules.routes import declared, route_classes, route_label


def routes_here(context: Context) -> Iterator[Tuple[ModuleFacts, RouteDecl, str]]:
    """Route methods declared in the project's modules: (module, route, package|mixin)."""
    for module, ref, kind in route_classes(context):
        for decl in declared(context, ref):
            if decl.declared_in.module == module.name:
                yield module, decl, kind


def parameters(decl: RouteDecl) -> Iterator[ParamFact]:
    params = decl.function.params
    for index, param in enumerate(params):
        if index == 0 and param.kind in ("posonly", "normal") and param.name == "self":
            continue
        yield param


class PositionalOnlyParameter(Rule):
    """A route parameter that cannot be passed by name: positional-only, or ``*args``.

    ## Why is this bad?
    Steamship 2.17.34 calls a route as ``method(**arguments)``. A positional-only parameter
    can never receive a value — without a default every call raises ``TypeError`` — and
    ``*args`` is always empty: an argument sent under its name raises ``TypeError``
    (unexpected keyword argument), so values meant for it are never delivered.

    ## Not reported
    ``*args`` beside ``**kwargs`` (``def route(self, *args, **kwargs)``, the signature steamship's
    own mixins use): every argument arrives by name in ``**kwargs`` and nothing fails. A first
    parameter named ``self`` is the instance, not an argument. Routes whose path pkgcheck cannot
    evaluate are skipped.

    ## Example
    ```python
    from steamship.invocable import PackageService, post

    class Service(PackageService):
        @post("sum")
        def total(self, *numbers: int) -> int:
            return sum(numbers)
    ```

    ## Use instead
    ```python
    from typing import List

    from steamship.invocable import PackageService, post

    class Service(PackageService):
        @post("sum")
        def total(self, numbers: List[int]) -> int:
            return sum(numbers)
    ```
    """

    code = "SHP201"
    message = "{param} of {route} {effect}"

    def check(self, context: Context) -> Iterator[Finding]:
        for module, decl, _ in routes_here(context):
            takes_keywords = any(param.kind == "varkw" for param in decl.function.params)
            for param in parameters(decl):
                if param.kind == "vararg":
                    if takes_keywords:
                        continue  # the arguments arrive in **kwargs: nothing is lost
                    effect = (
                        "is always empty: steamship passes arguments by name, so the values meant for it "
                        f"are dropped (an argument named {param.name} raises TypeError)"
                    )
                    name = "*" + param.name
                elif param.kind == "posonly":
                    name = f"parameter {param.name}"
                    effect = (
                        "is positional-only: steamship passes arguments by name, so "
                        + ("callers can never set it" if param.default is not None else "every call raises TypeError")
                    )
                else:
                    continue
                yield self.finding(Where(module.name, param.node), param=name, route=route_label(decl), effect=effect)


class UnannotatedParameter(Rule):
    """A route parameter without a type annotation (opt-in).

    ## Why is this bad?
    The spec a package serves (``GET /__dir__``) lists each argument's ``kind`` as
    ``str(annotation)``; without one steamship 2.17.34 shows ``<class 'inspect._empty'>``,
    so generated clients and docs cannot know the type.

    ## Not reported
    ``self``, ``*args`` and ``**kwargs``: none of them is one named argument a client could type
    (an ``*args`` that cannot be passed is SHP201's). Steamship 2.1.x has no spec to show a kind in,
    so the rule is silent there. Routes whose path pkgcheck cannot evaluate are skipped.

    ## Example
    ```python
    from steamship.invocable import PackageService, post

    class Service(PackageService):
        @post("greet")
        def greet(self, name) -> str:
            return f"hi {name}"
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post

    class Service(PackageService):
        @post("greet")
        def greet(self, name: str) -> str:
            return f"hi {name}"
    ```
    """

    code = "SHP202"
    message = "parameter {param} of {route} has no annotation; the spec shows its kind as inspect._empty"
    opt_in = True

    def check(self, context: Context) -> Iterator[Finding]:
        if not context.project.behaviour.has_spec:
            return  # steamship 2.1.x has no spec to show the kind in
        for module, decl, _ in routes_here(context):
            for param in parameters(decl):
                if param.annotation is None and param.kind in ("posonly", "normal", "kwonly"):
                    yield self.finding(Where(module.name, param.node), param=param.name, route=route_label(decl))


class MissingReturnAnnotation(Rule):
    """A route without a return annotation (opt-in).

    ## Why is this bad?
    Steamship 2.17.34 serves ``str(signature.return_annotation)`` as the route's ``returns``;
    without an annotation it is ``<class 'inspect._empty'>`` and clients cannot know what they
    get back.

    ## Not reported
    ``-> None`` is an annotation: the spec shows ``None``. Steamship 2.1.x has no spec to show a
    return type in, so the rule is silent there. Routes whose path pkgcheck cannot evaluate are
    skipped.

    ## Example
    ```python
    from steamship.invocable import PackageService, post

    class Service(PackageService):
        @post("greet")
        def greet(self, name: str):
            return f"hi {name}"
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post

    class Service(PackageService):
        @post("greet")
        def greet(self, name: str) -> str:
            return f"hi {name}"
    ```
    """

    code = "SHP203"
    message = "{route} has no return annotation; the spec shows it returns inspect._empty"
    opt_in = True

    def check(self, context: Context) -> Iterator[Finding]:
        if not context.project.behaviour.has_spec:
            return  # steamship 2.1.x has no spec to show the return type in
        for module, decl, _ in routes_here(context):
            if decl.function.returns is None:
                yield self.finding(Where(module.name, decl.function.name_node), route=route_label(decl))


class OptionalAliasParameter(Rule):
    """A route parameter annotated ``Optional[X]`` where X is a ``typing`` alias or a string.

    ## Why is this bad?
    For an ``Optional[X]`` parameter, steamship 2.17.34's ``ArgSpec`` checks whether X is an
    Enum with ``issubclass(X, Enum)``. When X is a ``typing`` alias (``Dict[str, Any]``,
    ``List[str]``, bare ``Dict``) or a forward reference (``Optional['Foo']``) that raises
    ``TypeError: issubclass() arg 1 must be a class`` while the class is being defined: the
    package cannot be imported (or, for a mixin's route, the package that adds it cannot start).
    Observed on Python 3.11; ``Optional[dict]``, ``Optional[list[str]]`` and modules with
    ``from __future__ import annotations`` are fine.

    Releases: ``ArgSpec`` reads enum values from steamship 2.3.4 on. In 2.3.4 and 2.3.5 it
    calls ``issubclass()`` on every annotation, so any annotation that is not a class
    (``Optional[str]``, a string under ``from __future__ import annotations``) fails the same
    way; before 2.3.4 nothing is checked, and the rule is silent.

    ## Not reported
    ``Optional`` of a class (``Optional[dict]``, a project class, a class of a module pkgcheck does
    not read), of a builtin generic (``list[str] | None``), of two or more types, or of a name
    pkgcheck cannot resolve; from 2.3.6 on, whole-string annotations and modules with ``from
    __future__ import annotations``; return annotations, which ``ArgSpec`` never reads.
    ``Optional[Any]`` is reported only when pkgcheck itself runs on a Python before 3.11.

    ## Example
    ```python
    from typing import Any, Dict, Optional

    from steamship.invocable import PackageService, post

    class Service(PackageService):
        @post("save")
        def save(self, metadata: Optional[Dict[str, Any]] = None) -> str:
            return "ok"
    ```

    ## Use instead
    ```python
    from typing import Optional

    from steamship.invocable import PackageService, post

    class Service(PackageService):
        @post("save")
        def save(self, metadata: Optional[dict] = None) -> str:
            return "ok"
    ```
    """

    code = "SHP204"
    message = (
        "parameter {param} is annotated {annotation}; "
        "steamship calls issubclass() on {inner}, which raises TypeError, so {effect}"
    )

    def check(self, context: Context) -> Iterator[Finding]:
        how = context.project.behaviour.enum_values
        for module, decl, kind in routes_here(context):
            if module.future_annotations and how != "unguarded":
                continue  # a string annotation is not a class, and steamship checks for one
            for param in parameters(decl):
                if param.annotation is None:
                    continue
                rendered = render(context.project, module, param.annotation, is_param=True)
                _, crash = enum_values_of(how, rendered)
                if crash is None:
                    continue
                cls = decl.declared_in.qualname
                effect = (
                    f"defining {cls} fails and the package cannot be imported"
                    if kind == "package"
                    else f"every package that uses {cls} fails to import or start"
                )
                yield self.finding(
                    Where(module.name, param.node),
                    param=param.name,
                    annotation=param.annotation.source,
                    inner=f"the string {crash!r}" if module.future_annotations else crash,
                    effect=effect,
                )
