"""Source text to a LibCST tree: decoding as the interpreter does, the parse itself, and
:class:`SyntaxProblem` for whatever does not parse. LibCST is imported lazily (~0.2 s).
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any, Iterator, Optional, Tuple

from linter.source.facts import (
    Span,
)


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


@contextlib.contextmanager
def deep_recursion() -> Iterator[None]:
    """Long but valid chains (600 ``and``s, 250 chained calls, a long ``elif`` ladder) nest the
    tree deeper than Python's default recursion limit allows a walk over it — ours, or LibCST's
    code generation behind PositionProvider; CPython accepted the depth already."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


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
