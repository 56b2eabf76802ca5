"""The ``invoke_later`` calls of a project: their arguments sorted as the runtime binds them,
and the packages that can receive each (``self`` in a package or in a mixin it adds, a
parameter typed as a package, ``self.package`` in a mixin).

Rules (SHP4xx) judge these calls; the fixes and the editor follow them to their routes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Tuple

from linter.project.index import Ref
from linter.semantic.context import Context
from linter.semantic.model import Spec, Where, clean_path
from linter.source.facts import CallFact, Expr, FunctionFact, ModuleFacts

#: ``PackageService.invoke_later``'s parameters in the newest release; a release's own come
#: from its source (:func:`signature_of`): no ``delay_ms`` before 2.16.1, no ``invoke_later``
#: before 2.3.2
SIGNATURE = ("method", "verb", "wait_on_tasks", "arguments", "delay_ms")


@dataclass
class Call:
    """One invoke_later call, its arguments sorted out, and who receives it."""

    module: ModuleFacts
    fact: CallFact
    function: Optional[FunctionFact]
    cls: Optional[Ref]
    args: Dict[str, Expr]
    #: positional or keyword arguments invoke_later does not take
    extra: List[str]
    #: the packages that can receive the call (None: cannot tell)
    packages: Optional[List[Ref]]
    #: why the call has no invocation context, or None
    no_context: Optional[str]
    #: the receiver is certainly not a package (its class is fully known): not steamship's
    #: invoke_later, nothing to verify
    not_a_package: bool = False
    #: invoke_later's parameters in the release in use (None: it has no invoke_later)
    signature: Optional[Tuple[str, ...]] = SIGNATURE
    #: the receiver is ONE of ``packages`` (``self`` in a package class, a parameter typed as
    #: one: an instance of that class or of any subclass), not each of them (``self.package``
    #: in a mixin, which every package adding the mixin runs): a verdict needs all of them
    alternatives: bool = False
    #: the class the receiver is declared as (``self``'s class, the annotation)
    receiver_class: Optional[Ref] = None

    @property
    def where(self) -> Where:
        return Where(self.module.name, self.fact.node)


def signature_of(context: Context) -> Optional[Tuple[str, ...]]:
    """The parameters of ``PackageService.invoke_later`` in the release in use, read from its
    source; None when it has none; :data:`SIGNATURE` when its source cannot be read."""
    memo = getattr(context, "_invoke_later_signature", False)
    if memo is not False:
        return memo  # type: ignore[no-any-return]
    package_service = Ref("class", *context.project.behaviour.package_class)
    result: Optional[Tuple[str, ...]] = SIGNATURE
    if context.project.class_fact(package_service) is not None:
        _, found, known = context.project.lookup_attribute(package_service, "invoke_later")
        if isinstance(found, FunctionFact):
            result = tuple(param.name for param in found.params if param.name != "self")
        elif known and found is None:
            result = None
    context._invoke_later_signature = result  # type: ignore[attr-defined]
    return result


def sort_arguments(
    call: CallFact, signature: Tuple[str, ...] = SIGNATURE
) -> Tuple[Dict[str, Expr], List[str]]:
    args: Dict[str, Expr] = {}
    extra: List[str] = []
    for index, expr in enumerate(call.call.items):
        if expr.kind == "starred":
            extra.append("*" + expr.source)
            break
        if index < len(signature):
            args[signature[index]] = expr
        else:
            extra.append(expr.source)
    for key, expr in call.call.keywords:
        if key is None:
            extra.append("**" + expr.source)
        elif key in signature and key not in args:
            args[key] = expr
        else:
            extra.append(f"{key}=")
    return args, extra


class Receivers:
    """Resolves what an invoke_later call is called on."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.project = context.project
        self.builder = context.builder

    def is_package_type(self, ref: Optional[Ref]) -> bool:
        if ref is None or ref.kind != "class":
            return False
        behaviour = self.project.behaviour
        return ref.key in (behaviour.package_class, behaviour.invocable_class) or bool(self.builder.is_package(ref))

    def annotation_type(self, module: ModuleFacts, expr: Optional[Expr], depth: int = 0) -> Optional[Ref]:
        """The one class an annotation admits besides None: ``P``, ``"P"``, ``Optional[P]``,
        ``Union[P, None]``, ``P | None`` (also as strings); None for anything else."""
        if expr is None or depth > 8:
            return None
        from linter.semantic.schemas import forward_reference, generic_name  # OpenAPI's; only when asked

        if expr.kind == "str":
            # "MyPackage", "Optional[MyPackage]": a forward reference
            parsed = forward_reference(expr.value) if isinstance(expr.value, str) else None
            return self.annotation_type(module, parsed, depth + 1) if parsed is not None else None
        if expr.kind in ("name", "attribute") and expr.dotted:
            return self.project.resolve(module, expr.dotted)
        alternatives: Tuple[Expr, ...] = ()
        if expr.kind == "binop" and expr.op == "|":
            alternatives = expr.items
        elif expr.kind == "subscript" and expr.dotted:
            name = generic_name(self.project.resolve(module, expr.dotted))
            if name in ("Optional", "Union"):
                alternatives = expr.items
        if alternatives:
            # a | b | None nests: flatten, then drop the Nones
            flat: List[Expr] = []
            pending = list(alternatives)
            while pending:
                item = pending.pop(0)
                if item.kind == "binop" and item.op == "|":
                    pending[:0] = item.items
                else:
                    flat.append(item)
            kept = [item for item in flat if item.kind != "none"]
            return self.annotation_type(module, kept[0], depth + 1) if len(kept) == 1 else None
        return None

    def attribute_type(self, cls: Ref, attr: str) -> Optional[Ref]:
        """The class an instance attribute holds: class-level annotation, or an ``__init__``
        assignment from an annotated parameter or a constructor call."""
        mro, _ = self.project.mro(cls)
        for item in mro:
            fact = self.project.class_fact(item)
            module = self.project.module(item.module) if item.kind == "class" else None
            if fact is None or module is None:
                continue
            assign = fact.assign(attr)
            if assign is not None and assign.annotation is not None:
                return self.annotation_type(module, assign.annotation)
            for method in fact.methods:
                for name, value in method.self_assigns:
                    if name != attr:
                        continue
                    if value.kind == "name":
                        param = method.param(value.dotted or "")
                        if param is not None and param.annotation is not None:
                            return self.annotation_type(module, param.annotation)
                    if value.kind == "call" and value.func is not None and value.func.dotted:
                        ref = self.project.resolve(module, value.func.dotted)
                        if ref is not None and ref.kind == "class":
                            return ref
        return None

    def receivers(self, call: Call) -> None:
        """Fill in ``call.packages`` and ``call.no_context``."""
        fact = call.fact
        receiver = fact.receiver
        if receiver is None:
            return
        builder = self.builder
        if fact.scope in ("module", "class"):
            ref = self.project.resolve(call.module, receiver.dotted) if receiver.dotted else None
            if self.is_package_type(ref):
                call.no_context = "at module level" if fact.scope == "module" else "in a class body"
            return
        cls = call.cls
        function = call.function
        in_init = function is not None and function.name == "__init__"
        if receiver.kind == "name" and receiver.dotted == "self" and cls is not None:
            if builder.is_package(cls):
                # self is this class or any subclass the project instantiates
                call.packages = self.context.subclasses(cls)
                call.alternatives, call.receiver_class = True, cls
                if in_init:
                    call.no_context = f"in {cls.qualname}.__init__"
            elif builder.is_mixin(cls):
                call.no_context = f"on a mixin ({cls.qualname} has no invoke_later: AttributeError)"
            elif builder.is_package(cls) is False and builder.is_mixin(cls) is False:
                call.not_a_package = True
            return
        target: Optional[Ref] = None
        if (
            receiver.kind == "attribute"
            and receiver.dotted
            and receiver.dotted.count(".") == 1
            and receiver.dotted.startswith("self.")
            and cls is not None
        ):
            target = self.attribute_type(cls, receiver.dotted[5:])
        elif receiver.kind == "name" and function is not None and receiver.dotted:
            param = function.param(receiver.dotted)
            if param is not None:
                target = self.annotation_type(call.module, param.annotation)
        if not self.is_package_type(target):
            if target is not None and (
                target.kind != "class" or builder.is_package(target) is False
            ):
                call.not_a_package = True
            return
        assert target is not None
        if cls is not None and builder.is_mixin(cls):
            packages = [p for p in self.context.packages_adding(cls) if self._within(p, target)]
            if in_init:
                call.no_context = f"in {cls.qualname}.__init__, which runs while the package is being built"
        else:
            # an instance of the annotated class or of any subclass: the deployed package
            packages = self.context.subclasses(target)
            call.alternatives, call.receiver_class = True, target
        call.packages = packages

    def _within(self, package: Ref, target: Ref) -> bool:
        return any(item.key == target.key for item in self.project.mro(package)[0])


def calls(context: Context) -> Iterator[Call]:
    receivers = Receivers(context)
    for module in context.modules:
        for fact in module.calls:
            if fact.method != "invoke_later":
                continue
            function = context.function_of(module, fact.function_qualname)
            cls = Ref("class", module.name, fact.class_qualname) if fact.class_qualname else None
            signature = signature_of(context)
            args, extra = sort_arguments(fact, signature or SIGNATURE)
            call = Call(module, fact, function, cls, args, extra, None, None, signature=signature)
            receivers.receivers(call)
            yield call


def memo_calls(context: Context) -> List[Call]:
    cached = getattr(context, "_invoke_later_calls", None)
    if cached is None:
        cached = list(calls(context))
        context._invoke_later_calls = cached  # type: ignore[attr-defined]
    return cached


def route_path(context: Context, call: Call) -> Optional[str]:
    """The route path the call names, when it is a constant."""
    known, value = context.project.constant(call.module, call.args.get("method"))
    return clean_path(value) if known and isinstance(value, str) else None


def verb_of(context: Context, call: Call) -> Tuple[Optional[str], bool]:
    """(verb, known): POST when not given; None+False when it is not a Verb member."""
    expr = call.args.get("verb")
    if expr is None:
        return "POST", True
    verb = context.builder.verb_of(call.module, expr)
    return verb, verb is not None


def routes_known(spec: Optional[Spec]) -> bool:
    """Whether the spec lists every route (no unresolved base, mixin or add_mixin)."""
    return spec is not None and spec.complete


def checkable(context: Context, call: Call) -> List[Tuple[Ref, Spec]]:
    if not call.packages or call.no_context or call.signature is None:
        return []
    result = []
    for package in call.packages:
        spec = context.instance_spec(package)
        if not routes_known(spec) or not context.trusts_spec(spec):
            return []  # one unknown package: stay quiet for all
        assert spec is not None
        result.append((package, spec))
    return result
