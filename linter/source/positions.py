"""Positions of reported nodes: LibCST's ``PositionProvider`` positions, computed for the
wanted nodes only, from a tree kept after its facts were taken (:class:`Tree`).
"""

from __future__ import annotations

import contextlib
from typing import Any, Dict, Iterable, Iterator, List, NamedTuple, Optional

from linter.source.facts import (
    Span,
)
from linter.source.parse import SyntaxProblem, deep_recursion


class Tree(NamedTuple):
    """A parsed module and its reportable nodes, indexed by the facts' node ids: what
    :func:`node_spans` computes positions from without parsing again."""

    module: Any
    nodes: List[Any]


def node_spans(tree: Tree, wanted: Iterable[int]) -> Dict[int, Optional[Span]]:
    """:func:`collect_node_spans` of the module ``tree`` was parsed from. Raises
    :class:`SyntaxProblem`."""
    module, nodes = tree
    wanted = list(wanted)
    ids = sorted({node for node in wanted if 0 <= node < len(nodes)})
    result: Dict[int, Optional[Span]] = {node: None for node in wanted}
    with deep_recursion():
        try:
            positions = positions_of(module, [nodes[node] for node in ids])
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


def positions_of(module: Any, only: Optional[List[Any]] = None) -> Any:
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
