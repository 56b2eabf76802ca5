"""The one place that parses: source text → :class:`~linter.source.facts.ModuleFacts`.

A single hand-written walk over the syntax tree collects everything the engine needs. No metadata
providers run on this path; :func:`collect_spans` recomputes positions for a module only when
something in it is reported, by replaying the same visit with position metadata.

LibCST is imported lazily (importing it costs ~0.2 s), so a run that parses nothing never pays.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any, Dict, Iterable, Iterator, List, NamedTuple, Optional, Tuple

from linter.source.facts import (
    TRACKED_CALLS,
    AssignFact,
    CallFact,
    ClassFact,
    Expr,
    FunctionFact,
    ImportFact,
    ModuleFacts,
    ParamFact,
    Span,
)

#: Deeper expressions are recorded as ``other``: the rules never need them, and it keeps the
#: conversion safe on pathological nesting.
MAX_EXPR_DEPTH = 24
#: Longer containers are recorded as ``other`` (a data table is not a mixin list).
MAX_ITEMS = 256
MAX_SOURCE = 400


class SyntaxProblem(Exception):
    """The source does not parse. ``span`` locates the error when LibCST tells where."""

    def __init__(self, message: str, span: Optional[Span] = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


def parse_module(source: str) -> Any:
    """Parse with LibCST, turning its errors into :class:`SyntaxProblem`."""
    import libcst as cst

    _guard_depth(source)
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        # A line continuation into the end of the file: CPython accepts one before CRLF (it
        # joins the last line with nothing), LibCST does not. Dropping that backslash changes
        # neither the program nor any position before it. (Found by the grammar fuzzer.)
        if source.endswith("\\\r\n") and _python_syntax_error(source) is None:
            return parse_module(source[:-3] + "\r\n")
        span = Span(error.raw_line, error.raw_column + 1, error.raw_line, error.raw_column + 2)
        message = str(error).strip().splitlines()[0].rstrip(".") if str(error).strip() else "syntax error"
        # CPython names the place to edit better ("expected ':'" on the def line, where LibCST
        # points at the next token); ask it, now that the file is known to be broken.
        python = _python_syntax_error(source)
        if python is not None:
            message, span = python
        raise SyntaxProblem(f"cannot parse: {message}", span) from None
    except RecursionError:
        raise SyntaxProblem("cannot parse: the code is nested too deeply") from None


def _guard_depth(source: str) -> None:
    """Refuse code nested too deeply before LibCST sees it.

    LibCST's native parser overflows the C stack (a segmentation fault: the whole process dies)
    on a few thousand nested brackets or unary operators. CPython's own parser guards its depth
    and raises instead, and costs a tenth of LibCST's: ask it first. Other syntax errors are left
    to LibCST, which may accept syntax newer than this interpreter.
    """
    import ast

    try:
        ast.parse(source)
    except (RecursionError, MemoryError):
        raise SyntaxProblem("cannot parse: the code is nested too deeply") from None
    except SyntaxError as error:
        message = str(error.msg or "")
        if "too many nested" in message or "too complex" in message or "recursion" in message:
            line = error.lineno or 1
            raise SyntaxProblem(f"cannot parse: {message}", Span(line, 1, line, 2)) from None
    except ValueError:
        pass  # NUL bytes and the like: LibCST reports them


def _python_syntax_error(source: str) -> Optional[Tuple[str, Span]]:
    import ast

    try:
        compile(source, "<pkgcheck>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:
        line = error.lineno or 1
        column = error.offset or 1
        return f"{error.msg} (line {line})", Span(line, column, line, column + 1)
    except (ValueError, RecursionError, MemoryError):
        return None
    return None


def collect_facts(source: str, name: str, path: str, is_package: bool = False) -> ModuleFacts:
    """Parse ``source`` once and return its facts. Raises :class:`SyntaxProblem`."""
    module = parse_module(source)
    collector = _Collector(module, name, path, is_package, keep_nodes=False)
    _walk(module, collector)
    return collector.result()


class Tree(NamedTuple):
    """A parsed module and its reportable nodes, indexed by the facts' node ids: what
    :func:`node_spans` computes positions from without parsing again."""

    module: Any
    nodes: List[Any]


def collect_facts_and_tree(
    source: str, name: str, path: str, is_package: bool = False
) -> Tuple[ModuleFacts, Tree]:
    """:func:`collect_facts`, and the tree it walked, for a caller that may ask for positions
    in the module later (:func:`node_spans`). Raises :class:`SyntaxProblem`."""
    module = parse_module(source)
    collector = _Collector(module, name, path, is_package, keep_nodes=True)
    _walk(module, collector)
    return collector.result(), Tree(module, collector.nodes)


def collect_spans(source: str) -> Tuple[Span, ...]:
    """Positions of every reportable node of ``source``, indexed by the facts' node ids."""
    module = parse_module(source)
    collector = _Collector(module, "", "", False, keep_nodes=True)
    _walk(module, collector)
    with _deep_recursion():
        try:
            positions = _positions(module)
        except RecursionError:
            raise SyntaxProblem("cannot locate: the code is nested too deeply") from None
    spans = []
    for node in collector.nodes:
        where = positions.get(node)
        if where is None:
            spans.append(Span(1, 1, 1, 1))
        else:
            spans.append(
                Span(
                    where.start.line,
                    where.start.column + 1,
                    where.end.line,
                    where.end.column + 1,
                )
            )
    return tuple(spans)


def collect_node_spans(source: str, wanted: Iterable[int]) -> Dict[int, Optional[Span]]:
    """``collect_spans(source)[node]`` for each node id in ``wanted`` (None for an id the module
    has not), computed for those nodes only.

    The code generation behind the positions stops once the last wanted node is written, and
    records positions only for the wanted nodes (and the children LibCST takes their syntactic
    bounds from), not for each of the tree's nodes. Raises :class:`SyntaxProblem`.
    """
    module = parse_module(source)
    collector = _Collector(module, "", "", False, keep_nodes=True)
    _walk(module, collector)
    return node_spans(Tree(module, collector.nodes), wanted)


def node_spans(tree: Tree, wanted: Iterable[int]) -> Dict[int, Optional[Span]]:
    """:func:`collect_node_spans` of the module ``tree`` was parsed from. Raises
    :class:`SyntaxProblem`."""
    module, nodes = tree
    wanted = list(wanted)
    ids = sorted({node for node in wanted if 0 <= node < len(nodes)})
    result: Dict[int, Optional[Span]] = {node: None for node in wanted}
    with _deep_recursion():
        try:
            positions = _positions(module, [nodes[node] for node in ids])
        except RecursionError:
            raise SyntaxProblem("cannot locate: the code is nested too deeply") from None
    for node in ids:
        where = positions.get(nodes[node])
        result[node] = (
            Span(1, 1, 1, 1)
            if where is None
            else Span(where.start.line, where.start.column + 1, where.end.line, where.end.column + 1)
        )
    return result


def _positions(module: Any, only: Optional[List[Any]] = None) -> Any:
    """LibCST's ``PositionProvider`` positions of every node of ``module``.

    ``MetadataWrapper.resolve`` would also run a visitor over the whole tree for the batchable
    providers, of which this asks none: that pass cost as much as the positions themselves.
    The provider's own generation (the code generation that records positions) is called
    directly; should a LibCST release rename it, the wrapper is used as before.
    """
    from libcst.metadata import MetadataWrapper, PositionProvider

    if only is not None:
        state_type = _some_positions_state()
        if state_type is not None and hasattr(module, "_codegen"):
            state = state_type(module.default_indent, module.default_newline, only)
            if only:
                try:
                    module._codegen(state)
                except _AllPlaced:
                    pass
            return state.computed
    provider = PositionProvider()
    generate = getattr(provider, "_gen_impl", None)
    if generate is None or not isinstance(getattr(provider, "_computed", None), dict):
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    generate(module)
    return provider._computed


class _AllPlaced(Exception):
    """Every wanted node has its position: the rest of the code generation is not needed."""


_SOME_POSITIONS: List[Any] = []


def _some_positions_state() -> Optional[type]:
    """A LibCST code generation state that records ``PositionProvider``'s positions for some
    nodes only (None when this LibCST lays its code generation out differently).

    It does what ``PositionProvidingCodegenState`` does — the same line and column updates for
    every token, the same positions (whitespace excluded where a node records its syntactic
    bounds, from the children it names) — for the wanted nodes and the children they take
    their bounds from, and raises :class:`_AllPlaced` once the last wanted node is complete.
    """
    if _SOME_POSITIONS:
        return _SOME_POSITIONS[0]
    try:
        import re

        from libcst._nodes.internal import CodegenState
        from libcst._position import CodePosition, CodeRange
    except ImportError:
        _SOME_POSITIONS.append(None)
        return None
    hooks = ("before_codegen", "after_codegen", "record_syntactic_position")
    if not all(hasattr(CodegenState, name) for name in hooks):
        _SOME_POSITIONS.append(None)
        return None
    newline = re.compile(r"\r\n?|\n")  # LibCST's NEWLINE_RE

    class SomePositions(CodegenState):  # type: ignore[misc, valid-type]
        def __init__(self, default_indent: str, default_newline: str, wanted: List[Any]) -> None:
            super().__init__(default_indent=default_indent, default_newline=default_newline)
            self.want = set(wanted)
            self.left = set(wanted)
            self.line = 1  # one-based
            self.column = 0  # zero-based
            self.starts: List[Any] = []
            self.computed: Dict[Any, Any] = {}

        def add_indent_tokens(self) -> None:
            self.tokens.extend(self.indent_tokens)
            for token in self.indent_tokens:
                self._advance(token)

        def add_token(self, value: str) -> None:
            self.tokens.append(value)
            self._advance(value)

        def _advance(self, value: str) -> None:
            if "\n" in value or "\r" in value:
                segments = newline.split(value)
                self.line += len(segments) - 1
                self.column = len(segments[-1])
            else:
                self.column += len(value)

        def before_codegen(self, node: Any) -> None:
            if node in self.want:
                self.starts.append(CodePosition(self.line, self.column))

        def after_codegen(self, node: Any) -> None:
            if node in self.want:
                start = self.starts.pop()
                if node not in self.computed:
                    self.computed[node] = CodeRange(start, CodePosition(self.line, self.column))
                self.left.discard(node)
                if not self.left:
                    raise _AllPlaced

        @contextlib.contextmanager
        def record_syntactic_position(
            self, node: Any, *, start_node: Any = None, end_node: Any = None
        ) -> Iterator[None]:
            if node not in self.want:
                yield
                return
            # The children are generated inside this block: wanting them now is in time.
            if start_node is not None:
                self.want.add(start_node)
            if end_node is not None:
                self.want.add(end_node)
            start = CodePosition(self.line, self.column)
            try:
                yield
            finally:
                end = CodePosition(self.line, self.column)
                if start_node is not None:
                    start = self.computed[start_node].start
                if end_node is not None:
                    end = self.computed[end_node].end
                self.computed[node] = CodeRange(start, end)

    _SOME_POSITIONS.append(SomePositions)
    return SomePositions


@contextlib.contextmanager
def _deep_recursion() -> Iterator[None]:
    """Long but valid chains (600 ``and``s, 250 chained calls, a long ``elif`` ladder) nest the
    tree deeper than Python's default recursion limit allows a walk over it — ours, or LibCST's
    code generation behind PositionProvider; CPython accepted the depth already."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def _walk(module: Any, collector: "_Collector") -> None:
    with _deep_recursion():
        try:
            collector.walk_body(module)
        except RecursionError:
            raise SyntaxProblem("cannot analyse: the code is nested too deeply") from None


def dotted_name(node: Any) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    import libcst as cst

    parts: List[str] = []
    while type(node) is cst.Attribute:
        parts.append(node.attr.value)
        node = node.value
    if type(node) is cst.Name:
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


#: Fields that hold only whitespace, punctuation or keywords: the walk never descends into them.
_TRIVIA_FIELDS = frozenset(
    """asynchronous colon comma comment default_indent default_newline dot empty_lines encoding
    equal first_colon footer has_trailing_newline header indent lbrace lbracket leading_lines
    leading_whitespace lines_after_decorators lpar newline operator posonly_ind rbrace rbracket
    relative rpar second_colon semicolon separator star trailing_comma trailing_whitespace
    whitespace""".split()
)
_CHILD_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _child_fields(node_type: type) -> Tuple[str, ...]:
    fields = _CHILD_FIELDS.get(node_type)
    if fields is None:
        import dataclasses

        fields = tuple(
            field.name
            for field in dataclasses.fields(node_type)
            if field.name not in _TRIVIA_FIELDS and not field.name.startswith("whitespace")
        )
        _CHILD_FIELDS[node_type] = fields
    return fields


_NODE_TYPES: Dict[type, bool] = {}


def _is_node(value_type: type) -> bool:
    known = _NODE_TYPES.get(value_type)
    if known is None:
        import libcst as cst

        known = _NODE_TYPES[value_type] = issubclass(value_type, cst.CSTNode)
    return known


_OPERATORS = {
    "BitOr": "|", "Add": "+", "Subtract": "-", "Multiply": "*", "Divide": "/",
    "Minus": "-", "Plus": "+", "Not": "not", "BitInvert": "~",
}  # fmt: skip


class _Frame:
    __slots__ = ("kind", "qualname", "builder", "conditional")

    def __init__(self, kind: str, qualname: str, builder: Any) -> None:
        self.kind = kind
        self.qualname = qualname
        self.builder = builder
        self.conditional = 0


class _Collector:
    """A hand-written walk over LibCST's node dataclasses.

    LibCST's own visitor machinery rebuilds every node as it goes (several times the cost of the
    parse); this walk only reads fields, skips trivia, and dispatches on the few node types that
    carry facts.
    """

    def __init__(
        self, module: Any, name: str, path: str, is_package: bool, keep_nodes: bool
    ) -> None:
        import libcst as cst

        self.cst = cst
        self.module = module
        self.name = name
        self.path = path
        self.is_package = is_package
        self.keep_nodes = keep_nodes
        self.nodes: List[Any] = []
        self.counter = 0
        self.imports: List[ImportFact] = []
        self.assigns: List[AssignFact] = []
        self.classes: List[ClassFact] = []
        self.functions: List[FunctionFact] = []
        self.calls: List[CallFact] = []
        self.future = False
        self.frames: List[_Frame] = [_Frame("module", "", None)]
        self.except_depth = 0
        self.leaves = frozenset(
            (
                cst.Name,
                cst.SimpleString,
                cst.Integer,
                cst.Float,
                cst.Imaginary,
                cst.Ellipsis,
                cst.Pass,
                cst.Break,
                cst.Continue,
            )
        )
        self.conditionals = frozenset(
            (
                cst.If,
                cst.For,
                cst.While,
                cst.IfExp,
                cst.ListComp,
                cst.SetComp,
                cst.DictComp,
                cst.GeneratorExp,
                cst.Lambda,
                cst.MatchCase,
            )
        )
        # Plain functions, not bound methods: a bound method would hold the collector in a
        # reference cycle with its own dict, and with it the whole syntax tree, until the cyclic
        # garbage collector ran.
        cls = type(self)
        self.handlers = {
            cst.ClassDef: cls.on_class,
            cst.FunctionDef: cls.on_function,
            cst.Import: cls.on_import,
            cst.ImportFrom: cls.on_import_from,
            cst.Assign: cls.on_assign,
            cst.AnnAssign: cls.on_ann_assign,
            cst.Call: cls.on_call,
            cst.ExceptHandler: cls.on_except,
        }

    # -- the walk --------------------------------------------------------------------------
    def walk(self, node: Any) -> None:
        node_type = type(node)
        handler = self.handlers.get(node_type)
        if handler is not None:
            handler(self, node)
        elif node_type in self.leaves:
            return
        elif node_type in self.conditionals:
            self.frame.conditional += 1
            self.descend(node)
            self.frame.conditional -= 1
        else:
            self.descend(node)

    def descend(self, node: Any) -> None:
        for field in _child_fields(type(node)):
            value = getattr(node, field)
            value_type = type(value)
            if value_type is tuple or value_type is list:
                for item in value:
                    if _is_node(type(item)):
                        self.walk(item)
            elif _is_node(value_type):
                self.walk(value)

    # -- node ids --------------------------------------------------------------------------
    def node_id(self, node: Any) -> int:
        self.counter += 1
        if self.keep_nodes:
            self.nodes.append(node)
        return self.counter - 1

    def source(self, node: Any) -> str:
        cst = self.cst
        node_type = type(node)
        # Leaves spell themselves; only composite nodes pay for code generation.
        if node_type in (cst.Name, cst.SimpleString, cst.Integer, cst.Float) and not (
            getattr(node, "lpar", None)
        ):
            return node.value
        if node_type is cst.Attribute and not node.lpar:
            dotted = dotted_name(node)
            if dotted is not None:
                return dotted
        text = self.module.code_for_node(node)
        if len(text) > MAX_SOURCE:
            text = text[:MAX_SOURCE] + "…"
        return text

    # -- expressions -----------------------------------------------------------------------
    def expr(self, node: Any, depth: int = 0) -> Expr:
        cst = self.cst
        nid = self.node_id(node)
        node_type = type(node)
        if depth > MAX_EXPR_DEPTH:
            return Expr("other", nid, self.source(node))
        kind = "other"
        value: Any = None
        dotted = None
        func = None
        items: Tuple[Expr, ...] = ()
        keywords: Tuple[Tuple[Optional[str], Expr], ...] = ()
        entries: Tuple[Tuple[Optional[Expr], Expr], ...] = ()
        op = None
        # Composite nodes spell their source from their parts (code generation of every
        # recorded expression would cost a third of the parse); ``None`` means "generate it".
        source: Optional[str] = None
        if node_type in (cst.SimpleString, cst.ConcatenatedString):
            try:
                value = node.evaluated_value
            except Exception:  # an odd prefix: keep it opaque
                value = None
            if isinstance(value, bytes):
                kind = "bytes"
            elif isinstance(value, str):
                kind = "str"
            else:
                kind = "fstring"
        elif node_type is cst.FormattedString:
            kind = "fstring"
            items = self.fstring_parts(node, depth)
        elif node_type is cst.Integer:
            kind, value = "int", _literal(node.value, int)
        elif node_type is cst.Float:
            kind, value = "float", _literal(node.value, float)
        elif node_type is cst.Imaginary:
            kind = "complex"
        elif node_type is cst.Ellipsis:
            kind = "ellipsis"
            source = "..."
        elif node_type is cst.Name:
            dotted = node.value
            if node.value in ("True", "False"):
                kind, value = "bool", node.value == "True"
            elif node.value == "None":
                kind = "none"
            else:
                kind = "name"
        elif node_type is cst.Attribute:
            kind = "attribute"
            dotted = dotted_name(node)
            func = self.expr(node.value, depth + 1)
            source = f"{func.source}.{node.attr.value}"
        elif node_type is cst.Call:
            kind = "call"
            func = self.expr(node.func, depth + 1)
            dotted = func.dotted
            positional: List[Expr] = []
            named: List[Tuple[Optional[str], Expr]] = []
            shown: List[str] = []
            for arg in node.args[:MAX_ITEMS]:
                if arg.keyword is not None:
                    inner = self.expr(arg.value, depth + 1)
                    named.append((arg.keyword.value, inner))
                    shown.append(f"{arg.keyword.value}={inner.source}")
                elif arg.star == "**":
                    inner = self.expr(arg.value, depth + 1)
                    named.append((None, inner))
                    shown.append("**" + inner.source)
                elif arg.star == "*":
                    inner = self.expr(arg.value, depth + 1)
                    positional.append(Expr("starred", inner.node, "*" + inner.source, func=inner))
                    shown.append("*" + inner.source)
                else:
                    inner = self.expr(arg.value, depth + 1)
                    positional.append(inner)
                    shown.append(inner.source)
            items, keywords = tuple(positional), tuple(named)
            if len(node.args) <= MAX_ITEMS:
                source = f"{func.source}({', '.join(shown)})"
        elif node_type is cst.Subscript:
            kind = "subscript"
            func = self.expr(node.value, depth + 1)
            dotted = func.dotted
            parts = []
            for element in node.slice[:MAX_ITEMS]:
                inner = element.slice
                if type(inner) is cst.Index:
                    parts.append(self.expr(inner.value, depth + 1))
                else:
                    parts.append(Expr("other", self.node_id(inner), self.source(inner)))
            items = tuple(parts)
            if len(node.slice) <= MAX_ITEMS:
                source = f"{func.source}[{', '.join(part.source for part in items)}]"
        elif node_type in (cst.List, cst.Tuple, cst.Set):
            kind = {cst.List: "list", cst.Tuple: "tuple", cst.Set: "set"}[type(node)]
            if len(node.elements) > MAX_ITEMS:
                kind = "other"
            else:
                elements = []
                for element in node.elements:
                    if type(element) is cst.StarredElement:
                        inner = self.expr(element.value, depth + 1)
                        elements.append(Expr("starred", inner.node, "*" + inner.source, func=inner))
                    else:
                        elements.append(self.expr(element.value, depth + 1))
                items = tuple(elements)
                body = ", ".join(item.source for item in items)
                if kind == "list":
                    source = f"[{body}]"
                elif kind == "set":
                    source = f"{{{body}}}"
                else:
                    source = f"({body},)" if len(items) == 1 else f"({body})"
        elif node_type is cst.Dict:
            kind = "dict"
            if len(node.elements) > MAX_ITEMS:
                kind = "other"
            else:
                pairs: List[Tuple[Optional[Expr], Expr]] = []
                shown = []
                for element in node.elements:
                    if type(element) is cst.StarredDictElement:
                        inner = self.expr(element.value, depth + 1)
                        pairs.append((None, inner))
                        shown.append("**" + inner.source)
                    else:
                        key = self.expr(element.key, depth + 1)
                        inner = self.expr(element.value, depth + 1)
                        pairs.append((key, inner))
                        shown.append(f"{key.source}: {inner.source}")
                entries = tuple(pairs)
                source = "{" + ", ".join(shown) + "}"
        elif node_type is cst.BinaryOperation:
            kind = "binop"
            op = _OPERATORS.get(type(node.operator).__name__) or self.module.code_for_node(node.operator).strip()
            items = (self.expr(node.left, depth + 1), self.expr(node.right, depth + 1))
            source = f"{items[0].source} {op} {items[1].source}"
        elif node_type is cst.UnaryOperation:
            kind = "unary"
            op = _OPERATORS.get(type(node.operator).__name__) or self.module.code_for_node(node.operator).strip()
            operand = self.expr(node.expression, depth + 1)
            items = (operand,)
            source = f"{op} {operand.source}" if op == "not" else f"{op}{operand.source}"
            if op == "-" and operand.kind in ("int", "float") and operand.value is not None:
                kind, value = operand.kind, -operand.value
            elif op == "+" and operand.kind in ("int", "float"):
                kind, value = operand.kind, operand.value
        if source is None:
            source = self.source(node)
        elif getattr(node, "lpar", None):
            source = f"({source})"
        if len(source) > MAX_SOURCE:
            source = source[:MAX_SOURCE] + "…"
        return Expr(kind, nid, source, value, dotted, func, items, keywords, entries, op)

    def fstring_parts(self, node: Any, depth: int) -> Tuple[Expr, ...]:
        """The parts of an f-string made only of plain text and bare names (``f"{PREFIX}.x"``),
        which a module constant can evaluate; else ()."""
        cst = self.cst
        parts: List[Expr] = []
        for part in node.parts:
            if type(part) is cst.FormattedStringText:
                if "\\" in part.value or "{" in part.value or "}" in part.value:
                    return ()
                parts.append(Expr("str", -1, part.value, part.value))
            elif (
                type(part) is cst.FormattedStringExpression
                and part.conversion is None
                and part.format_spec is None
                and type(part.expression) in (cst.Name, cst.Attribute)
            ):
                parts.append(self.expr(part.expression, depth + 1))
            else:
                return ()
        return tuple(parts)

    # -- scopes ----------------------------------------------------------------------------
    @property
    def frame(self) -> _Frame:
        return self.frames[-1]

    def qualname(self, name: str) -> str:
        frame = self.frame
        if frame.kind == "module":
            return name
        if frame.kind == "function":
            return f"{frame.qualname}.<locals>.{name}"
        return f"{frame.qualname}.{name}"

    def walk_body(self, body: Any) -> None:
        # IndentedBlock and SimpleStatementSuite both keep their statements in ``body``.
        for statement in body.body:
            self.walk(statement)

    def on_class(self, node: Any) -> None:
        decorators = []
        for decorator in node.decorators:
            self.walk(decorator.decorator)
            decorators.append(self.expr(decorator.decorator))
        builder: Dict[str, Any] = {
            "name": node.name.value,
            "qualname": self.qualname(node.name.value),
            "node": self.node_id(node),
            "name_node": self.node_id(node.name),
            "bases": tuple(self.expr(arg.value) for arg in node.bases if not arg.star),
            "keywords": tuple(
                (arg.keyword.value if arg.keyword else None, self.expr(arg.value))
                for arg in node.keywords
            ),
            "doc": node.get_docstring(clean=False),
            "methods": [],
            "assigns": [],
            "local": any(frame.kind == "function" for frame in self.frames),
        }
        self.frames.append(_Frame("class", builder["qualname"], builder))
        self.walk_body(node.body)
        self.frames.pop()
        b = builder
        self.classes.append(
            ClassFact(
                b["name"],
                b["qualname"],
                b["node"],
                b["name_node"],
                b["bases"],
                b["keywords"],
                b["doc"],
                tuple(b["methods"]),
                tuple(b["assigns"]),
                b["local"],
                tuple(decorators),
            )
        )

    def on_function(self, node: Any) -> None:
        outer = self.frame
        scope = outer.kind
        qualname = self.qualname(node.name.value)
        decorators = []
        for decorator in node.decorators:
            self.walk(decorator.decorator)
            inner = self.expr(decorator.decorator)
            # Report decorators at the '@', not at the expression after it.
            decorators.append(
                Expr(
                    inner.kind,
                    self.node_id(decorator),
                    inner.source,
                    inner.value,
                    inner.dotted,
                    inner.func,
                    inner.items,
                    inner.keywords,
                    inner.entries,
                    inner.op,
                )
            )
        builder: Dict[str, Any] = {
            "events": [],
            "self_assigns": [],
            "local_assigns": [],
        }
        fact_head = (
            node.name.value,
            qualname,
            self.node_id(node),
            self.node_id(node.name),
            scope,
            outer.qualname if scope == "class" else None,
            node.asynchronous is not None,
            tuple(decorators),
            self.params(node.params),
            self.expr(node.returns.annotation) if node.returns else None,
            node.get_docstring(clean=False),
        )
        self.frames.append(_Frame("function", qualname, builder))
        self.walk_body(node.body)
        self.frames.pop()
        fact = FunctionFact(
            *fact_head,
            tuple(builder["events"]),
            tuple(builder["self_assigns"]),
            tuple(builder["local_assigns"]),
        )
        if scope == "class":
            outer.builder["methods"].append(fact)
        else:
            self.functions.append(fact)

    def params(self, params: Any) -> Tuple[ParamFact, ...]:
        result = []

        def add(param: Any, kind: str) -> None:
            result.append(
                ParamFact(
                    param.name.value,
                    kind,
                    self.expr(param.annotation.annotation) if param.annotation else None,
                    self.expr(param.default) if param.default is not None else None,
                    self.node_id(param),
                )
            )

        for param in params.posonly_params:
            add(param, "posonly")
        for param in params.params:
            add(param, "normal")
        if type(params.star_arg) is self.cst.Param:
            add(params.star_arg, "vararg")
        for param in params.kwonly_params:
            add(param, "kwonly")
        if params.star_kwarg is not None:
            add(params.star_kwarg, "varkw")
        return tuple(result)

    def on_except(self, node: Any) -> None:
        self.frame.conditional += 1
        self.except_depth += 1
        self.descend(node)
        self.frame.conditional -= 1
        self.except_depth -= 1

    # -- imports ---------------------------------------------------------------------------
    def on_import(self, node: Any) -> None:
        fallback = self.except_depth > 0
        for alias in node.names:
            full = dotted_name(alias.name) or ""
            nid = self.node_id(alias)
            if alias.asname is not None:
                local = dotted_name(alias.asname.name)
                self.imports.append(ImportFact(local, full, 0, None, nid, None, fallback))
            else:
                top = full.split(".")[0]
                self.imports.append(ImportFact(top, top, 0, None, nid, full, fallback))

    def on_import_from(self, node: Any) -> None:
        cst = self.cst
        module = dotted_name(node.module) if node.module is not None else ""
        level = len(node.relative)
        fallback = self.except_depth > 0
        if type(node.names) is cst.ImportStar:
            self.imports.append(
                ImportFact(None, module or "", level, "*", self.node_id(node), None, fallback)
            )
            return
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            if module == "__future__" and name == "annotations":
                self.future = True
            local = dotted_name(alias.asname.name) if alias.asname is not None else name
            self.imports.append(
                ImportFact(local, module or "", level, name, self.node_id(alias), None, fallback)
            )

    # -- assignments -----------------------------------------------------------------------
    def record_assign(self, target: Any, value: Any, annotation: Any, node: Any) -> None:
        cst = self.cst
        frame = self.frame
        if type(target) is cst.Name and frame.kind in ("module", "class"):
            fact = AssignFact(
                target.value,
                self.expr(value) if value is not None else None,
                self.expr(annotation) if annotation is not None else None,
                self.node_id(node),
            )
            if frame.kind == "module":
                self.assigns.append(fact)
            else:
                frame.builder["assigns"].append(fact)
        elif (
            frame.kind == "function"
            and type(target) is cst.Attribute
            and type(target.value) is cst.Name
            and target.value.value == "self"
            and value is not None
        ):
            frame.builder["self_assigns"].append((target.attr.value, self.expr(value)))
        elif frame.kind == "function" and type(target) is cst.Name and value is not None:
            frame.builder["local_assigns"].append((target.value, self.expr(value)))

    def on_assign(self, node: Any) -> None:
        for target in node.targets:
            self.record_assign(target.target, node.value, None, node)
        self.walk(node.value)

    def on_ann_assign(self, node: Any) -> None:
        self.record_assign(node.target, node.value, node.annotation.annotation, node)
        if node.value is not None:
            self.walk(node.value)

    # -- calls -----------------------------------------------------------------------------
    def on_call(self, node: Any) -> None:
        cst = self.cst
        func = node.func
        # ``self.name(...)``, ``super().__init__(...)`` and ``Base.__init__(self, ...)`` are
        # recorded whole: their arguments say which parameters receive the package when the
        # spec builder follows a package's (or a mixin's) __init__ into them.
        if type(func) in (cst.Attribute, cst.Name):
            method = func.attr.value if type(func) is cst.Attribute else func.value
            frame = self.frame
            if method in TRACKED_CALLS:
                self.record_call(node, func, method)
            elif frame.kind == "function" and type(func) is cst.Attribute:
                receiver = func.value
                events = frame.builder["events"]
                if type(receiver) is cst.Name and receiver.value == "self":
                    events.append(("self", self.expr(node)))
                elif (
                    method == "__init__"
                    and type(receiver) is cst.Call
                    and type(receiver.func) is cst.Name
                    and receiver.func.value == "super"
                ):
                    events.append(("super_init", self.expr(node)))
                elif method == "__init__" and dotted_name(receiver):
                    events.append(("base_init", self.expr(node)))
        self.descend(node)

    def record_call(self, node: Any, func: Any, method: str) -> None:
        cst = self.cst
        frame = self.frame
        function_qualname = None
        class_qualname = None
        for candidate in reversed(self.frames):
            if candidate.kind == "function" and function_qualname is None:
                function_qualname = candidate.qualname
            if candidate.kind == "class":
                class_qualname = candidate.qualname
                break
        fact = CallFact(
            method,
            self.expr(func.value) if type(func) is cst.Attribute else None,
            self.expr(node),
            self.node_id(node),
            frame.kind,
            class_qualname,
            function_qualname,
            frame.conditional > 0,
        )
        self.calls.append(fact)
        if frame.kind == "function":
            frame.builder["events"].append(("call", len(self.calls) - 1))

    # -- result ----------------------------------------------------------------------------
    def result(self) -> ModuleFacts:
        all_names = None
        for assign in self.assigns:
            if assign.target == "__all__" and assign.value is not None:
                if assign.value.kind in ("list", "tuple") and all(
                    item.kind == "str" for item in assign.value.items
                ):
                    all_names = tuple(item.value for item in assign.value.items)
        return ModuleFacts(
            self.name,
            self.path,
            self.is_package,
            self.future,
            self.module.get_docstring(clean=False),
            tuple(self.imports),
            tuple(self.assigns),
            tuple(self.classes),
            tuple(self.functions),
            tuple(self.calls),
            all_names,
        )


def _literal(text: str, kind: type) -> Any:
    """The value of an integer (``kind`` int) or float literal's text (``0x1F``, ``2.5e-3``)."""
    # int(text, 0) and float(text) read every valid literal of their kind as the compiler does,
    # without ast.literal_eval's closures (a reference cycle per call, left to the garbage
    # collector); anything else goes to literal_eval as before.
    try:
        return int(text, 0) if kind is int else float(text)
    except ValueError:
        pass
    import ast

    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None


def decode_source(data: bytes) -> str:
    """Decode Python source as the interpreter would: BOM, then a coding cookie, else UTF-8.

    Raises :class:`SyntaxProblem` for bytes that cannot be decoded or hold NUL bytes.
    """
    import io
    import tokenize

    if b"\x00" in data:
        raise SyntaxProblem("cannot parse: the file contains NUL bytes")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        raise SyntaxProblem(f"cannot decode: {error.msg}") from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise SyntaxProblem(f"cannot decode as {encoding}: {error}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


if sys.version_info < (3, 9):  # pragma: no cover
    raise ImportError("pkgcheck needs Python 3.9 or newer")
