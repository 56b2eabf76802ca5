"""``# noqa`` comments, honoured by the CLI exactly as flake8 honours them.

Users run pkgcheck both as a flake8 plugin and standalone; one comment must silence a finding in
both, so the rules here reproduce flake8's (7.x) behaviour, quirks included:

* ``# noqa`` (any case) anywhere in the line's text silences every code; so does a ``# noqa``
  followed by something that is not a code list (``# noqa : SHP101``, ``# noqa: SHP``).
* ``# noqa: SHP101,SHP3`` silences the codes that *start with* a listed entry; the comparison is
  case-sensitive, so ``# noqa: shp101`` silences nothing.
* The text searched for a finding on line N is the whole run of physical lines that share
  tokens with line N (a triple-quoted string, a backslash continuation), so a comment after the
  closing quotes of a multi-line string covers every line of it.
* A line that *starts* with ``# flake8: noqa`` exempts the whole file.
"""

from __future__ import annotations

import re
import tokenize
from typing import Dict, FrozenSet, List, Optional, Sequence

_INLINE = re.compile(
    r"# noqa"
    r"(?::\s?(?P<codes>(?:[A-Z]+[0-9]+[,\s]*)+))?",
    re.IGNORECASE,
)
_FILE_EXEMPT = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)
_SEPARATOR = re.compile(r"[,\s]")
# Python's line breaks only: str.splitlines would also split at form feeds and U+2028, and
# shift every line number after them.
_PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")

#: Reasons a finding is not reported (shown with ``--show-suppressed``).
BY_NOQA = "noqa"
BY_FILE_NOQA = "file-noqa"
BY_PER_FILE_IGNORES = "per-file-ignores"


def parse_noqa(text: str) -> Optional[FrozenSet[str]]:
    """The codes a line's ``# noqa`` names: None without one, an empty set for a bare one."""
    match = _INLINE.search(text)
    if match is None:
        return None
    listed = match.group("codes")
    if listed is None:
        return frozenset()
    return frozenset(part for part in _SEPARATOR.split(listed) if part.strip())


def noqa_covers(codes: FrozenSet[str], code: str) -> bool:
    """Whether a ``# noqa`` naming ``codes`` (empty: bare) silences ``code``."""
    return not codes or any(code.startswith(listed) for listed in codes)


def split_lines(text: str) -> List[str]:
    """``text``'s physical lines, with their line breaks, as Python numbers them."""
    return _PHYSICAL_LINE.findall(text)


def _logical_runs(lines: Sequence[str]) -> Dict[int, str]:
    """Line number → the text of the run of physical lines that share tokens with it."""
    runs: Dict[int, str] = {}
    first: Optional[int] = None
    last = 0
    try:
        for token in tokenize.generate_tokens(iter([*lines, ""]).__next__):
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            start, end = token.start[0], token.end[0]
            first = start if first is None else min(first, start)
            last = max(last, end)
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                joined = "".join(lines[first - 1 : last])
                for number in range(first, last + 1):
                    runs[number] = joined
                first, last = None, 0
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return {}  # like flake8: fall back to the single physical line
    return runs


class NoqaIndex:
    """The ``# noqa`` comments of one file's text."""

    def __init__(self, text: str) -> None:
        self.lines: List[str] = split_lines(text)
        self.exempt = any(_FILE_EXEMPT.match(line) for line in self.lines)
        # The text searched for a line is a stretch of the file: where the file holds no
        # ``# noqa`` at all, no line does, and the file need not be tokenized to find its runs.
        self._any = _INLINE.search(text) is not None
        self._runs: Optional[Dict[int, str]] = None
        self._codes: Dict[int, Optional[FrozenSet[str]]] = {}

    def line_text(self, line: int) -> str:
        """The physical line ``line`` (1-based) without its line break; empty when out of range."""
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1].rstrip("\r\n")
        return ""

    def _searched(self, line: int) -> str:
        if self._runs is None:
            self._runs = _logical_runs(self.lines)
        text = self._runs.get(line)
        if text is None:
            text = self.lines[line - 1] if 1 <= line <= len(self.lines) else ""
        return text

    def suppression(self, code: str, line: int) -> Optional[str]:
        """Why a finding of ``code`` on ``line`` is silenced (``BY_*``), or None."""
        if self.exempt:
            return BY_FILE_NOQA
        if not self._any:
            return None
        if line not in self._codes:
            self._codes[line] = parse_noqa(self._searched(line))
        codes = self._codes[line]
        if codes is not None and noqa_covers(codes, code):
            return BY_NOQA
        return None
