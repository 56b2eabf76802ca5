"""SHP4xx: ``invoke_later`` calls — the route they name, its verb, its arguments, the call."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterator, List, Optional, Set, Tuple, Union

from linter.project.index import Ref
from linter.semantic.calls import SIGNATURE, Call, checkable, memo_calls, route_path, verb_of
from linter.semantic.context import Context
from linter.semantic.model import Phrase, Route, Spec, Where
from linter.source.facts import Expr, FunctionFact
from rules import Finding, Rule

CONSEQUENCE = 'the background task fails with "No handler for {verb} {path}"'


def short(ref: Ref) -> str:
    return ref.qualname.rpartition(".")[2]


class UnknownInvokeLaterRoute(Rule):
    """``invoke_later`` naming a route the package does not have.

    ## Why is this bad?
    ``invoke_later(method, ...)`` (steamship 2.17.34) schedules a call of the route whose *path*
    is ``method`` — not the Python method name — on the package instance. Nothing checks it at
    the call: the background task later fails with ``No handler for POST /name``, where nobody
    is watching.

    Releases: before steamship 2.16.1 a package serves only the routes of its own class and
    its direct bases; a grandparent's route is not found, and the message says so.

    ## Not reported
    A computed route name or ``verb=`` (SHP406 lists the former), a path the package has under
    another verb (SHP402), calls with no invocation context (SHP405), and any call where a package
    that can receive it has routes pkgcheck cannot all know (an unresolved base, mixin or
    ``add_mixin``). On ``self`` in a base class, or a parameter typed as one, only a route that no
    package it can be serves is reported (opt-in SHP407 lists the rest).

    ## Example
    ```python
    from steamship.invocable import PackageService, post

    class Indexer(PackageService):
        @post("index_file")
        def index(self, file_id: str) -> str:
            return file_id

        @post("upload")
        def upload(self, file_id: str) -> str:
            self.invoke_later("index", arguments={"file_id": file_id})
            return file_id
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post

    class Indexer(PackageService):
        @post("index_file")
        def index(self, file_id: str) -> str:
            return file_id

        @post("upload")
        def upload(self, file_id: str) -> str:
            self.invoke_later("index_file", arguments={"file_id": file_id})
            return file_id
    ```
    """

    code = "SHP401"
    message = (
        "no route {route} on {package} ({package_at}{hint}); "
        "the background task fails with \"No handler for {route}\""
    )

    def check(self, context: Context) -> Iterator[Finding]:
        for call in memo_calls(context):
            path = route_path(context, call)
            verb, verb_known = verb_of(context, call)
            if path is None or not verb_known:
                continue
            checked = receiving(context, call)
            lacking = [(package, spec) for package, spec in checked if not any(key[1] == path for key in spec.routes)]
            if not lacking:
                continue  # the path exists (perhaps with another verb: SHP402)
            if call.alternatives and len(checked) > 1:
                # the receiver is one of these packages: wrong only if wrong for every one
                if len(lacking) == len(checked):
                    yield self.finding(
                        call.where,
                        route=f"{verb} {path}",
                        package="any of " + ", ".join(short(package) for package, _ in lacking),
                        package_at=places(context, [package for package, _ in lacking]),
                        hint=next(
                            (hint for hint in (suggest(context, call, spec, path) for _, spec in lacking) if hint), ""
                        ),
                    )
                continue
            # one finding per package that lacks the route (a mixin's call may reach several),
            # each naming where that package is defined
            for package, spec in lacking:
                yield self.finding(
                    call.where,
                    route=f"{verb} {path}",
                    package=short(package),
                    package_at=context.class_where(package) or "?",
                    hint=suggest(context, call, spec, path),
                )


def receiving(context: Context, call: Call) -> List[Tuple[Ref, Spec]]:
    """:func:`checkable`, the class the receiver is declared as first."""
    checked = checkable(context, call)
    first = call.receiver_class.key if call.receiver_class is not None else None
    return sorted(checked, key=lambda item: item[0].key != first)


def places(context: Context, packages: List[Ref]) -> Phrase:
    """``a.py:3, b.py:9``: where each package is defined."""
    parts: List[object] = []
    for index, package in enumerate(packages):
        if index:
            parts.append(", ")
        parts.append(context.class_where(package) or "?")
    return Phrase(tuple(parts))


#: how alike (difflib's ratio) a route path must be to the one named to be a likely misspelling
CLOSE = 0.6
#: routes less alike than the closest one by no more than this are as likely: the guess is
#: ambiguous (``/get_itme``: ``/get_item`` and ``/get_time``)
AMBIGUOUS = 0.1


@dataclass(frozen=True)
class Candidates:
    """The routes an unknown route name may have meant, best first."""

    routes: Tuple[Route, ...]
    #: the name when the call gave a route's Python method name instead of its path
    method_name: Optional[str] = None

    @property
    def paths(self) -> List[str]:
        return list(dict.fromkeys(route.path for route in self.routes))


def route_candidates(context: Context, call: Call, spec: Spec, path: str) -> Candidates:
    """What ``path`` (not a route of ``spec``) may have meant: the route whose Python method the
    call names, else the close spellings — the closest and those nearly as close (any verb).
    SHP401's hint and its unsafe fix both read this, so they never disagree."""
    known, raw = context.project.constant(call.module, call.args.get("method"))
    name = raw.strip().strip("/") if known and isinstance(raw, str) else ""
    routes = [r for r in spec.methods() if r.origin != "reserved" and r.path != path]
    named = tuple(r for r in routes if name and r.method_name == name)
    if named:
        return Candidates(named, name)
    scores = {p: difflib.SequenceMatcher(None, path, p).ratio() for p in {r.path for r in routes}}
    best = max(scores.values(), default=0.0)
    if best < CLOSE:
        return Candidates(())
    close = sorted(
        (p for p, score in scores.items() if score >= CLOSE and score >= best - AMBIGUOUS),
        key=lambda p: (-scores[p], p),
    )
    return Candidates(tuple(r for p in close for r in routes if r.path == p))


def suggest(context: Context, call: Call, spec: Spec, path: str) -> Union[str, Phrase]:
    unreached = ancestor_route(context, spec, path)
    if unreached is not None:
        return unreached
    found = route_candidates(context, call, spec, path)
    if found.method_name is not None:
        name = found.method_name
        routes = " and ".join(f"{r.verb} {r.path}" for r in found.routes)
        paths = " or ".join(repr(p.lstrip("/")) for p in found.paths)
        return f"; {name} is the Python method of {routes}: invoke_later takes the path, {paths}"
    if found.routes:
        spelled = " or ".join(repr(p.lstrip("/")) for p in found.paths)
        return f"; did you mean {spelled}?"
    return ""


def ancestor_route(context: Context, spec: Spec, path: str) -> Optional[Phrase]:
    """Why a route an ancestor declares is not served, in a release where a class takes only
    its direct bases' routes (before 2.16.1), or None."""
    if context.project.behaviour.inherits != "nothing":
        return None
    mro, _ = context.project.mro(spec.cls)
    for ancestor in mro[2:]:
        if ancestor.kind != "class":
            continue
        for decl in context.builder.declared_routes(ancestor)[0]:
            if decl.path == path:
                return Phrase(
                    (
                        f"; {short(ancestor)} declares it (",
                        decl.decorator,
                        f"), but in steamship {context.project.steamship.version} a package serves "
                        "only the routes of its own class and its direct bases",
                    )
                )
    return None


def encloses(route: Route, call: Call) -> bool:
    """Whether the call is in the method ``route`` runs: fixing the call to that route would
    make the route schedule itself."""
    if call.function is None:
        return False
    here = (call.module.name, call.function.node)
    runs = []
    if route.function is not None and route.function_class is not None:
        runs.append((route.function_class.module, route.function.node))
    if route.decl is not None:
        runs.append((route.decl.declared_in.module, route.decl.function.node))
    return here in runs


class InvokeLaterVerbMismatch(Rule):
    """``invoke_later`` with a verb the named route does not have.

    ## Why is this bad?
    ``invoke_later`` defaults to ``Verb.POST``; steamship 2.17.34 looks the call up by verb and
    path, so scheduling a ``@get`` route without ``verb=Verb.GET`` (or the reverse) fails in the
    background task with ``No handler for POST /path``.

    ## Not reported
    A path the package lacks under every verb (SHP401), a ``verb=`` that is not a constant ``Verb``
    member (SHP404 reports a literal), calls with no invocation context (SHP405), and packages whose
    routes pkgcheck cannot all know. On a receiver that may be one of several packages, only a path
    that each of them has under other verbs alone is reported.

    ## Example
    ```python
    from steamship.invocable import PackageService, get, post

    class Reports(PackageService):
        @get("build_report")
        def build_report(self) -> str:
            return "report"

        @post("nightly")
        def nightly(self) -> str:
            self.invoke_later("build_report")
            return "scheduled"
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, get, post
    from steamship.utils.url import Verb

    class Reports(PackageService):
        @get("build_report")
        def build_report(self) -> str:
            return "report"

        @post("nightly")
        def nightly(self) -> str:
            self.invoke_later("build_report", verb=Verb.GET)
            return "scheduled"
    ```
    """

    code = "SHP402"
    message = (
        "{package} has {path} only as {have} ({route_at}), not {verb}; "
        "the background task fails with \"No handler for {verb} {path}\""
    )

    def check(self, context: Context) -> Iterator[Finding]:
        for call in memo_calls(context):
            path = route_path(context, call)
            verb, verb_known = verb_of(context, call)
            if path is None or not verb_known:
                continue
            checked = receiving(context, call)
            wrong = []
            for package, spec in checked:
                verbs = sorted(v for v, p in spec.routes if p == path)
                if verbs and verb not in verbs:
                    wrong.append((package, spec, verbs))
            if call.alternatives and len(checked) > 1:
                if not wrong or any((verb, path) in spec.routes for _, spec in checked):
                    continue  # no package has the path (SHP401), or some serves the call (SHP407)
                names = " and ".join(short(package) for package, _, _ in wrong) + (" each" if len(wrong) > 1 else "")
                lacking = [short(package) for package, spec in checked if not any(p == path for _, p in spec.routes)]
                if lacking:  # wrong for every package: these have the path with another verb, those not at all
                    names += f" ({', '.join(lacking)}: no {path} at all)"
                wrong = wrong[:1]
            else:
                names = ""
            for package, spec, verbs in wrong:
                yield self.finding(
                    call.where,
                    package=names or short(package),
                    path=path,
                    have=" and ".join(verbs),
                    route_at=route_where(spec.routes[(verbs[0], path)]),
                    verb=verb,
                )


def route_where(route: Route) -> object:
    """Where a route's method is defined ("built in" for steamship's reserved routes)."""
    if route.function_class is not None and route.function is not None:
        return Where(route.function_class.module, route.function.node)
    return "built in"


def accepted(function: FunctionFact) -> Tuple[Set[str], Set[str], bool]:
    """(names that can be passed by keyword, required ones, takes **kwargs)."""
    names: Set[str] = set()
    required: Set[str] = set()
    varkw = False
    for index, param in enumerate(function.params):
        if index == 0 and param.name == "self" and param.kind in ("posonly", "normal"):
            continue
        if param.kind == "varkw":
            varkw = True
        elif param.kind in ("normal", "kwonly"):
            names.add(param.name)
            if param.default is None:
                required.add(param.name)
    return names, required, varkw


def argument_problems(
    function: FunctionFact, keys: List[Tuple[str, Expr]], complete: bool
) -> List[str]:
    """What is wrong with passing ``keys`` (all of them when ``complete``) to ``function`` by
    keyword: keys it does not take, required parameters not given."""
    names, required, varkw = accepted(function)
    problems = []
    unknown = [key for key, _ in keys if key not in names and not varkw]
    if unknown:
        problems.append("include " + ", ".join(repr(k) for k in unknown) + ", not a parameter")
    missing = sorted(required - {key for key, _ in keys}) if complete else []
    if missing:
        problems.append("lack " + ", ".join(repr(k) for k in missing) + ", a required parameter")
    return problems


def argument_keys(context: Context, call: Call) -> Optional[Tuple[List[Tuple[str, Expr]], bool]]:
    """(literal keys with their nodes, fully known) of ``arguments``; None when unknown."""
    expr = call.args.get("arguments")
    if expr is None or expr.kind == "none":
        return [], True
    if expr.kind == "dict":
        keys = []
        complete = True
        for key, _ in expr.entries:
            if key is None:
                complete = False
                continue
            known, value = context.project.constant(call.module, key)
            if known and isinstance(value, str):
                keys.append((value, key))
            else:
                complete = False
        return keys, complete
    if expr.kind == "call" and expr.func is not None and expr.func.dotted == "dict":
        ref = context.project.resolve(call.module, "dict")
        if ref is None or ref.kind != "builtin" or expr.items:
            return None
        keys = [(key, value) for key, value in expr.keywords if key is not None]
        return keys, all(key is not None for key, _ in expr.keywords)
    return None


class InvokeLaterArguments(Rule):
    """``invoke_later`` arguments the route method does not accept, or lacking a required one.

    ## Why is this bad?
    Steamship 2.17.34 calls the route method with ``**arguments``: an unknown key (unless the
    method takes ``**kwargs``) or a missing required parameter raises ``TypeError`` in the
    background task, long after the call site looked fine.

    ## Not reported
    ``arguments`` that is not a dict display or ``dict(...)`` of keywords (a variable, a call): its
    keys are unknown. Missing parameters are judged only when every key is known (no ``**extra``, no
    computed key); a route taking ``**kwargs`` accepts any key, and one whose method pkgcheck cannot
    find accepts anything. Routes not found are SHP401's and SHP402's; on a receiver that may be one
    of several packages, only arguments wrong for all of them are reported.

    ## Example
    ```python
    from steamship.invocable import PackageService, post

    class Mailer(PackageService):
        @post("send")
        def send(self, to: str, body: str) -> str:
            return to

        @post("welcome")
        def welcome(self, to: str) -> str:
            self.invoke_later("send", arguments={"recipient": to, "body": "hi"})
            return to
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post

    class Mailer(PackageService):
        @post("send")
        def send(self, to: str, body: str) -> str:
            return to

        @post("welcome")
        def welcome(self, to: str) -> str:
            self.invoke_later("send", arguments={"to": to, "body": "hi"})
            return to
    ```
    """

    code = "SHP403"
    message = "arguments for {route} {problem} of {method} ({method_at}); the background task raises TypeError"

    def check(self, context: Context) -> Iterator[Finding]:
        for call in memo_calls(context):
            path = route_path(context, call)
            verb, verb_known = verb_of(context, call)
            if path is None or not verb_known:
                continue
            keys = argument_keys(context, call)
            if keys is None:
                continue
            literal_keys, complete = keys
            judged = []
            for package, spec in receiving(context, call):
                route = spec.routes.get((verb, path))
                if route is None:
                    continue  # SHP401/402
                if route.function is None or not route.args_known:
                    judged.append((route, []))  # cannot tell: counts as accepting
                    continue
                judged.append((route, argument_problems(route.function, literal_keys, complete)))
            if call.alternatives and len(judged) > 1:
                # the receiver is one of these packages: wrong only if wrong for every one
                judged = judged[:1] if all(problems for _, problems in judged) else []
            for route, problems in judged:
                assert route.function is not None or not problems
                for problem in problems:
                    yield self.finding(
                        call.where,
                        route=f"{verb} {path}",
                        problem=problem,
                        method=route.function.name if route.function is not None else "?",
                        method_at=route_where(route),
                    )


class InvokeLaterBadCall(Rule):
    """An ``invoke_later`` call whose own arguments are wrong.

    ## Why is this bad?
    ``PackageService.invoke_later(method, verb=Verb.POST, wait_on_tasks=None, arguments=None,
    delay_ms=None)`` in steamship 2.17.34 calls ``verb.value``, so ``verb="GET"`` raises
    ``AttributeError``; ``arguments`` must be a mapping of the route's keyword arguments;
    ``wait_on_tasks`` a list of tasks; ``delay_ms`` a non-negative number of milliseconds. A call
    without a method, or with keywords ``invoke_later`` does not take, raises ``TypeError`` at
    once.

    Releases: ``invoke_later`` exists from steamship 2.3.2 on (before, the call raises
    AttributeError) and takes ``delay_ms`` from 2.16.1 on; pkgcheck reads its parameters from
    the release the project uses.

    ## Not reported
    Calls on a receiver not known to be a package, whose ``invoke_later`` may be another one. Only
    literals and displays are judged (``verb="GET"``, ``arguments=[...]``): names, calls and
    attributes other than ``Verb``'s are not. ``None`` for ``arguments``, ``wait_on_tasks`` or
    ``delay_ms`` is their default. Surplus arguments that may hide in ``*args`` or ``**kwargs`` are
    not counted.

    ## Example
    ```python
    from steamship.invocable import PackageService, get, post

    class Reports(PackageService):
        @get("build_report")
        def build_report(self) -> str:
            return "report"

        @post("nightly")
        def nightly(self) -> str:
            self.invoke_later("build_report", verb="GET")
            return "scheduled"
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, get, post
    from steamship.utils.url import Verb

    class Reports(PackageService):
        @get("build_report")
        def build_report(self) -> str:
            return "report"

        @post("nightly")
        def nightly(self) -> str:
            self.invoke_later("build_report", verb=Verb.GET)
            return "scheduled"
    ```
    """

    code = "SHP404"
    message = "{problem}; {effect}"

    def check(self, context: Context) -> Iterator[Finding]:
        for call in memo_calls(context):
            if call.packages is None and call.no_context is None:
                continue  # not known to be steamship's invoke_later
            for problem, effect, node in self.problems(context, call):
                yield self.finding(Where(call.module.name, node), problem=problem, effect=effect)

    def problems(self, context: Context, call: Call) -> Iterator[Tuple[str, str, int]]:
        args = call.args
        node = call.fact.node
        if call.signature is None:
            version = context.project.steamship.version
            yield (
                f"{context.project.behaviour.package_class[1]} has no invoke_later in steamship {version} "
                "(PackageService has it from 2.3.2 on)",
                "the call raises AttributeError",
                node,
            )
            return
        signature = call.signature
        splat = any(extra.startswith("*") for extra in call.extra)
        if "method" not in args and not splat:  # *args or **kwargs may well carry it
            yield "invoke_later without a method", "the call raises TypeError", node
        positional = [extra for extra in call.extra if not extra.startswith("*") and not extra.endswith("=")]
        if positional:
            given = len(signature) + len(positional)
            yield (
                f"invoke_later takes at most {len(signature)} positional arguments but is given {given}",
                "the call raises TypeError",
                node,
            )
        for extra in call.extra:
            if extra.endswith("=") and not extra.startswith("*"):
                key = extra[:-1]
                if key in signature:  # also given by position
                    yield f"invoke_later gets two values for {key}", "the call raises TypeError", node
                elif key in SIGNATURE:  # a parameter of a later release
                    version = context.project.steamship.version
                    yield f"invoke_later of steamship {version} does not take {key}", "the call raises TypeError", node
                else:
                    yield f"invoke_later does not take {key}", "the call raises TypeError", node
        verb = args.get("verb")
        if verb is not None and verb.kind != "none":
            if verb.is_literal or verb.kind in ("fstring", "list", "dict", "tuple"):
                yield (
                    f"verb={verb.source} is not a Verb member",
                    "invoke_later calls verb.value and raises AttributeError",
                    verb.node,
                )
            elif verb.kind == "attribute" and verb.dotted:
                ref = context.project.resolve(call.module, verb.dotted)
                owner = ref.qualname.rpartition(".")[0] if ref is not None and ref.kind == "attribute" else None
                is_verb = owner is not None and (ref.module, owner) == context.project.behaviour.verb_class
                if is_verb and context.builder.verb_of(call.module, verb) is None:
                    yield f"{verb.source} is not a member of Verb", "the call raises AttributeError", verb.node
        arguments = args.get("arguments")
        if arguments is not None and (
            arguments.kind in ("list", "tuple", "set", "str", "int", "float", "bool", "fstring", "bytes")
        ):
            yield (
                f"arguments={arguments.source} is not a mapping",
                "the route cannot receive it as keyword arguments",
                arguments.node,
            )
        tasks = args.get("wait_on_tasks")
        if tasks is not None:
            if tasks.kind in ("str", "fstring"):
                yield (
                    f"wait_on_tasks={tasks.source} is a string, not a list of tasks",
                    "steamship iterates it and waits on each character as a task id",
                    tasks.node,
                )
            elif tasks.kind in ("int", "float", "bool", "dict", "bytes"):
                yield f"wait_on_tasks={tasks.source} is not a list of tasks", "the call raises TypeError", tasks.node
        delay = args.get("delay_ms")
        if delay is not None:
            if delay.kind in ("int", "float") and isinstance(delay.value, (int, float)) and delay.value < 0:
                yield (
                    f"delay_ms={delay.source} is negative",
                    "the call raises SteamshipError (a negative wait)",
                    delay.node,
                )
            elif delay.kind in ("str", "fstring", "list", "dict", "bool"):
                yield f"delay_ms={delay.source} is not a number of milliseconds", "the call fails", delay.node


class InvokeLaterWithoutContext(Rule):
    """``invoke_later`` where there is no invocation context, or on something that is not a package.

    ## Why is this bad?
    ``invoke_later`` (steamship 2.17.34) needs ``self.context``. Deployed, steamship builds a
    new package instance, with a context, for every request — so a call in ``__init__`` (the
    package's, or a mixin constructor that runs inside it) schedules a task on every request,
    including the request that task makes: the tasks keep scheduling each other. Without a
    context (local runs, tests, a class body, module level) it raises ``SteamshipError``. A
    mixin has no ``invoke_later`` at all: ``self.invoke_later`` in a mixin raises
    ``AttributeError``; call it on the package the mixin holds.

    ## Not reported
    Receivers not known to be a package (an unannotated parameter, a variable, a class whose kind an
    unresolved base hides). At module level or in a class body, only a call on a package class
    itself. A call in a helper that ``__init__`` calls, or in a function nested in ``__init__``, is
    not followed. Before steamship 2.3.2 SHP404 reports the missing ``invoke_later`` instead.

    ## Example
    ```python
    from steamship.invocable import PackageService, post

    class Warmup(PackageService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.invoke_later("warm")

        @post("warm")
        def warm(self) -> str:
            return "warm"
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post

    class Warmup(PackageService):
        @post("start")
        def start(self) -> str:
            self.invoke_later("warm")
            return "started"

        @post("warm")
        def warm(self) -> str:
            return "warm"
    ```
    """

    code = "SHP405"
    message = "invoke_later {where}; {effect}"

    def check(self, context: Context) -> Iterator[Finding]:
        for call in memo_calls(context):
            if call.no_context is None or call.signature is None:
                continue
            if call.no_context.startswith("on a mixin"):
                effect = "call it on the package the mixin holds"
            elif "__init__" in call.no_context:
                effect = (
                    "deployed, it schedules a task on every request, including the task's own, "
                    "so tasks keep scheduling tasks; without a context it raises SteamshipError"
                )
            else:
                effect = "there is no invocation context, so it raises SteamshipError"
            yield self.finding(call.where, where=call.no_context, effect=effect)


class UnverifiableInvokeLater(Rule):
    """``invoke_later`` that pkgcheck cannot verify (opt-in).

    ## Why is this bad?
    When the route name is computed, or the package that receives the call cannot be resolved,
    no rule can check it: a typo fails only in the background task (steamship 2.17.34 reports
    ``No handler for ...`` there). Opt in to list such calls and make them checkable (a literal
    route, an annotated receiver).

    ## Not reported
    Calls another rule settles: no invocation context (SHP405), a release without ``invoke_later``
    or a call without a route (SHP404), and receivers known not to be packages. A computed
    ``verb=`` is not listed, nor a receiver that no package of the project can be (an abstract base
    without concrete subclasses), nor a package left unchecked only because pkgcheck does not model
    the routing code of the steamship in use, nor ``self.invoke_later`` in a class that binds an
    ``invoke_later`` of its own (a method, or a field such as ``invoke_later: Callable``).

    ## Example
    ```python
    from steamship.invocable import PackageService, post

    class Jobs(PackageService):
        @post("run")
        def run(self, job: str) -> str:
            self.invoke_later(f"job_{job}")
            return job

        @post("job_a")
        def job_a(self) -> str:
            return "a"
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post

    class Jobs(PackageService):
        @post("run")
        def run(self, job: str) -> str:
            self.invoke_later("job_a")
            return job

        @post("job_a")
        def job_a(self) -> str:
            return "a"
    ```
    """

    code = "SHP406"
    message = "invoke_later {why}; pkgcheck cannot verify the route"
    opt_in = True

    def check(self, context: Context) -> Iterator[Finding]:
        for call in memo_calls(context):
            if call.no_context is not None or call.not_a_package or call.signature is None:
                continue
            if call.packages is None:
                receiver = call.fact.receiver.source if call.fact.receiver is not None else "?"
                if receiver == "self" and call.cls and own_invoke_later(context, call.cls):
                    continue  # the class binds an invoke_later of its own: not steamship's
                unknown = context.project.unknown_bases(call.cls) if receiver == "self" and call.cls else []
                if unknown:
                    why = f"on self of {short(call.cls)}, whose kind cannot be known: {', '.join(unknown)}"
                else:
                    why = f"on {receiver}, whose package cannot be resolved"
                yield self.finding(call.where, why=why)
            elif "method" in call.args and route_path(context, call) is None:
                yield self.finding(call.where, why=f"names a computed route ({call.args['method'].source})")
            elif call.packages and route_path(context, call) is not None and not checkable(context, call):
                unknown = next(
                    (
                        (package, spec)
                        for package in call.packages
                        for spec in [context.instance_spec(package)]
                        if spec is not None and not spec.complete
                    ),
                    None,
                )
                if unknown is not None:
                    package, spec = unknown
                    yield self.finding(
                        call.where,
                        why=f"reaches {short(package)}, whose routes cannot all be known ({spec.notes[0]})",
                    )


def own_invoke_later(context: Context, cls: Ref) -> bool:
    """Whether ``cls``, or a project class it inherits from, binds ``invoke_later`` itself (a
    method, or a field such as langchain-production-starter's ``invoke_later: Callable``)."""
    owner, _, _ = context.project.lookup_attribute(cls, "invoke_later")
    return owner is not None and not context.project.is_steamship(owner.module)


class InvokeLaterServedBySome(Rule):
    """``invoke_later`` on a receiver that may be a package without the route (opt-in).

    ## Why is this bad?
    A receiver declared as a package class (``self`` in a base package, a parameter annotated
    ``pkg: BaseBot``) is at run time the deployed package: that class or any subclass. When
    some of them serve the route and others do not, the call works only where it reaches the
    right one; on another, the background task fails with ``No handler for POST /path``
    (steamship 2.17.34). SHP401 stays silent then (the call is right for some package); opt in
    to list such calls.

    ## Not reported
    A receiver that is each of several packages rather than one of them (``self.package`` in a
    mixin: SHP401 judges every package that adds it), calls no package serves (SHP401, SHP402),
    computed routes or verbs, and packages whose routes pkgcheck cannot all know. The declared class
    itself is left out when it has subclasses: it is their base, not what is deployed.

    ## Example
    ```python
    from steamship.invocable import PackageService, post

    class BaseBot(PackageService):
        @post("ping")
        def ping(self) -> str:
            self.invoke_later("refresh")
            return "ok"

    class Bot(BaseBot):
        @post("refresh")
        def refresh(self) -> str:
            return "done"

    class QuietBot(BaseBot):
        pass
    ```

    ## Use instead
    ```python
    from steamship.invocable import PackageService, post

    class BaseBot(PackageService):
        @post("ping")
        def ping(self) -> str:
            self.invoke_later("refresh")
            return "ok"

        @post("refresh")
        def refresh(self) -> str:
            return "nothing to refresh"

    class Bot(BaseBot):
        @post("refresh")
        def refresh(self) -> str:
            return "done"
    ```
    """

    code = "SHP407"
    message = (
        "{route} is served by {served} but not by {unserved} ({unserved_at}), which a {receiver} "
        "receiver can also be; there the background task fails with \"No handler for {route}\""
    )
    opt_in = True

    def check(self, context: Context) -> Iterator[Finding]:
        for call in memo_calls(context):
            path = route_path(context, call)
            verb, verb_known = verb_of(context, call)
            if path is None or not verb_known or not call.alternatives or call.receiver_class is None:
                continue
            checked = receiving(context, call)
            if len(checked) > 1:
                # a declared class that has subclasses here is their base, not what is deployed
                checked = [item for item in checked if item[0].key != call.receiver_class.key]
            served = [package for package, spec in checked if (verb, path) in spec.routes]
            unserved = [package for package, spec in checked if (verb, path) not in spec.routes]
            if served and unserved:
                yield self.finding(
                    call.where,
                    route=f"{verb} {path}",
                    served=", ".join(short(package) for package in served),
                    unserved=", ".join(short(package) for package in unserved),
                    unserved_at=places(context, unserved),
                    receiver=short(call.receiver_class),
                )
