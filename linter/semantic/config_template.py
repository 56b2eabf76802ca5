"""The ``configTemplate`` that ``ship deploy`` would write, built without importing the package.

``ship deploy`` (2.3.8 on) loads ``api.py``, takes the package class, calls
``config_cls()`` on the class and writes ``Config.get_config_parameters()`` into
``steamship.json``. That method walks the pydantic (v1) fields of the Config class:

- ``type``: ``ConfigParameterType.from_python_type(field.type_)`` — ``field.type_`` is the
  annotation with ``Optional``/``List[...]``/``Dict[..., V]`` peeled off; a ``str`` subclass
  (a ``str`` Enum too) is ``string``, ``bool`` ``boolean``, ``int``/``float`` ``number``;
  anything else raises (``SteamshipError``, or ``TypeError`` for ``Union``/``Literal``/``Any``);
- ``default``: ``field.default`` (``None`` for a required field), an Enum member's value from
  2.3.14 on (``strip_enum``), validated by ``ConfigParameter`` (strict str/bool/float/int from
  2.3.14; before, coerced into ``Union[bool, float, str]``);
- ``description``: ``Field(description=...)``.

This module mirrors that over the facts. What it cannot read (a base from an unanalysed
library, a default computed by a call) makes the template *incomplete*: rules then stay quiet
about what depends on it. ``config_cls``'s return value is not among the collected facts, so
:func:`returned_names` reads it from the one module with the standard library's ``ast`` (the
facts' arity is fixed by the bundled catalogue).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from linter.project.index import Project, Ref
from linter.source.facts import AssignFact, ClassFact, Expr, FunctionFact, ModuleFacts

#: steamship's Config (every release with a template builder)
CONFIG = ("steamship.invocable.config", "Config")
#: the class whose ``config_cls`` returns :data:`CONFIG`; steamship's other classes that
#: define one (TelegramAgentService, TelegramBot, ...) return their own Config
INVOCABLE = ("steamship.invocable.invocable", "Invocable")
_FIELD_FUNCTIONS = {"pydantic.Field", "pydantic.fields.Field"}
_OPTIONAL = {"typing.Optional", "typing_extensions.Optional"}
_UNION = {"typing.Union", "typing_extensions.Union"}
_SEQUENCES = {
    "typing.List", "typing.Set", "typing.FrozenSet", "typing.Sequence", "typing.Iterable",
    "typing.Collection", "typing.Deque", "collections.abc.Sequence", "collections.abc.Iterable",
    "list", "set", "frozenset",
}  # fmt: skip
_MAPPINGS = {"typing.Dict", "typing.Mapping", "typing.DefaultDict", "collections.abc.Mapping", "dict"}
_ANNOTATED = {"typing.Annotated", "typing_extensions.Annotated"}
_NOT_TYPES = {"typing.Literal", "typing_extensions.Literal", "typing.Any", "typing.Callable"}
_CLASS_VAR = {"typing.ClassVar"}
#: pydantic's constrained types that subclass a builtin, by what ``from_python_type`` says
_PYDANTIC_TYPES = {
    "pydantic.StrictStr": "string", "pydantic.ConstrainedStr": "string", "pydantic.StrictBool": "boolean",
    "pydantic.StrictInt": "number", "pydantic.StrictFloat": "number", "pydantic.PositiveInt": "number",
    "pydantic.NegativeInt": "number", "pydantic.NonNegativeInt": "number", "pydantic.NonPositiveInt": "number",
    "pydantic.PositiveFloat": "number", "pydantic.NegativeFloat": "number",
    "pydantic.NonNegativeFloat": "number", "pydantic.NonPositiveFloat": "number",
}  # fmt: skip
_BUILTIN_TYPES = {"str": "string", "bool": "boolean", "int": "number", "float": "number"}
#: ``pydantic.v1``'s bool parsing, for the 2.3.8–2.3.13 ``Union[bool, float, str]`` default
_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}
UNKNOWN = object()


@dataclass(frozen=True)
class TemplateEntry:
    """One Config field as ``get_config_parameters`` renders it."""

    name: str
    #: ``string``/``number``/``boolean``; None when unknown or not representable (``problem``)
    type: Optional[str]
    description: Optional[str]
    #: the default as written to steamship.json; :data:`UNKNOWN` when pkgcheck cannot tell
    default: object
    #: pydantic requires a value (no default, not Optional)
    required: bool
    #: the class that declares the field, and the module and node of its declaration
    owner: Ref
    module: str
    node: int
    #: why ``get_config_parameters`` raises for this field (None: it does not)
    problem: Optional[str] = None

    def as_json(self) -> Dict[str, object]:
        return {"type": self.type, "description": self.description, "default": self.default}


@dataclass
class ConfigTemplate:
    """The template of one Config class; ``complete`` is False when a part is unknown."""

    config: Ref
    entries: List[TemplateEntry] = field(default_factory=list)
    complete: bool = True
    #: why the template is incomplete (for ``pkgcheck manifest``)
    unknown: List[str] = field(default_factory=list)

    def as_json(self) -> Dict[str, Dict[str, object]]:
        return {entry.name: entry.as_json() for entry in self.entries}

    @property
    def problems(self) -> List[TemplateEntry]:
        return [entry for entry in self.entries if entry.problem]


def is_config_class(project: Project, ref: Ref) -> Optional[bool]:
    return project.is_subclass(ref, CONFIG)


def build_template(project: Project, config: Ref, builder: str = "strict") -> ConfigTemplate:
    """The template ``config.get_config_parameters()`` returns, as far as the facts tell.
    ``builder`` is the release's (:attr:`linter.sdk.deploy.DeployFacts.template_builder`)."""
    template = ConfigTemplate(config)
    mro, complete = project.mro(config)
    if not complete:
        template.complete = False
        template.unknown.append(f"a base class of {config.qualname} is not analysed")
    fields: Dict[str, TemplateEntry] = {}
    for ref in reversed(mro):
        if ref.kind != "class" or ref.module.split(".")[0] == "pydantic":
            continue  # pydantic's BaseModel (unread, or read from an installed pydantic): no Config fields
        # steamship's own Config and CamelModel declare none either, but its other Config
        # classes do (2.16's TelegramBotConfig.bot_token): they are read like the project's
        cls = project.class_fact(ref)
        module = project.module(ref.module)
        if cls is None or module is None:
            template.complete = False
            continue
        for assign in cls.assigns:
            entry = _entry(project, module, cls, ref, assign, builder, template)
            if entry is not None:
                fields[entry.name] = entry  # a redefinition keeps the base's position
    template.entries = list(fields.values())
    return template


def _entry(
    project: Project,
    module: ModuleFacts,
    cls: ClassFact,
    owner: Ref,
    assign: AssignFact,
    builder: str,
    template: ConfigTemplate,
) -> Optional[TemplateEntry]:
    name = assign.target
    if name.startswith("_"):
        return None
    if assign.annotation is None:
        # pydantic v1 infers a field from an unannotated default; what it infers is not read
        template.complete = False
        template.unknown.append(f"{cls.name}.{name} has no annotation")
        return None
    if _dotted(project, module, _subscripted(assign.annotation)) in _CLASS_VAR:
        return None
    kind, nullable, problem = field_type(project, module, assign.annotation)
    required, default, description = _default(project, module, assign.value)
    if required and nullable:
        required = False  # Optional without a default: pydantic gives None
    if default is not UNKNOWN and default is not None and problem is None:
        default, problem = _validated_default(default, builder)
    if kind is None and problem is None or default is UNKNOWN or description is UNKNOWN:
        template.complete = False
        template.unknown.append(f"{cls.name}.{name}: its type or default is not a literal pkgcheck can read")
    return TemplateEntry(
        name,
        kind,
        description if isinstance(description, str) else None,
        default,
        required,
        owner,
        module.name,
        assign.node,
        problem,
    )


def _subscripted(expr: Expr) -> Expr:
    return expr.func if expr.kind == "subscript" and expr.func is not None else expr


def _dotted(project: Project, module: ModuleFacts, expr: Optional[Expr]) -> Optional[str]:
    if expr is None or not expr.dotted:
        return None
    ref = project.resolve(module, expr.dotted)
    if ref is None:
        return None
    return ref.dotted if ref.kind in ("external", "builtin") else f"{ref.module}.{ref.qualname}"


def field_type(project: Project, module: ModuleFacts, annotation: Expr) -> Tuple[Optional[str], bool, Optional[str]]:
    """(template type, allows None, problem) of a field annotation, as pydantic v1's
    ``field.type_`` and ``from_python_type`` see it; type None and no problem: unknown."""
    nullable = False
    expr: Optional[Expr] = annotation
    for _ in range(16):  # peel Optional/List/Dict/Annotated layers
        if expr is None:
            return None, nullable, None
        if expr.kind == "binop" and expr.op == "|":
            members = [item for item in expr.items if item.kind != "none"]
            nullable = nullable or len(members) < len(expr.items)
            if len(members) != 1:
                return None, nullable, "a Union has no single type (from_python_type raises TypeError)"
            expr = members[0]
            continue
        if expr.kind == "subscript":
            outer = _dotted(project, module, expr.func)
            items = list(expr.items)
            if outer in _OPTIONAL and items:
                nullable, expr = True, items[0]
                continue
            if outer in _UNION:
                members = [item for item in items if item.kind != "none" and item.source != "NoneType"]
                nullable = nullable or len(members) < len(items)
                if len(members) != 1:
                    return None, nullable, "a Union has no single type (from_python_type raises TypeError)"
                expr = members[0]
                continue
            if outer in _ANNOTATED and items:
                expr = items[0]
                continue
            if outer in _SEQUENCES and items:
                expr = items[0]
                continue
            if outer in ("typing.Tuple", "tuple") and len(items) == 2 and items[1].kind == "ellipsis":
                expr = items[0]
                continue
            if outer in _MAPPINGS and len(items) == 2:
                expr = items[1]
                continue
            if outer in _NOT_TYPES:
                return None, nullable, f"{expr.source} is not a type from_python_type accepts (it raises TypeError)"
            return None, nullable, None
        if expr.kind == "none":
            return None, True, "None is not str, bool, int or float (from_python_type raises)"
        if expr.kind not in ("name", "attribute"):
            return None, nullable, None  # a string annotation, or stranger: not read
        return _with_nullable(_named_type(project, module, expr), nullable)
    return None, nullable, None


def _with_nullable(
    found: Tuple[Optional[str], Optional[str]], nullable: bool
) -> Tuple[Optional[str], bool, Optional[str]]:
    return found[0], nullable, found[1]


def _named_type(project: Project, module: ModuleFacts, expr: Expr) -> Tuple[Optional[str], Optional[str]]:
    """(template type, problem) of a named type."""
    ref = project.resolve(module, expr.dotted)
    if ref is None:
        return None, None
    if ref.kind == "builtin":
        if ref.qualname in _BUILTIN_TYPES:
            return _BUILTIN_TYPES[ref.qualname], None
        return None, f"{ref.qualname} is not str, bool, int or float (from_python_type raises)"
    if ref.kind == "external":
        if ref.module in _PYDANTIC_TYPES:
            return _PYDANTIC_TYPES[ref.module], None
        if ref.module in _NOT_TYPES:
            return None, f"{expr.source} is not a type from_python_type accepts (it raises TypeError)"
        return None, None
    if ref.kind != "class":
        return None, None
    mro, complete = project.mro(ref)
    names = {item.dotted for item in mro if item.kind in ("builtin", "external")}
    if "str" in names or "enum.StrEnum" in names:
        return "string", None
    if "bool" in names:
        return "boolean", None
    if names & {"int", "float", "enum.IntEnum", "enum.IntFlag"}:
        return "number", None
    if not complete:
        return None, None
    return None, f"{ref.qualname} is not a str, bool, int or float subclass (from_python_type raises)"


def _default(project: Project, module: ModuleFacts, value: Optional[Expr]) -> Tuple[bool, object, object]:
    """(required, default, description) of a field's assigned value."""
    if value is None or value.kind == "ellipsis":
        return True, None, None
    description: object = None
    if value.kind == "call" and _dotted(project, module, value.func) in _FIELD_FUNCTIONS:
        given = value.items[0] if value.items else value.keyword("default")
        described = value.keyword("description")
        if described is not None:
            known, text = project.constant(module, described)
            description = text if known and isinstance(text, str) else UNKNOWN
        if given is None:
            if value.keyword("default_factory") is not None:
                return False, None, description
            return True, None, description
        if given.kind == "ellipsis":
            return True, None, description
        value = given
    if value.kind in ("list", "tuple", "set", "dict"):
        return False, ("container", value.source), description
    known, constant = project.constant(module, value)
    if not known:
        known, constant = _enum_member(project, module, value)
    if not known or isinstance(constant, (bytes, complex)):
        return False, UNKNOWN, description
    return False, constant, description


def _enum_member(project: Project, module: ModuleFacts, value: Expr) -> Tuple[bool, object]:
    """The value of a member of an ``IntEnum``/``StrEnum`` (``strip_enum`` writes it), which
    :meth:`Project.constant` leaves to enums mixing in a builtin."""
    if value.kind != "attribute" or not value.dotted:
        return False, None
    ref = project.resolve(module, value.dotted)
    if ref is None or ref.kind != "attribute":
        return False, None
    owner_name, _, member = ref.qualname.rpartition(".")
    owner = Ref("class", ref.module, owner_name)
    mro, _ = project.mro(owner)
    if not any(item.dotted in ("enum.IntEnum", "enum.StrEnum", "enum.IntFlag") for item in mro):
        return False, None
    cls = project.class_fact(owner)
    home = project.module(ref.module)
    assign = cls.assign(member) if cls is not None else None
    if assign is None or home is None:
        return False, None
    return project.constant(home, assign.value)


def _validated_default(default: object, builder: str) -> Tuple[object, Optional[str]]:
    """The default as ``ConfigParameter`` keeps it, or why it refuses it."""
    if isinstance(default, tuple) and default[:1] == ("container",):
        return UNKNOWN, f"its default {default[1]} is not a str, bool or number (ConfigParameter refuses it)"
    if builder == "lax":  # Union[bool, float, str], pydantic v1, not strict
        if isinstance(default, bool):
            return default, None
        if isinstance(default, (int, float)) and default in (0, 1):
            return bool(default), None
        if isinstance(default, str) and default.lower() in _TRUE | _FALSE:
            return default.lower() in _TRUE, None
        try:
            return float(default), None  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            return default, None
    if isinstance(default, (str, bool, int, float)):
        return default, None
    return UNKNOWN, None


# -- which Config a package uses ---------------------------------------------------------------
@dataclass(frozen=True)
class ConfigChoice:
    """What ``Package.config_cls()`` returns: ``config`` (None: steamship's own empty Config,
    or unknown when ``known`` is False), and the method that decides it."""

    known: bool
    config: Optional[Ref]
    method: Optional[FunctionFact] = None
    method_owner: Optional[Ref] = None


def config_of(project: Project, package: Ref) -> ConfigChoice:
    """The Config class of ``package``: from the nearest ``config_cls`` in its MRO."""
    mro, complete = project.mro(package)
    for ref in mro:
        if ref.kind != "class":
            return ConfigChoice(False, None)
        cls = project.class_fact(ref)
        if cls is None:
            return ConfigChoice(False, None)
        method = cls.method("config_cls")
        if method is None:
            if cls.binding("config_cls") is not None:
                return ConfigChoice(False, None)
            continue
        if project.is_steamship(ref.module):
            if ref.key == INVOCABLE:
                return ConfigChoice(True, None, method, ref)  # Invocable.config_cls: Config
            if project.steamship.kind != "installed":
                # Another steamship class's config_cls (TelegramAgentService's returns
                # TelegramBotConfig): its return is read from the source, which the catalogue
                # does not keep.
                return ConfigChoice(False, None, method, ref)
        module = project.module(ref.module)
        if module is None:
            return ConfigChoice(False, None, method, ref)
        returned = set()
        for dotted in returned_names(project, module, method):
            if dotted is None:
                return ConfigChoice(False, None, method, ref)
            head, _, rest = dotted.partition(".")
            if head in ("cls", "self") and rest:
                target = _nested_class(project, package, rest)
            else:
                target = project.resolve(module, dotted)
            if target is None or target.kind != "class" or is_config_class(project, target) is not True:
                if target is not None and target.key == CONFIG:
                    returned.add(None)
                    continue
                return ConfigChoice(False, None, method, ref)
            returned.add(target)
        if len(returned) != 1:
            return ConfigChoice(False, None, method, ref)
        config = returned.pop()
        return ConfigChoice(True, config, method, ref)
    return ConfigChoice(complete, None)


def _nested_class(project: Project, package: Ref, name: str) -> Optional[Ref]:
    """The class ``package.<name>`` (``return cls.MyConfig``): a class defined in the body of
    ``package`` or of a class it inherits from, the nearest first; None when ``name`` is bound
    otherwise first, or a class on the way cannot be seen."""
    if "." in name:
        return None
    mro, _ = project.mro(package)
    for item in mro:
        if item.kind != "class":
            return None
        cls = project.class_fact(item)
        if cls is None:
            return None
        nested = Ref("class", item.module, f"{item.qualname}.{name}")
        if project.class_fact(nested) is not None:
            return nested
        if cls.binding(name) is not None:
            return None  # an attribute, not a class statement: its value is not read
    return None


def returned_names(project: Project, module: ModuleFacts, method: FunctionFact) -> List[Optional[str]]:
    """The dotted names ``method`` returns (None for a return of anything else); read with
    ``ast`` from the module's text (see the module's docstring)."""
    try:
        tree = ast.parse(project.source(Path(module.path)))
    except Exception:  # noqa: BLE001 - unreadable now: unknown
        return [None]
    parts = method.qualname.split(".")
    body: List[ast.stmt] = tree.body
    found: Optional[ast.AST] = None
    for i, part in enumerate(parts):
        kind = (ast.FunctionDef, ast.AsyncFunctionDef) if i == len(parts) - 1 else (ast.ClassDef,)
        candidates = [node for node in body if isinstance(node, kind) and node.name == part]
        if not candidates:
            return [None]
        found = candidates[-1]
        body = found.body  # type: ignore[attr-defined]
    names: List[Optional[str]] = []
    stack: List[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Return):
            names.append(_ast_dotted(node.value))
        stack.extend(ast.iter_child_nodes(node))
    return names or [None]


def _ast_dotted(node: Optional[ast.AST]) -> Optional[str]:
    parts: List[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None
