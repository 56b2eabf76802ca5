"""LibCST expressions as :class:`~linter.source.facts.Expr`: the plain, bounded form the
engine reasons about (names, literals, calls, containers, operators), with each recorded node
numbered for positions.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from linter.source.facts import (
    Expr,
)

#: Deeper expressions are recorded as ``other``: the rules never need them, and it keeps the
#: conversion safe on pathological nesting.
MAX_EXPR_DEPTH = 24
#: Longer containers are recorded as ``other`` (a data table is not a mixin list).
MAX_ITEMS = 256
MAX_SOURCE = 400


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


_OPERATORS = {
    "BitOr": "|", "Add": "+", "Subtract": "-", "Multiply": "*", "Divide": "/",
    "Minus": "-", "Plus": "+", "Not": "not", "BitInvert": "~",
}  # fmt: skip


class ExpressionReader:
    """Reads LibCST expressions into :class:`~linter.source.facts.Expr` and numbers the nodes
    it records: node ids are given in the order of the walk, so replaying the walk on the same
    text gives every node its id again."""

    def __init__(self, module: Any, keep_nodes: bool) -> None:
        import libcst as cst

        self.cst = cst
        self.module = module
        self.keep_nodes = keep_nodes
        self.nodes: List[Any] = []
        self.counter = 0

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
