"""JSON schemas (2020-12, as OpenAPI 3.1 uses them) from annotation expressions.

Types come from the annotation *expressions* in the facts, resolved through the project's
imports — never from the printed ``kind`` — so a module with ``from __future__ import
annotations`` maps exactly like one without, and a string annotation (``"Color"``) is parsed and
mapped the same way. Enums and pydantic models (or TypedDicts) that the project or steamship
defines become named components; anything pkgcheck cannot resolve gets the empty schema (any
value), never a guess.

A pydantic model's JSON depends on the direction (steamship 2.17.34, pydantic v1):

- ``input``: what a caller sends. A model is parsed by its fields' *aliases* (``Field(alias=)``,
  else the Config's ``alias_generator``): those are the property names.
- ``alias``: a returned ``CamelModel`` (``InvocableResponse.from_obj`` calls
  ``dict(by_alias=True)``), and models inside a returned list or dict (serialised with the
  response, by alias): aliases, without ``Field(exclude=True)`` fields.
- ``name``: any other returned model (``from_obj`` calls ``dict()``): field names, without the
  excluded fields.

A model whose JSON differs in an output direction gets a component of its own, ``Name-Output``.
A model whose aliases cannot be known (an alias generator pkgcheck cannot evaluate) is an object
without listed properties where its aliases would be used.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional, Tuple

from linter.project.index import Project, Ref
from linter.semantic.typerepr import enum_member_values
from linter.source.facts import Expr, ModuleFacts

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
#: serialised with ``dict(by_alias=True)`` when a route returns one
_CAMEL_MODEL = ("steamship.base.model", "CamelModel")
#: steamship's alias generator, which :func:`to_camel` mirrors
_TO_CAMEL = ("steamship.base.model", "to_camel")
#: directions (see the module's docstring)
INPUT, BY_ALIAS, BY_NAME = "input", "alias", "name"


@dataclass(frozen=True)
class _Field:
    """A field of a pydantic model or TypedDict, as the class body declares it."""

    name: str
    #: the name pydantic parses (and serialises ``by_alias``); None when it cannot be known
    alias: Optional[str]
    #: ``Field(exclude=True)``: True; ``exclude=`` a set or dict (part of it): None
    excluded: Optional[bool]
    module: ModuleFacts
    annotation: Expr
    value: Optional[Expr]


class SchemaMapper:
    """Maps annotation expressions to JSON schemas; collects the named ones as components."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.components: Dict[str, dict] = {}
        #: (class key, direction) -> component name
        self._names: Dict[Tuple[Tuple[str, str], str], str] = {}
        #: the direction of the schema being built (see the module's docstring)
        self.direction = INPUT
        self._fields_memo: Dict[Tuple[str, str], Tuple[List[_Field], bool]] = {}
        self._differs_memo: Dict[Tuple[Tuple[str, str], str], bool] = {}

    def is_object(self, schema: dict, depth: int = 0) -> bool:
        """Whether ``schema`` (or the component it names) describes a JSON object, or null or
        an object (``Optional[Model]``, ``Optional[dict]``)."""
        ref = schema.get("$ref")
        if isinstance(ref, str):
            schema = self.components.get(ref.rpartition("/")[2], {})
        kind = schema.get("type")
        if isinstance(kind, list):
            return "object" in kind and all(k in ("object", "null") for k in kind)
        if kind is not None:
            return kind == "object"
        parts = schema.get("anyOf")
        if isinstance(parts, list) and depth < 16:
            values = [part for part in parts if part != NULL]
            return bool(values) and all(self.is_object(part, depth + 1) for part in values)
        return False

    def response_schema(self, module: Optional[ModuleFacts], expr: Optional[Expr]) -> dict:
        """The schema of what a route that returns ``expr`` sends back: per branch of a
        top-level union, a model by its class's direction, anything else by alias."""
        parts = []
        for branch in self._branches(module, expr, 0):
            ref = self._class_of(module, branch)
            direction = BY_ALIAS
            if ref is not None and self._model_kind(ref) == "model" and not self._is_camel(ref):
                direction = BY_NAME
            saved, self.direction = self.direction, direction
            try:
                parts.append(self.schema(module, branch))
            finally:
                self.direction = saved
        return union(parts) if len(parts) != 1 else parts[0]

    def _branches(
        self, module: Optional[ModuleFacts], expr: Optional[Expr], depth: int
    ) -> List[Optional[Expr]]:
        if module is None or expr is None or depth > 16:
            return [expr]
        if expr.kind == "str" and isinstance(expr.value, str):
            parsed = forward_reference(expr.value)
            return self._branches(module, parsed, depth + 1) if parsed is not None else [expr]
        if expr.kind == "binop" and expr.op == "|":
            return [b for side in expr.items for b in self._branches(module, side, depth + 1)]
        if expr.kind == "subscript" and expr.dotted:
            name = generic_name(self.project.resolve(module, expr.dotted))
            if name in ("Optional", "Union"):
                return [b for item in expr.items for b in self._branches(module, item, depth + 1)]
        return [expr]

    def _class_of(self, module: Optional[ModuleFacts], expr: Optional[Expr]) -> Optional[Ref]:
        if module is None or expr is None:
            return None
        if expr.kind in ("name", "attribute") and expr.dotted:
            ref = self.project.resolve(module, expr.dotted)
            return ref if ref is not None and ref.kind == "class" else None
        return None

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
        if project.is_enum(ref):
            return self._component(ref, INPUT, lambda: self._enum(ref, mro))
        kind = self._model_kind(ref)
        if kind is not None:
            direction = self.direction if self._differs(ref, self.direction) else INPUT
            return self._component(
                ref, direction, lambda: self._model(ref, kind == "typeddict", direction, depth)
            )
        for item in mro[1:]:  # class Handle(str): a str
            if item.kind == "builtin" and item.qualname in _BUILTINS:
                return dict(_BUILTINS[item.qualname])
        return dict(ANY)

    def _component(self, ref: Ref, direction: str, build: Callable[[], dict]) -> dict:
        name = self._names.get((ref.key, direction))
        if name is None:
            suffix = "" if direction == INPUT else "-Output"
            name = re.sub(r"[^A-Za-z0-9._-]", "_", ref.qualname) + suffix
            if name in self.components:
                qualified = f"{ref.module}.{ref.qualname}"
                name = re.sub(r"[^A-Za-z0-9._-]", "_", qualified) + suffix
            base, count = name, 1
            while name in self.components:  # both output directions of one model
                count += 1
                name = f"{base}{count}"
            self._names[(ref.key, direction)] = name
            self.components[name] = {}  # placeholder: a model may refer to itself
            saved, self.direction = self.direction, direction
            try:
                self.components[name] = build()
            finally:
                self.direction = saved
        return {"$ref": f"#/components/schemas/{name}"}

    # -- models ----------------------------------------------------------------------------
    def _model_kind(self, ref: Ref) -> Optional[str]:
        """``model`` (pydantic), ``typeddict``, or None."""
        mro, _ = self.project.mro(ref)
        externals = {item.module for item in mro if item.kind == "external"}
        if externals & _TYPED_DICTS:
            return "typeddict"
        if externals & _MODEL_BASES:
            return "model"
        return None

    def _is_camel(self, ref: Ref) -> bool:
        mro, _ = self.project.mro(ref)
        return any((item.module, item.qualname) == _CAMEL_MODEL for item in mro)

    def _fields(self, ref: Ref) -> Tuple[List[_Field], bool]:
        """A model's or TypedDict's fields — its and its bases' class-level annotated
        assignments (ClassVars and private names excluded), a subclass's replacing a base's
        — and whether a TypedDict is total."""
        if ref.key in self._fields_memo:
            return self._fields_memo[ref.key]
        project = self.project
        mro, complete = project.mro(ref)
        typed_dict = self._model_kind(ref) == "typeddict"
        generator = None if typed_dict else self._alias_generator(mro, complete)
        fields: Dict[str, _Field] = {}
        total = True
        for item in reversed(mro):
            fact = project.class_fact(item)
            module = project.module(item.module) if item.kind == "class" else None
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
                    and generic_name(project.resolve(module, annotation.dotted)) == "ClassVar"
                ):
                    continue
                name = assign.target
                alias: Optional[str] = name
                excluded: Optional[bool] = False
                if not typed_dict:
                    alias, excluded = self._field_options(module, assign.value)
                    if alias is _GENERATED:
                        alias = generator(name) if generator is not None else None
                fields.pop(name, None)
                fields[name] = _Field(name, alias, excluded, module, annotation, assign.value)
        result = (list(fields.values()), total)
        self._fields_memo[ref.key] = result
        return result

    def _field_options(
        self, module: ModuleFacts, value: Optional[Expr]
    ) -> Tuple[Optional[str], Optional[bool]]:
        """(alias, excluded) of a field from ``Field(...)``: the alias ``_GENERATED`` when it
        is not given (the Config's generator decides), None when it cannot be evaluated."""
        if not _is_field_call(value):
            return _GENERATED, False
        assert value is not None
        alias: Optional[str] = _GENERATED
        given = value.keyword("alias")
        if given is not None:
            known, text = self.project.constant(module, given)
            alias = text if known and isinstance(text, str) else None
        excluded: Optional[bool] = False
        exclude = value.keyword("exclude")
        if exclude is not None:
            known, flag = self.project.constant(module, exclude)
            if known and flag in (None, False, True):
                excluded = bool(flag)
            else:
                excluded = None
        return alias, excluded

    def _alias_generator(self, mro: List[Ref], complete: bool) -> Optional[Callable[[str], str]]:
        """The ``alias_generator`` pydantic v1 uses for a model with this MRO (``complete``:
        every base known) — the nearest class keyword or ``Config`` attribute — as a function
        of the field name: identity when there is none, None when pkgcheck cannot evaluate it."""
        for item in mro:
            fact = self.project.class_fact(item) if item.kind == "class" else None
            module = self.project.module(item.module) if fact is not None else None
            if fact is None or module is None:
                continue
            if fact.assign("Config") is not None or fact.assign("model_config") is not None:
                return None  # a Config bound to another class, pydantic v2's dict: not read
            found: Optional[Expr] = None
            present = False
            for key, value in fact.keywords:
                if key == "alias_generator":
                    found, present = value, True
            config = self.project.class_fact(Ref("class", item.module, f"{item.qualname}.Config"))
            if not present and config is not None:
                assign = config.assign("alias_generator")
                if assign is not None:
                    found, present = assign.value, True
                elif config.assign("fields") is not None:
                    return None  # Config.fields may set aliases: not read
            if not present:
                continue
            if found is None or found.kind == "none":
                return _same_name
            if found.kind in ("name", "attribute") and found.dotted:
                target = self.project.resolve(module, found.dotted)
                if target is not None and (target.module, target.qualname) == _TO_CAMEL:
                    return to_camel
            return None
        # no class sets one; a base pkgcheck cannot see might
        return _same_name if complete else None

    def _differs(self, ref: Ref, direction: str) -> bool:
        """Whether a model's JSON in ``direction`` is not its input JSON: it, or a model it
        holds at any depth, has an excluded field, or (by name) a field whose alias is not its
        name."""
        if direction == INPUT:
            return False
        key = (ref.key, direction)
        if key not in self._differs_memo:
            self._differs_memo[key] = any(
                self._own_difference(model, direction) for model in self._held_models(ref)
            )
        return self._differs_memo[key]

    def _own_difference(self, ref: Ref, direction: str) -> bool:
        fields, _ = self._fields(ref)
        if any(f.excluded is not False for f in fields):
            return True
        return direction == BY_NAME and any(f.alias != f.name for f in fields)

    def _held_models(self, ref: Ref) -> List[Ref]:
        """``ref`` and the models and TypedDicts its fields hold, at any depth."""
        found: Dict[Tuple[str, str], Ref] = {ref.key: ref}
        pending = [ref]
        while pending:
            fields, _ = self._fields(pending.pop())
            for field in fields:
                for held in self._classes_in(field.module, field.annotation, 0):
                    if held.key not in found and self._model_kind(held) is not None:
                        found[held.key] = held
                        pending.append(held)
        return list(found.values())

    def _classes_in(self, module: ModuleFacts, expr: Optional[Expr], depth: int) -> Iterator[Ref]:
        """The project classes an annotation names, at any depth."""
        if expr is None or depth > 16:
            return
        if expr.kind == "str" and isinstance(expr.value, str):
            yield from self._classes_in(module, forward_reference(expr.value), depth + 1)
        elif expr.kind in ("name", "attribute") and expr.dotted:
            ref = self.project.resolve(module, expr.dotted)
            if ref is not None and ref.kind == "class":
                yield ref
        elif expr.kind in ("subscript", "binop"):
            ref = self.project.resolve(module, expr.dotted) if expr.dotted else None
            if ref is not None and ref.kind == "class":  # a generic model: Page[Item]
                yield ref
            for item in expr.items:
                yield from self._classes_in(module, item, depth + 1)

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
        # one member pkgcheck cannot evaluate: list none rather than some; aliases are no members
        values = (enum_member_values(self.project, ref) if module is not None else None) or []
        if values:
            schema["enum"] = values
        kinds = {_json_type(value) for value in values}
        if len(kinds) == 1:
            schema["type"] = kinds.pop()
        elif base is not None:
            schema["type"] = "string" if base == "str" else "integer"
        return schema

    def _model(self, ref: Ref, typed_dict: bool, direction: str, depth: int) -> dict:
        """The JSON object of a pydantic model or TypedDict in ``direction``."""
        cls = self.project.class_fact(ref)
        schema: Dict[str, object] = {"type": "object", "title": ref.qualname.rpartition(".")[2]}
        if cls is not None and cls.doc:
            schema["description"] = inspect.cleandoc(cls.doc)
        fields, total = self._fields(ref)
        if direction != BY_NAME and any(f.alias is None for f in fields):
            return schema  # names pkgcheck cannot know: an object, its properties unlisted
        properties: Dict[str, dict] = {}
        required: List[str] = []
        for field in fields:
            if direction != INPUT and field.excluded is True:
                continue
            key = field.name if direction == BY_NAME else field.alias
            assert key is not None
            if direction != INPUT and field.excluded is None:
                schema_of_field: dict = dict(ANY)  # part of it excluded: its shape is unknown
            else:
                schema_of_field = self.schema(field.module, field.annotation, depth + 1)
            description = _field_description(field.value)
            if description:
                schema_of_field = (
                    {**schema_of_field, "description": description}
                    if "$ref" not in schema_of_field
                    else {"allOf": [schema_of_field], "description": description}
                )
            properties[key] = schema_of_field
            needed = total if typed_dict else _model_field_required(field.value, schema_of_field)
            if needed and key not in required:
                required.append(key)
        schema["properties"] = properties
        if required:
            schema["required"] = required
        return schema


#: the alias of a field without ``Field(alias=)``: the model's generator makes it
_GENERATED = "\0generated"


def _same_name(name: str) -> str:
    return name


def to_camel(name: str) -> str:
    """steamship's ``base.model.to_camel`` (``inflection.camelize`` with a lower first letter,
    a trailing ``_url`` kept upper case): ``task_id`` → ``taskId``, ``file_url`` → ``fileURL``."""
    name = re.sub("_(url)$", lambda m: f"_{m.group(1).upper()}", name)
    upper = re.sub(r"(?:^|_)(.)", lambda m: m.group(1).upper(), name)
    return name[:1].lower() + upper[1:]


def _is_field_call(value: Optional[Expr]) -> bool:
    return (
        value is not None
        and value.kind == "call"
        and value.func is not None
        and bool(value.func.dotted)
        and value.func.dotted.rpartition(".")[2] == "Field"
    )


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
