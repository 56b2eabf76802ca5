"""A JSON document read as steamship's CLI reads ``steamship.json``, with the place of every key.

``Manifest.parse_file`` decodes the bytes as UTF-8 (a byte order mark is *not* skipped: it
reaches ``json.loads``, which refuses it) and hands the text to :func:`json.loads`. We do the
same, so what fails here fails for ``ship deploy``. Python's ``json`` keeps no positions, so a
second, small scan of the (by then known valid) text records the line and column of each key,
named by its path from the top (``("steamshipRegistry", "tags")``), for findings to point at.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple, Union

#: A key's path from the top of the document: object keys and list indexes.
KeyPath = Tuple[Union[str, int], ...]


@dataclass(frozen=True)
class JsonError:
    """Why the bytes are not a JSON document, and where (1-based)."""

    message: str
    line: int = 1
    column: int = 1


@dataclass
class JsonDoc:
    """A parsed document: its value and where each key starts (line, column; 1-based)."""

    value: Any
    text: str
    keys: Dict[KeyPath, Tuple[int, int]] = field(default_factory=dict)

    def place(self, path: KeyPath) -> Tuple[int, int]:
        """Where the key at ``path`` is, else its nearest enclosing key, else the start."""
        path = tuple(path)
        while path:
            if path in self.keys:
                return self.keys[path]
            path = path[:-1]
        return (1, 1)


def read_json(data: bytes) -> Union[JsonDoc, JsonError]:
    """The document in ``data``, or why ``json.loads`` of its UTF-8 text (as steamship reads
    it) fails. Never raises."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return JsonError(f"is not UTF-8 text (byte {error.start}: {error.reason})", line, 1)
    if text.startswith("\ufeff"):
        return JsonError("starts with a byte order mark, which json.loads refuses", 1, 1)
    try:
        value = _loads_at_default_depth(text)
    except json.JSONDecodeError as error:
        return JsonError(f"is not valid JSON ({error.msg})", error.lineno, error.colno)
    except RecursionError:
        return JsonError("is nested too deeply for json.loads", 1, 1)
    except (ValueError, TypeError) as error:  # e.g. an integer too long to convert
        return JsonError(f"is not valid JSON ({error})", 1, 1)
    return JsonDoc(value, text, _key_places(text))


#: the recursion limit of a Python that nobody changed: ``json.loads`` in steamship's deploy runs
#: under it, and the C decoder counts each level of nesting against it
DEFAULT_RECURSION_LIMIT = 1000


def _loads_at_default_depth(text: str) -> Any:
    """``json.loads(text)`` with the recursion budget of a fresh interpreter, whatever this
    one's limit and depth are: whether a deeply nested manifest is "too deep" must not depend on
    who calls pkgcheck (a test harness raises the limit; an editor calls from deeper down)."""
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back  # type: ignore[assignment]
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + DEFAULT_RECURSION_LIMIT)
    try:
        return json.loads(text)
    finally:
        sys.setrecursionlimit(old)


def _key_places(text: str) -> Dict[KeyPath, Tuple[int, int]]:
    """Line and column of every object key of a valid JSON ``text``, by path. Iterative, so
    nesting depth costs no recursion."""
    places: Dict[KeyPath, Tuple[int, int]] = {}
    # each open container: [is_object, path of the container, next key/index, expecting a key]
    stack: List[List[Any]] = []
    path: KeyPath = ()
    line, line_start = 1, 0
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\n":
            line, line_start = line + 1, i + 1
            i += 1
            continue
        if char == '"':
            end = string_end(text, i)
            top = stack[-1] if stack else None
            if top is not None and top[0] and top[3]:
                key = json.loads(text[i:end])
                top[2] = key
                top[3] = False
                places.setdefault(top[1] + (key,), (line, i - line_start + 1))
            i = end
            continue
        if char in "{[":
            parent = stack[-1] if stack else None
            container = parent[1] + (parent[2],) if parent is not None else path
            stack.append([char == "{", container, 0, char == "{"])
        elif char in "}]":
            stack.pop()
        elif char == ",":
            top = stack[-1]
            if top[0]:
                top[3] = True
            else:
                top[2] += 1
        i += 1
    return places


def string_end(text: str, start: int) -> int:
    """The index just past the JSON string literal starting at ``start`` (a valid one)."""
    i = start + 1
    while True:
        char = text[i]
        if char == "\\":
            i += 2
        elif char == '"':
            return i + 1
        else:
            i += 1
