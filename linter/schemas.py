"""JSON schemas (2020-12, as OpenAPI 3.1 uses them) from annotation expressions.

Types come from the annotation *expressions* in the facts, resolved through the project's
imports — never from the printed ``kind`` — so a module with ``from __future__ import
annotations`` maps exactly like one without, and a string annotation (``"Color"``) is parsed and
mapped the same way. Enums and pydantic models (or TypedDicts) that the project or steamship
defines become named components; anything pkgcheck cannot resolve gets the empty schema (any
value), never a guess.
"""

from __future__ import annotations

import ast
import inspect
import re
from typing import Callable, Dict, List, Optional, Tuple

from linter.facts import Expr, ModuleFacts
from linter.index import Project, Ref

ANY: Dict[str, object] = {}
NULL: Dict[str, object] = {"type": "null"}
_BUILTINS: Dict[str, Dict[str, object]] = {
    "str": {"type": "string"},
    "bytes": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "dict": {"type": "object"},
    "list": {"type": "array"},
    "tuple": {"type": "array"},
    "set": {"type": "array", "uniqueItems": True},
    "frozenset": {"type": "array", "uniqueItems": True},
}
_SEQUENCES = {
    "List",
    "Sequence",
    "MutableSequence",
    "Iterable",
    "Collection",
    "Iterator",
    "Tuple",
    "list",
    "tuple",
}
_SETS = {"Set", "FrozenSet", "AbstractSet", "MutableSet", "set", "frozenset"}
_MAPPINGS = {
    "Dict",
    "Mapping",
    "MutableMapping",
    "DefaultDict",
    "OrderedDict",
    "Counter",
    "dict",
    "defaultdict",
}
_GENERIC_HOMES = ("typing", "typing_extensions", "collections", "collections.abc")
_STDLIB: Dict[str, Dict[str, object]] = {
    "datetime.datetime": {"type": "string", "format": "date-time"},
    "datetime.date": {"type": "string", "format": "date"},
    "datetime.time": {"type": "string", "format": "time"},
    "datetime.timedelta": {"type": "string", "format": "duration"},
    "uuid.UUID": {"type": "string", "format": "uuid"},
    "decimal.Decimal": {"type": "number"},
    "pathlib.Path": {"type": "string"},
}
_MODEL_BASES = {
    "pydantic.BaseModel",
    "pydantic.main.BaseModel",
    "pydantic.v1.BaseModel",
    "pydantic.v1.main.BaseModel",
}
_TYPED_DICTS = {"typing.TypedDict", "typing_extensions.TypedDict"}


class SchemaMapper:
    """Maps annotation expressions to JSON schemas; collects the named ones as components."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.components: Dict[str, dict] = {}
        self._names: Dict[Tuple[str, str], str] = {}

    def is_object(self, schema: dict) -> bool:
        """Whether ``schema`` (or the component it names) describes a JSON object."""
        ref = schema.get("$ref")
        if isinstance(ref, str):
            schema = self.components.get(ref.rpartition("/")[2], {})
        return schema.get("type") == "object"

    def schema(self, module: Optional[ModuleFacts], expr: Optional[Expr], depth: int = 0) -> dict:
        if module is None or expr is None or depth > 16:
            return dict(ANY)
        kind = expr.kind
        if kind == "none":
            return dict(NULL)
        if kind == "str" and isinstance(expr.value, str):
            parsed = forward_reference(expr.value)
            return self.schema(module, parsed, depth + 1) if parsed is not None else dict(ANY)
        if kind in ("name", "attribute") and expr.dotted:
            return self._named(module, self.project.resolve(module, expr.dotted), depth)
        if kind == "binop" and expr.op == "|":
            return union([self.schema(module, side, depth + 1) for side in expr.items])
        if kind == "subscript" and expr.dotted:
            return self._subscript(module, expr, depth)
        return dict(ANY)

    def _subscript(self, module: ModuleFacts, expr: Expr, depth: int) -> dict:
        ref = self.project.resolve(module, expr.dotted)
        name = generic_name(ref)
        items = expr.items
        if name == "Optional" and len(items) == 1:
            return union([self.schema(module, items[0], depth + 1), dict(NULL)])
        if name == "Union":
            return union([self.schema(module, item, depth + 1) for item in items])
        if name == "Literal":
            return literal(items)
        if name == "Annotated" and items:
            return self.schema(module, items[0], depth + 1)
        if name in ("Tuple", "tuple"):
            if len(items) == 2 and items[1].kind == "ellipsis":
                return {"type": "array", "items": self.schema(module, items[0], depth + 1)}
            prefix = [self.schema(module, item, depth + 1) for item in items]
            return {
                "type": "array",
                "prefixItems": prefix,
                "minItems": len(prefix),
                "maxItems": len(prefix),
            }
        if name in _SEQUENCES or name in _SETS:
            schema: Dict[str, object] = {"type": "array"}
            if items:
                schema["items"] = self.schema(module, items[0], depth + 1)
            if name in _SETS:
                schema["uniqueItems"] = True
            return schema
        if name in _MAPPINGS:
            schema = {"type": "object"}
            if len(items) == 2:
                schema["additionalProperties"] = self.schema(module, items[1], depth + 1)
            return schema
        if ref is not None and ref.kind == "class":
            return self._named(module, ref, depth)  # a generic model: its fields, unparameterised
        return dict(ANY)

    def _named(self, module: ModuleFacts, ref: Optional[Ref], depth: int) -> dict:
        if ref is None:
            return dict(ANY)
        if ref.kind == "builtin":
            if ref.qualname == "None":
                return dict(NULL)
            return dict(_BUILTINS.get(ref.qualname, ANY))
        if ref.kind == "external":
            name = generic_name(ref)
            if name in ("Text", "AnyStr"):
                return {"type": "string"}
            if name in _SEQUENCES:
                return {"type": "array"}
            if name in _SETS:
                return {"type": "array", "uniqueItems": True}
            if name in _MAPPINGS:
                return {"type": "object"}
            if ref.module in _MODEL_BASES:
                return {"type": "object"}
            return dict(_STDLIB.get(ref.module, ANY))
        if ref.kind == "class":
            return self._class(ref, depth)
        return dict(ANY)

    def _class(self, ref: Ref, depth: int) -> dict:
        project = self.project
        mro, _ = project.mro(ref)
        externals = {item.module for item in mro if item.kind == "external"}
        if project.is_enum(ref):
            return self._component(ref, lambda: self._enum(ref, mro))
        if externals & _MODEL_BASES or externals & _TYPED_DICTS:
            return self._component(
                ref, lambda: self._model(ref, mro, bool(externals & _TYPED_DICTS), depth)
            )
        for item in mro[1:]:  # class Handle(str): a str
            if item.kind == "builtin" and item.qualname in _BUILTINS:
                return dict(_BUILTINS[item.qualname])
        return dict(ANY)

    def _component(self, ref: Ref, build: Callable[[], dict]) -> dict:
        name = self._names.get(ref.key)
        if name is None:
            short = re.sub(r"[^A-Za-z0-9._-]", "_", ref.qualname)
            name = short
            if name in self.components:
                name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{ref.module}.{ref.qualname}")
            self._names[ref.key] = name
            self.components[name] = {}  # placeholder: a model may refer to itself
            self.components[name] = build()
        return {"$ref": f"#/components/schemas/{name}"}

    def _enum(self, ref: Ref, mro: List[Ref]) -> dict:
        cls = self.project.class_fact(ref)
        module = self.project.module(ref.module)
        schema: Dict[str, object] = {"title": ref.qualname.rpartition(".")[2]}
        if cls is not None and cls.doc:
            schema["description"] = inspect.cleandoc(cls.doc)
        base = next(
            (
                item.qualname
                for item in mro
                if item.kind == "builtin" and item.qualname in ("str", "int")
            ),
            None,
        )
        values: List[object] = []
        for assign in cls.assigns if cls is not None and module is not None else ():
            if assign.target.startswith("_") or assign.value is None:
                continue
            assert module is not None
            known, value = self.project.constant(module, assign.value)
            if not known or not isinstance(value, (str, int, float, bool)):
                values = []  # one member pkgcheck cannot evaluate: list none rather than some
                break
            values.append(value)
        if values:
            schema["enum"] = values
        kinds = {_json_type(value) for value in values}
        if len(kinds) == 1:
            schema["type"] = kinds.pop()
        elif base is not None:
            schema["type"] = "string" if base == "str" else "integer"
        return schema

    def _model(self, ref: Ref, mro: List[Ref], typed_dict: bool, depth: int) -> dict:
        """The fields of a pydantic model or TypedDict: its and its bases' class-level annotated
        assignments (ClassVars and private names excluded)."""
        cls = self.project.class_fact(ref)
        schema: Dict[str, object] = {"type": "object", "title": ref.qualname.rpartition(".")[2]}
        if cls is not None and cls.doc:
            schema["description"] = inspect.cleandoc(cls.doc)
        properties: Dict[str, dict] = {}
        required: List[str] = []
        total = True
        for item in reversed(mro):
            fact = self.project.class_fact(item)
            module = self.project.module(item.module) if item.kind == "class" else None
            if fact is None or module is None:
                continue
            for key, value in fact.keywords:
                if key == "total" and value.kind == "bool":
                    total = bool(value.value)
            for assign in fact.assigns:
                if assign.annotation is None or assign.target.startswith("_"):
                    continue
                annotation = assign.annotation
                if (
                    annotation.kind == "subscript"
                    and generic_name(self.project.resolve(module, annotation.dotted)) == "ClassVar"
                ):
                    continue
                field = self.schema(module, annotation, depth + 1)
                description = _field_description(assign.value)
                if description:
                    field = (
                        {**field, "description": description}
                        if "$ref" not in field
                        else {"allOf": [field], "description": description}
                    )
                properties[assign.target] = field
                needed = total if typed_dict else _model_field_required(assign.value, field)
                if needed and assign.target not in required:
                    required.append(assign.target)
                elif not needed and assign.target in required:
                    required.remove(assign.target)
        schema["properties"] = properties
        if required:
            schema["required"] = required
        return schema


def generic_name(ref: Optional[Ref]) -> Optional[str]:
    """``List`` for typing.List, ``list`` for the builtin, ``Sequence`` for
    collections.abc.Sequence; None for anything else."""
    if ref is None:
        return None
    if ref.kind == "builtin":
        return ref.qualname
    if ref.kind == "external":
        home, _, name = ref.module.rpartition(".")
        return name if home in _GENERIC_HOMES else None
    return None


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if value is None:
        return "null"
    return "string"


def union(schemas: List[dict]) -> dict:
    """``Union[...]``/``X | Y``: a type list for plain types, ``anyOf`` otherwise; Any absorbs."""
    flat: List[dict] = []
    for schema in schemas:
        for part in schema.get("anyOf", [schema]) if set(schema) == {"anyOf"} else [schema]:
            if part not in flat:
                flat.append(part)
    if any(part == ANY for part in flat):
        return dict(ANY)
    if len(flat) == 1:
        return flat[0]
    if all(set(part) == {"type"} and isinstance(part["type"], str) for part in flat):
        return {"type": [part["type"] for part in flat]}
    return {"anyOf": flat}


def literal(items: Tuple[Expr, ...]) -> dict:
    values = [item.value for item in items if item.is_literal and item.kind != "bytes"]
    if len(values) != len(items):
        return dict(ANY)
    schema: Dict[str, object] = {"enum": values}
    kinds = sorted({_json_type(value) for value in values})
    schema["type"] = kinds[0] if len(kinds) == 1 else kinds
    return schema


def _field_description(value: Optional[Expr]) -> Optional[str]:
    if value is None or value.kind != "call" or value.func is None or not value.func.dotted:
        return None
    if value.func.dotted.rpartition(".")[2] != "Field":
        return None
    description = value.keyword("description")
    return description.value if description is not None and description.kind == "str" else None


def _model_field_required(value: Optional[Expr], schema: dict) -> bool:
    """pydantic v1 (steamship's): a field without a default is required unless it may be None."""
    if value is not None and value.kind == "call" and value.func is not None and value.func.dotted:
        if value.func.dotted.rpartition(".")[2] == "Field":
            first = value.items[0] if value.items else value.keyword("default")
            if first is not None:
                return first.kind == "ellipsis"
            if value.keyword("default_factory") is not None:
                return False
            value = None  # Field() without a default: as if unassigned
    if value is not None:
        return value.kind == "ellipsis"
    nullable = (
        schema == ANY
        or schema == NULL
        or "null" in (schema.get("type") or ())
        or any(part == NULL for part in schema.get("anyOf", ()))
    )
    return not nullable


def forward_reference(text: str) -> Optional[Expr]:
    """A string annotation (``"Color"``, ``"Optional[Color]"``) as an :class:`Expr`."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None
    return _from_ast(tree, 0)


def _from_ast(node: ast.AST, depth: int) -> Optional[Expr]:
    if depth > 16:
        return None
    source = ast.unparse(node)
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None:
            return Expr("none", -1, source, None, "None")
        if value is Ellipsis:
            return Expr("ellipsis", -1, source)
        kind = {bool: "bool", int: "int", float: "float", str: "str", bytes: "bytes"}.get(
            type(value), "other"
        )
        return Expr(kind, -1, source, value)
    if isinstance(node, (ast.Name, ast.Attribute)):
        dotted = _dotted(node)
        return (
            Expr("name" if isinstance(node, ast.Name) else "attribute", -1, source, dotted=dotted)
            if dotted
            else None
        )
    if isinstance(node, ast.Subscript):
        elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        items = tuple(
            _from_ast(e, depth + 1) or Expr("other", -1, ast.unparse(e)) for e in elements
        )
        return Expr("subscript", -1, source, dotted=_dotted(node.value), items=items)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _from_ast(node.left, depth + 1), _from_ast(node.right, depth + 1)
        if left is None or right is None:
            return None
        return Expr("binop", -1, source, items=(left, right), op="|")
    return None


def _dotted(node: ast.AST) -> Optional[str]:
    parts: List[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None
