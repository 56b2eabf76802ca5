"""What each automatic fix changes, decided from the engine's facts (never from messages).

A planner takes one violation and answers with an :class:`Edit` — replace the string literal
that starts at a line and column, expecting its current value — or with the reason it will not
fix it. :mod:`linter.tools.fix` applies the edits to the syntax tree. The planners find the fact a
violation was reported for by recomputing the span of the node the rule pointed at.

Fixes: SHP404 ``verb="GET"`` → ``verb=Verb.GET``; SHP103 an override's path spelled like the
base route's; SHP108 a stray trailing slash or surrounding whitespace, when no other route of
the class uses the fixed path; SHP401 (unsafe) a misspelled ``invoke_later`` route with exactly
one candidate — the one the rule's hint names — that has the call's verb, is not the route the
call is in, and takes the call's arguments.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional, Tuple, Union

from linter.project.index import Ref
from linter.run.checker import Violation
from linter.sdk.steamship import VERB
from linter.semantic.calls import Call, checkable, memo_calls, route_path, verb_of
from linter.semantic.context import Context
from linter.semantic.model import RouteDecl, Spec, clean_path
from linter.source.facts import Expr, ModuleFacts
from rules.invoke_later import argument_keys, argument_problems, encloses, route_candidates, short
from rules.routes import path_problem

#: codes whose fixes change what a route call reaches by guessing: only with ``unsafe``
UNSAFE_CODES = frozenset({"SHP401"})
VERB_IMPORT = ("steamship.utils.url", "Verb")


@dataclass(frozen=True)
class Edit:
    """Replace the string literal at (``line``, ``column``) whose value is ``old``: by the
    string ``new`` (same quotes), or by the expression ``expression``."""

    line: int
    column: int
    old: str
    new: Optional[str] = None
    expression: Optional[str] = None
    #: (module, name) to import when ``expression`` needs it
    needs_import: Optional[Tuple[str, str]] = None


Plan = Union[Edit, str]
#: the plan of a fix that would be made with ``unsafe``
UNSAFE = "unsafe fix"


class Planner:
    """Plans the fixes of one project's violations."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.project = context.project
        self._by_path: Dict[str, ModuleFacts] = {
            os.path.abspath(module.path): module for module in context.modules
        }
        self.planners: Dict[str, Callable[[Violation, ModuleFacts], Plan]] = {
            "SHP404": self.verb_literal,
            "SHP103": self.override_spelling,
            "SHP108": self.suspicious_path,
            "SHP401": self.unknown_route,
        }

    def plan(self, violation: Violation, unsafe: bool) -> Plan:
        planner = self.planners.get(violation.code)
        if planner is None:
            return f"{violation.code} has no automatic fix"
        module = self._by_path.get(os.path.abspath(violation.path))
        if module is None:
            return "the file is not analysed"
        plan = planner(violation, module)
        if isinstance(plan, Edit) and violation.code in UNSAFE_CODES and not unsafe:
            return UNSAFE  # only when there is a fix to make
        return plan

    # -- helpers ---------------------------------------------------------------------------
    def at(self, module: ModuleFacts, node: int, violation: Violation) -> bool:
        span = self.project.span(module, node)
        return span is not None and (span.line, span.column) == (violation.line, violation.column)

    def literal_edit(self, module: ModuleFacts, expr: Optional[Expr], new: str) -> Plan:
        if expr is None or expr.kind != "str" or not isinstance(expr.value, str):
            return "the path is not a string literal"
        span = self.project.span(module, expr.node)
        if span is None:
            return "the literal cannot be located"
        return Edit(span.line, span.column, expr.value, new=new)

    def classes(self, module: ModuleFacts) -> Iterator[Ref]:
        for cls in module.classes:
            yield Ref("class", module.name, cls.qualname)

    def calls(self, module: ModuleFacts) -> Iterator[Call]:
        for call in memo_calls(self.context):
            if call.module.name == module.name:
                yield call

    # -- SHP404 ----------------------------------------------------------------------------
    def verb_literal(self, violation: Violation, module: ModuleFacts) -> Plan:
        for call in self.calls(module):
            verb = call.args.get("verb")
            if verb is None or not self.at(module, verb.node, violation):
                continue
            if verb.kind != "str" or not isinstance(verb.value, str):
                return "the verb is not a string literal"
            member = verb.value.strip().upper()
            if member not in ("GET", "POST"):
                return f"{verb.value!r} is not a verb steamship has"
            local = self.verb_name(module)
            if local is None:
                return "the name Verb is bound to something else in this module"
            span = self.project.span(module, verb.node)
            assert span is not None
            return Edit(
                span.line,
                span.column,
                verb.value,
                expression=f"{local[0]}.{member}",
                needs_import=VERB_IMPORT if local[1] else None,
            )
        return "not a verb literal of an invoke_later call"

    def verb_name(self, module: ModuleFacts) -> Optional[Tuple[str, bool]]:
        """How ``module`` spells steamship's Verb: (name, whether it must be imported)."""
        wanted = f"{VERB[0]}.{VERB[1]}"

        def is_verb(name: str) -> bool:
            ref = self.project.resolve(module, name)
            return ref is not None and ref.dotted == wanted

        if is_verb("Verb"):
            return "Verb", False
        for imported in module.imports:
            if imported.local and is_verb(imported.local):
                return imported.local, False
        if self.project.resolve(module, "Verb") is not None:
            return None
        return "Verb", True

    # -- SHP103 ----------------------------------------------------------------------------
    def override_spelling(self, violation: Violation, module: ModuleFacts) -> Plan:
        for ref in self.classes(module):
            events: List[Tuple[str, RouteDecl, RouteDecl]] = []
            self.context.builder.find_route_methods(ref, events)
            for kind, decl, base in events:
                if kind != "override_spelling" or decl.declared_in.key != ref.key:
                    continue
                if self.at(module, decl.decorator.node, violation):
                    return self.literal_edit(module, decl.path_expr, base.raw_path)
        return "no override of that spelling here"

    # -- SHP108 ----------------------------------------------------------------------------
    def suspicious_path(self, violation: Violation, module: ModuleFacts) -> Plan:
        for ref in self.classes(module):
            for decl in self.context.builder.declared_routes(ref)[0]:
                if decl.path_expr is None or not self.at(module, decl.path_expr.node, violation):
                    continue
                fixed = decl.raw_path.strip()
                while len(fixed) > 1 and fixed.endswith("/"):
                    fixed = fixed[:-1]
                if not fixed or fixed == decl.raw_path or path_problem(fixed) is not None:
                    return "only a trailing slash or surrounding whitespace is fixed"
                taken = self.taken_by(decl, clean_path(fixed))
                if taken:
                    return f"another route of {taken} already uses {clean_path(fixed)}"
                return self.literal_edit(module, decl.path_expr, fixed)
        return "no route path here"

    def taken_by(self, decl: RouteDecl, path: str) -> Optional[str]:
        """A class where some other route already has ``path`` (any verb), or None."""
        builder = self.context.builder

        def same(other: Optional[RouteDecl]) -> bool:
            return other is decl or (
                other is not None
                and other.declared_in.key == decl.declared_in.key
                and other.method_name == decl.method_name
                and other.raw_path == decl.raw_path
            )

        owner = decl.declared_in
        for other in builder.find_route_methods(owner):
            if not same(other) and other.path == path:
                return owner.qualname
        specs: List[Tuple[Ref, Optional[Spec]]] = []
        for package in self.context.packages():
            specs.append((package, builder.class_spec(package)))
            specs.append((package, builder.instance_spec(package)))
        for package, spec in specs:
            if spec is None or not any(same(route.decl) for route in spec.routes.values()):
                continue
            if any(route.path == path and not same(route.decl) for route in spec.routes.values()):
                return package.qualname
        return None

    # -- SHP401 ----------------------------------------------------------------------------
    def unknown_route(self, violation: Violation, module: ModuleFacts) -> Plan:
        """The route SHP401's hint names, when it is the only one for every package the call
        reaches, has the call's verb, is not the route the call is in, and takes the call's
        ``arguments`` (when they are known)."""
        for call in self.calls(module):
            if not self.at(module, call.fact.node, violation):
                continue
            method = call.args.get("method")
            path = route_path(self.context, call)
            verb, known = verb_of(self.context, call)
            packages = checkable(self.context, call)
            if method is None or method.kind != "str" or path is None or not known or not packages:
                return "the route is not a string literal of a known package"
            assert verb is not None
            found: List[str] = []
            for _, spec in packages:
                for candidate in route_candidates(self.context, call, spec, path).paths:
                    if candidate not in found:
                        found.append(candidate)
            if not found:
                return "no route is spelled like it"
            if len(found) > 1:
                listed = ", ".join(found)
                return f"{len(found)} candidate routes ({listed})"
            (target,) = found
            keys = argument_keys(self.context, call)
            for package, spec in packages:
                route = spec.routes.get((verb, target))
                if route is None:
                    return f"{short(package)} has no {verb} {target}"
                if encloses(route, call):
                    return (
                        f"{verb} {target} is the route this call is in, and a route scheduling "
                        "itself is no spelling fix"
                    )
                if keys is not None and route.function is not None and route.args_known:
                    problems = argument_problems(route.function, *keys)
                    if problems:
                        return (
                            f"the arguments for {verb} {target} would {problems[0]} of "
                            f"{route.function.name}"
                        )
            spelled = target if method.value.startswith("/") else target.lstrip("/")
            return self.literal_edit(module, method, spelled)
        return "no invoke_later call here"
