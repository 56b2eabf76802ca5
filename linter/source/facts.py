"""Plain, immutable facts about one module.

The collector (:mod:`linter.source.collect`) is the only code that looks at a syntax tree; everything
downstream — the project index, the spec builder, the rules, the cache — works on these
dataclasses. They hold no LibCST objects, so they are cheap to keep, compare and serialise.

Reportable nodes are named by ``node``: an integer id, unique within the module, given in visit
order. Positions are not computed while collecting (LibCST's position metadata costs twice the
parse); :func:`linter.source.collect.collect_spans` recomputes them for a module only when something in
it is reported. The ids are deterministic, so both passes agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

#: Calls the collector records wherever they appear.
TRACKED_CALLS = ("add_mixin", "invoke_later")


@dataclass(frozen=True)
class Span:
    """A 1-based line and column range; ``end_column`` is exclusive, as flake8 and SARIF expect."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Expr:
    """A plain-data picture of an expression, as deep as the rules need.

    ``kind`` is one of: ``str int float complex bool none ellipsis bytes fstring name attribute
    call subscript list tuple set dict starred binop unary other``.
    """

    kind: str
    node: int
    source: str
    #: literal value for str/int/float/bool/none/bytes, else None
    value: Any = None
    #: ``a.b.c`` for a chain of names and attributes (also the callee of a call, the value of a
    #: subscript), else None
    dotted: Optional[str] = None
    #: call: the callee; subscript: the subscripted value; attribute: the object; starred: value
    func: Optional["Expr"] = None
    #: call: positional arguments; list/tuple/set: elements; subscript: slice elements;
    #: binop: the two operands
    items: Tuple["Expr", ...] = ()
    #: call: keyword arguments, name None for ``**splat``
    keywords: Tuple[Tuple[Optional[str], "Expr"], ...] = ()
    #: dict: (key, value) pairs, key None for ``**splat``
    entries: Tuple[Tuple[Optional["Expr"], "Expr"], ...] = ()
    #: binop/unary operator text (``|``, ``-``)
    op: Optional[str] = None

    @property
    def is_literal(self) -> bool:
        return self.kind in ("str", "int", "float", "bool", "none", "bytes", "complex")

    def keyword(self, name: str) -> Optional["Expr"]:
        for key, value in self.keywords:
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class ImportFact:
    """One name bound by an import statement.

    ``import a.b`` binds ``a`` (``module='a'``, ``name=None``, ``also='a.b'``);
    ``import a.b as c`` binds ``c`` to module ``a.b``; ``from ..x import y as z`` binds ``z``
    (``module='x'``, ``level=2``, ``name='y'``); ``from x import *`` has ``local=None``.
    """

    local: Optional[str]
    module: str
    level: int
    name: Optional[str]
    node: int
    also: Optional[str] = None
    #: bound inside an ``except`` handler: a fallback that does not replace an earlier binding
    fallback: bool = False


@dataclass(frozen=True)
class AssignFact:
    """``target = value`` (or ``target: annotation = value``) with a simple name target."""

    target: str
    value: Optional[Expr]
    annotation: Optional[Expr]
    node: int


@dataclass(frozen=True)
class ParamFact:
    """A parameter. ``kind``: ``posonly``, ``normal``, ``vararg``, ``kwonly``, ``varkw``."""

    name: str
    kind: str
    annotation: Optional[Expr]
    default: Optional[Expr]
    node: int


@dataclass(frozen=True)
class CallFact:
    """A call of one of :data:`TRACKED_CALLS`, e.g. ``self.invocable.add_mixin(M(...))``.

    ``receiver`` is the object the method is called on (None for a bare function call);
    ``scope`` is ``module``, ``class`` or ``function``.
    """

    method: str
    receiver: Optional[Expr]
    call: Expr
    node: int
    scope: str
    class_qualname: Optional[str]
    function_qualname: Optional[str]
    #: under an if/for/while/try/with or in a comprehension: may run zero or many times
    conditional: bool


@dataclass(frozen=True)
class FunctionFact:
    """A ``def``. ``scope`` is where it is defined: ``module``, ``class`` or ``function``."""

    name: str
    qualname: str
    node: int
    name_node: int
    scope: str
    class_qualname: Optional[str]
    is_async: bool
    decorators: Tuple[Expr, ...]
    params: Tuple[ParamFact, ...]
    returns: Optional[Expr]
    doc: Optional[str]
    #: In source order: ``("call", i)`` for ``ModuleFacts.calls[i]``, ``("self", call)`` for
    #: ``self.name(...)``, ``("super_init", call)`` for ``super().__init__(...)`` and
    #: ``("base_init", call)`` for ``Base.__init__(self, ...)``, where ``call`` is the call's
    #: :class:`Expr`: its arguments, and its callee ``call.func`` (``self.name``,
    #: ``Base.__init__``).
    events: Tuple[Tuple[str, Any], ...] = ()
    #: ``self.attr = value`` assignments in this function
    self_assigns: Tuple[Tuple[str, Expr], ...] = ()
    #: ``name = value`` assignments to local names in this function
    local_assigns: Tuple[Tuple[str, Expr], ...] = ()

    def param(self, name: str) -> Optional[ParamFact]:
        for param in self.params:
            if param.name == name:
                return param
        return None


@dataclass(frozen=True)
class ClassFact:
    name: str
    qualname: str
    node: int
    name_node: int
    bases: Tuple[Expr, ...]
    keywords: Tuple[Tuple[Optional[str], Expr], ...]
    doc: Optional[str]
    methods: Tuple[FunctionFact, ...]
    assigns: Tuple[AssignFact, ...]
    #: defined inside a function body
    local: bool = False
    #: class decorators (``@dataclass``), outermost first
    decorators: Tuple[Expr, ...] = ()

    def method(self, name: str) -> Optional[FunctionFact]:
        """The last ``def name`` in the class body (the one Python keeps)."""
        return self._names[0].get(name)

    def assign(self, name: str) -> Optional[AssignFact]:
        """The last assignment to ``name`` in the class body."""
        return self._names[1].get(name)

    def binding(self, name: str) -> Optional[object]:
        """The last binding of ``name`` in the class body: a FunctionFact or an AssignFact."""
        return self._names[2].get(name)

    @property
    def _names(self) -> Tuple[Dict[str, FunctionFact], Dict[str, AssignFact], Dict[str, object]]:
        # Built on first use, once per class: lookups by name stay O(1) in a class of
        # thousands of routes (a scan per lookup made building its spec quadratic). Kept out
        # of the fields, so equality, pickling and the JSON codec never see it.
        names = self.__dict__.get("_names_index")
        if names is None:
            methods = {function.name: function for function in self.methods}
            assigns = {assign.target: assign for assign in self.assigns}
            last: Dict[str, Tuple[int, object]] = {}
            for item in (*self.methods, *self.assigns):
                key = item.name if isinstance(item, FunctionFact) else item.target
                if key not in last or item.node > last[key][0]:
                    last[key] = (item.node, item)
            names = (methods, assigns, {key: value for key, (_, value) in last.items()})
            object.__setattr__(self, "_names_index", names)
        return names


@dataclass(frozen=True)
class ModuleFacts:
    """Everything the engine knows about one module, from one parse."""

    name: str
    path: str
    is_package: bool
    future_annotations: bool
    doc: Optional[str]
    imports: Tuple[ImportFact, ...]
    assigns: Tuple[AssignFact, ...]
    classes: Tuple[ClassFact, ...]
    functions: Tuple[FunctionFact, ...]
    calls: Tuple[CallFact, ...]
    #: ``__all__`` when it is a literal list/tuple of strings
    all_names: Optional[Tuple[str, ...]] = None

    def class_(self, qualname: str) -> Optional[ClassFact]:
        found = None
        for cls in self.classes:
            if cls.qualname == qualname:
                found = cls
        return found


@dataclass(frozen=True)
class ParseFailure:
    """A file that could not be read or parsed; ``span`` points at the error when known."""

    path: str
    message: str
    span: Optional[Span] = None
    #: a bug in pkgcheck rather than in the file
    internal: bool = False
