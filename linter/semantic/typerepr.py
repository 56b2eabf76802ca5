"""``str(annotation)`` as the runtime prints it, computed from the source.

Steamship puts ``str(parameter.annotation)`` into a route's spec (``kind``) and
``str(signature.return_annotation)`` into ``returns``. This module models the few kinds of
annotation objects Python builds — classes, ``typing`` aliases and unions, builtin generics
(``list[str]``), PEP 604 unions, forward-reference strings — and prints them the way Python 3.11
does. It also answers the two other questions the spec asks of an annotation: the Enum values
(``values``) and whether steamship's ``ArgSpec`` crashes on it (``issubclass()`` on a typing
alias inside ``Optional``).
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from linter.source.facts import Expr, ModuleFacts

if TYPE_CHECKING:  # pragma: no cover
    from linter.project.index import Project, Ref

EMPTY = "<class 'inspect._empty'>"
_BUILTIN_TYPES = {
    "int", "str", "float", "bool", "bytes", "dict", "list", "tuple", "set", "frozenset",
    "object", "type", "complex", "bytearray", "memoryview", "range", "slice",
}  # fmt: skip
_BUILTIN_GENERICS = {"list", "dict", "tuple", "set", "frozenset", "type"}
_TYPING_MODULES = ("typing", "typing_extensions")
_GENERIC_MODELS = {"pydantic.generics.GenericModel", "pydantic.v1.generics.GenericModel"}


@dataclass(frozen=True)
class T:
    """An annotation object. ``kind``: class none typing union pep604 generic str ellipsis
    args literal unknown."""

    kind: str
    name: str = ""
    module: str = ""
    args: Tuple["T", ...] = ()
    enum_values: Optional[Tuple[str, ...]] = None
    certain: bool = True
    #: for Enum classes, how their metaclass prints them: "enum" or "flag"
    meta: str = ""


UNKNOWN = T("unknown", certain=False)
NONE = T("none")


@dataclass(frozen=True)
class Rendered:
    text: str
    values: Optional[Tuple[str, ...]]
    #: False when pkgcheck had to guess part of the text
    certain: bool
    #: the reason steamship's ArgSpec raises on this annotation, or None
    crash: Optional[str] = None


def enum_values_of(how: str, rendered: Rendered) -> Tuple[Optional[Tuple[str, ...]], Optional[str]]:
    """``ArgSpec.values`` and the cause of the TypeError the release's ``ArgSpec`` raises, as
    :attr:`linter.sdk.releases.Runtime.enum_values` says it reads a parameter's annotation."""
    if how == "none":
        return None, None
    if how == "unguarded":  # issubclass(annotation, Enum) on every annotation
        text = rendered.text
        if text.startswith(("<class ", "<enum ")) or (text == "typing.Any" and sys.version_info >= (3, 11)):
            return rendered.values if text.startswith("<enum ") else None, None
        return None, text
    return rendered.values, rendered.crash


def render(
    project: "Project",
    module: ModuleFacts,
    annotation: Optional[Expr],
    *,
    is_param: bool,
) -> Rendered:
    if annotation is None:
        return Rendered(EMPTY, None, True)
    if module.future_annotations:
        return Rendered(_unparse(annotation.source), None, True)
    model = _evaluate(project, module, annotation, 0)
    text = _top(model)
    values: Optional[Tuple[str, ...]] = None
    crash = None
    if is_param:
        if model.kind == "class" and model.enum_values is not None:
            values = model.enum_values
        elif model.kind == "union" and len(model.args) == 2 and NONE in model.args:
            other = model.args[0] if model.args[1] == NONE else model.args[1]
            if other.kind == "class":
                values = other.enum_values
            elif other.kind in ("typing", "str", "union") and not (
                # typing.Any is a class from Python 3.11 on: issubclass() accepts it
                other.kind == "typing" and other.name == "Any" and sys.version_info >= (3, 11)
            ):
                crash = _inner(other, "typing")
    return Rendered(text, values, _certain(model), crash)


def _certain(model: T) -> bool:
    return model.certain and all(_certain(arg) for arg in model.args)


#: source -> its normal spelling: a project writes the same few annotations again and again
_UNPARSED: Dict[str, str] = {}


def _unparse(source: str) -> str:
    known = _UNPARSED.get(source)
    if known is None:
        try:
            known = ast.unparse(ast.parse(source.strip(), mode="eval").body)
        except (SyntaxError, ValueError, RecursionError):
            known = source
        if len(_UNPARSED) < 100_000:
            _UNPARSED[source] = known
    return known


def _class(project: "Project", ref: "Ref") -> T:
    if ref.kind == "class" and project.is_enum(ref):
        mro, _ = project.mro(ref)
        flag = any(item.module in ("enum.Flag", "enum.IntFlag") for item in mro)
        values = enum_values(project, ref)
        return T(
            "class", ref.qualname, ref.module, enum_values=values, certain=values is not None,
            meta="flag" if flag else "enum",
        )
    return T("class", ref.qualname, ref.module)


def enum_values(project: "Project", ref: "Ref") -> Optional[Tuple[str, ...]]:
    """An Enum's member values as pydantic v1 stores them (``str()`` of each), or None when a
    value is not a literal."""
    values = enum_member_values(project, ref)
    return tuple(str(value) for value in values) if values is not None else None


def enum_member_values(project: "Project", ref: "Ref") -> Optional[List[object]]:
    """The values of an Enum's members in definition order, or None when one is not a literal.

    A name whose value equals an earlier member's (``CRIMSON = "red"`` after ``RED = "red"``,
    or ``True`` after ``1``) is an alias of that member, not a member: iterating the Enum, as
    steamship's ``ArgSpec`` does, never yields it, so it is left out."""
    cls = project.class_fact(ref)
    if cls is None:
        return None
    values: List[object] = []
    for assign in cls.assigns:
        if assign.target.startswith("_") or assign.value is None:
            continue
        module = project.module(ref.module)
        known, value = project.constant(module, assign.value) if module else (False, None)
        if not known or not isinstance(value, (str, int, float, bool)):
            return None
        if value not in values:  # == as Enum compares: 1, 1.0 and True are one value
            values.append(value)
    return values


def _evaluate(project: "Project", module: ModuleFacts, expr: Expr, depth: int) -> T:
    if depth > 12:
        return UNKNOWN
    kind = expr.kind
    if kind == "str":
        return T("str", name=expr.value)
    if kind == "none":
        return NONE
    if kind == "ellipsis":
        return T("ellipsis")
    if kind in ("name", "attribute"):
        ref = project.resolve(module, expr.dotted)
        if ref is not None and ref.kind == "value":
            # A type alias (``Metadata = Optional[Dict[str, Any]]``): the object it names.
            where, target = project.assigned_expr(module, expr)
            if target is not None and target is not expr:
                return _evaluate(project, where, target, depth + 1)
        return _named(project, module, expr.dotted)
    if kind == "list":
        return T("args", args=tuple(_evaluate(project, module, i, depth + 1) for i in expr.items))
    if kind in ("int", "bool", "float") and expr.value is not None:
        return T("literal", name=repr(expr.value))
    if kind == "subscript":
        base = _named(project, module, expr.dotted) if expr.dotted else UNKNOWN
        if base.kind == "typing" and base.name == "Literal":
            return T("typing", "Literal", args=tuple(_literal_arg(i) for i in expr.items))
        args = tuple(_evaluate(project, module, item, depth + 1) for item in expr.items)
        if base.kind == "typing":
            if base.name == "Optional" and len(args) == 1:
                return _union((args[0], NONE))
            if base.name == "Union":
                return _union(args)
            return T("typing", base.name, args=args)
        if base.kind == "class" and base.module == "builtins" and base.name in _BUILTIN_GENERICS:
            return T("generic", base.name, "builtins", args=args)
        if base.kind == "class" and base.certain and _is_generic_model(project, module, expr):
            # pydantic v1 makes ``Model[X]`` a new class named after its parameters, in the
            # module that subscripts it.
            shown = ", ".join(_display(arg) for arg in args)
            return T("class", f"{base.name.rpartition('.')[2]}[{shown}]", module.name)
        return T("unknown", name=expr.source, certain=False)
    if kind == "binop" and expr.op == "|" and len(expr.items) == 2:
        left = _evaluate(project, module, expr.items[0], depth + 1)
        right = _evaluate(project, module, expr.items[1], depth + 1)
        if any(side.kind in ("typing", "union") for side in (left, right)):
            return _union((left, right))
        return T("pep604", args=_flatten((left, right), "pep604"))
    return T("unknown", name=expr.source, certain=False)


def _is_generic_model(project: "Project", module: ModuleFacts, expr: Expr) -> bool:
    ref = project.resolve(module, expr.dotted)
    if ref is None or ref.kind != "class":
        return False
    mro, _ = project.mro(ref)
    # pydantic's GenericModel is an external name, or a class when pydantic's source is found
    # beside the installed steamship
    return any(
        item.kind == "external" and item.module in _GENERIC_MODELS
        or item.kind == "class" and f"{item.module}.{item.qualname}" in _GENERIC_MODELS
        for item in mro
    )


def _display(model: T) -> str:
    """pydantic v1's ``display_as_type`` for a generic model's parameter."""
    if model.kind == "class":
        return model.name
    if model.kind == "none":
        return "None"
    return _inner(model, "typing").replace("typing.", "")


def _literal_arg(expr: Expr) -> T:
    if expr.is_literal:
        return T("literal", name=repr(expr.value))
    return T("unknown", name=expr.source, certain=False)


def _named(project: "Project", module: ModuleFacts, dotted: Optional[str]) -> T:
    ref = project.resolve(module, dotted)
    if ref is None:
        return T("unknown", name=dotted or "?", certain=False)
    if ref.kind == "builtin":
        if ref.qualname in _BUILTIN_TYPES:
            return T("class", ref.qualname, "builtins")
        if ref.qualname == "None":
            return NONE
        return T("unknown", name=ref.qualname, certain=False)
    if ref.kind == "class":
        return _class(project, ref)
    if ref.kind == "external":
        head, _, tail = ref.module.rpartition(".")
        if head in _TYPING_MODULES:
            if tail == "Text":
                return T("class", "str", "builtins")
            return T("typing", tail)
        # A class of a module pkgcheck does not analyse: its defining module may differ from
        # the one it was imported from (pydantic.BaseModel lives in pydantic.main).
        return T("class", tail, head, certain=False)
    return T("unknown", name=dotted or "?", certain=False)


def _flatten(args: Tuple[T, ...], kind: str) -> Tuple[T, ...]:
    flat: List[T] = []
    for arg in args:
        inner = arg.args if arg.kind in ("union", "pep604") else (arg,)
        for item in inner:
            if item not in flat:
                flat.append(item)
    return tuple(flat)


def _union(args: Tuple[T, ...]) -> T:
    flat = _flatten(args, "union")
    if len(flat) == 1:
        return flat[0]
    return T("union", args=flat)


def _top(model: T) -> str:
    """``str(annotation)``."""
    if model.kind == "class":
        if model.meta:  # EnumType.__repr__ prints the bare __name__
            return f"<{model.meta} {model.name.rpartition('.')[2]!r}>"
        if model.module == "builtins":
            return f"<class '{model.name}'>"
        return f"<class '{model.module}.{model.name}'>"
    if model.kind == "none":
        return "None"
    if model.kind == "str":
        return model.name
    return _inner(model, "typing")


def _inner(model: T, context: str) -> str:
    """``typing._type_repr`` (context ``typing``) or the builtin generics' repr."""
    kind = model.kind
    if kind == "class":
        return model.name if model.module == "builtins" else f"{model.module}.{model.name}"
    if kind == "none":
        return "NoneType" if context == "typing" else "None"
    if kind == "ellipsis":
        return "..."
    if kind == "str":
        return f"ForwardRef({model.name!r})" if context == "typing" else repr(model.name)
    if kind == "literal":
        return model.name
    if kind == "args":
        return "[" + ", ".join(_inner(arg, context) for arg in model.args) + "]"
    if kind == "typing":
        if not model.args:
            return f"typing.{model.name}"
        inner = ", ".join(_inner(arg, "typing") for arg in model.args)
        return f"typing.{model.name}[{inner}]"
    if kind == "union":
        if len(model.args) == 2 and NONE in model.args:
            other = model.args[0] if model.args[1] == NONE else model.args[1]
            return f"typing.Optional[{_inner(other, 'typing')}]"
        return "typing.Union[" + ", ".join(_inner(arg, "typing") for arg in model.args) + "]"
    if kind == "pep604":
        return " | ".join(_inner(arg, "builtin") for arg in model.args)
    if kind == "generic":
        inner = ", ".join(_inner(arg, "builtin") for arg in model.args)
        return f"{model.name}[{inner}]"
    return model.name or "?"
