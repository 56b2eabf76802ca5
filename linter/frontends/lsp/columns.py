"""Positions between the engine and the editor: the engine counts 1-based lines and columns in
characters (code points); LSP counts 0-based lines and characters in the units of the position
encoding agreed at ``initialize`` (UTF-16 code units unless the client offers another)."""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from lsprotocol import types
from pygls.workspace import PositionCodec

#: where Python (and LSP) end a line; str.splitlines also splits at \f, \x1c, \u2028...
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class Columns:
    """One text's lines, to turn the engine's positions (1-based, columns counted in characters)
    into the client's (0-based, characters counted in the position encoding agreed at
    ``initialize``: UTF-16 code units unless the client offered another) and back. A character
    outside the Basic Multilingual Plane is one column to the engine and two UTF-16 units."""

    def __init__(self, text: Optional[str], codec: PositionCodec) -> None:
        self.lines = _LINE_BREAK.split(text) if text is not None else []
        self.codec = codec

    def line(self, row: int) -> str:
        """The text of 0-based line ``row`` ("" past the end)."""
        return self.lines[row] if 0 <= row < len(self.lines) else ""

    def to_client(self, line: int, column: int) -> types.Position:
        row, index = max(line - 1, 0), max(column - 1, 0)
        text = self.line(row)
        return types.Position(line=row, character=self.codec.client_num_units(text[:index]) + max(0, index - len(text)))

    def from_client(self, position: types.Position) -> Tuple[int, int]:
        """The 1-based (line, column) of an LSP position (past a line's end: counted on)."""
        text = self.line(position.line)
        units = 0
        for index, char in enumerate(text):
            if units >= position.character:
                return position.line + 1, index + 1
            units += self.codec.client_num_units(char)
        return position.line + 1, len(text) + 1 + max(0, position.character - units)

    def range(self, line: int, column: int, end_line: int, end_column: int) -> types.Range:
        """1-based (exclusive end) positions as an LSP range."""
        start, end = self.to_client(line, column), self.to_client(end_line, end_column)
        if (end.line, end.character) < (start.line, start.character):
            end = start
        return types.Range(start=start, end=end)


def lines_with_ends(text: str) -> List[str]:
    """``text``'s lines as LSP counts them (ended by \\r\\n, \\r or \\n), each with its end."""
    return [found.group(0) for found in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z", text)]
