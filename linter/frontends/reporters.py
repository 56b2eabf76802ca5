"""The CLI's output formats: text, JSON, SARIF 2.1.0 and GitHub workflow commands.

Reporters are pure functions from a :class:`ReportData` to a string, so they can be tested
without running the engine and the CLI decides where the string goes (stdout or a file).
Paths are shown relative to the working directory when under it, with ``/`` separators, so the
output is the same on every OS and clickable in editors and CI logs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import quote

import click

from linter import __version__
from linter.run.checker import Violation
from linter.source.noqa import BY_FILE_NOQA, BY_NOQA, BY_PER_FILE_IGNORES

HOMEPAGE = "https://github.com/pkgcheck/pkgcheck"
#: Where each rule's documentation lives; a rule's anchor is its lower-case code.
DOCS_URL = f"{HOMEPAGE}/blob/main/docs/rules.md"
ISSUES_URL = f"{HOMEPAGE}/issues"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
#: Every finding is an error: each rule stands on a runtime failure, not on taste.
SEVERITY = "error"
#: The partialFingerprints key; bump the version if the hashed text ever changes.
FINGERPRINT_KEY = "pkgcheck/v1"


def rule_url(code: str) -> str:
    return f"{DOCS_URL}#{code.lower()}"


@dataclass(frozen=True)
class RuleInfo:
    """What the reporters need to know about a rule (also for SHP001, which has no class)."""

    code: str
    name: str
    summary: str
    documentation: str
    opt_in: bool = False
    #: the rule's message template (``{field}`` placeholders)
    message: str = ""

    @classmethod
    def of(cls, rule: type) -> "RuleInfo":
        return cls(
            rule.code,  # type: ignore[attr-defined]
            rule.name(),  # type: ignore[attr-defined]
            rule.summary(),  # type: ignore[attr-defined]
            rule.documentation(),  # type: ignore[attr-defined]
            bool(getattr(rule, "opt_in", False)),
            getattr(rule, "message", ""),
        )


@dataclass(frozen=True)
class Entry:
    """One finding as shown: the violation, its display path, its source line, why silenced."""

    violation: Violation
    path: str
    source_line: str = ""
    #: None when reported; else one of :mod:`linter.source.noqa`'s ``BY_*`` reasons
    suppressed: Optional[str] = None
    #: the steamship release the finding was judged under (its project's)
    steamship: Optional[str] = None


@dataclass
class ReportData:
    entries: List[Entry]
    rules: Mapping[str, RuleInfo]
    show_suppressed: bool = False
    #: the directory relative paths are relative to (SARIF's %SRCROOT%)
    root: Path = field(default_factory=Path.cwd)
    #: one line per internal error (for SARIF's tool execution notifications)
    internal_errors: Sequence[str] = ()
    #: the run's notes (which steamship release, checks skipped), for SARIF's notifications
    notices: Sequence[str] = ()
    #: per project: its root, and the steamship release it was checked against and why
    steamship: Sequence[Mapping[str, object]] = ()

    @property
    def shown(self) -> List[Entry]:
        """The entries a report lists: the reported ones, plus the silenced ones on request."""
        return [e for e in self.entries if e.suppressed is None or self.show_suppressed]

    @property
    def reported(self) -> List[Entry]:
        return [e for e in self.entries if e.suppressed is None]


def display_path(path: str, root: Path) -> str:
    """``path`` relative to ``root`` when under it, with ``/`` separators; else unchanged."""
    candidate = Path(path)
    if not candidate.is_absolute():
        return candidate.as_posix()
    try:
        return candidate.relative_to(root).as_posix()
    except ValueError:
        return candidate.as_posix()


_REASONS = {
    BY_NOQA: "# noqa",
    BY_FILE_NOQA: "# flake8: noqa",
    BY_PER_FILE_IGNORES: "per-file-ignores",
}


def describe_suppression(reason: str) -> str:
    return _REASONS.get(reason, reason)


# -- text ---------------------------------------------------------------------------------------


def render_text(data: ReportData, color: bool = False) -> str:
    lines = []
    for entry in data.shown:
        v = entry.violation
        where = f"{entry.path}:{v.line}:{v.column}:"
        code = v.code
        if color:
            where = click.style(where, bold=True)
            code = click.style(code, fg="red" if entry.suppressed is None else "yellow", bold=True)
        line = f"{where} {code} {v.message}"
        if entry.suppressed is not None:
            note = f"[suppressed by {describe_suppression(entry.suppressed)}]"
            line += " " + (click.style(note, dim=True) if color else note)
        lines.append(line)
    return "".join(line + "\n" for line in lines)


def render_statistics(data: ReportData) -> str:
    """``count  code  name`` per reported code, most frequent first."""
    counts = Counter(entry.violation.code for entry in data.reported)
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if not rows:
        return ""
    width = max(len(str(count)) for _, count in rows)
    lines = []
    for code, count in rows:
        info = data.rules.get(code)
        lines.append(f"{count:>{width}}  {code}  {info.name if info else ''}".rstrip())
    return "".join(line + "\n" for line in lines)


def summarise(data: ReportData) -> str:
    """One line for humans: how many problems in how many files."""
    reported = data.reported
    silenced = len(data.entries) - len(reported)
    tail = f" ({silenced} suppressed)" if silenced else ""
    if not reported:
        return f"All checks passed{tail}."
    files = len({entry.violation.path for entry in reported})
    problems = "problem" if len(reported) == 1 else "problems"
    noun = "file" if files == 1 else "files"
    return f"Found {len(reported)} {problems} in {files} {noun}{tail}."


# -- JSON ---------------------------------------------------------------------------------------


def render_json(data: ReportData, color: bool = False) -> str:
    items = []
    for entry in data.shown:
        v = entry.violation
        item: Dict[str, object] = {
            "code": v.code,
            "message": v.message,
            "path": entry.path,
            "line": v.line,
            "column": v.column,
            "end_line": v.end_line,
            "end_column": v.end_column,
            "severity": SEVERITY,
            "url": rule_url(v.code),
            "steamship": entry.steamship,
        }
        if data.show_suppressed:
            item["suppressed"] = entry.suppressed
        items.append(item)
    return json.dumps(items, indent=2) + "\n"


# -- SARIF --------------------------------------------------------------------------------------


def _artifact(path: str, root: Path) -> Dict[str, str]:
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            relative = candidate.relative_to(root)
        except ValueError:
            return {"uri": candidate.as_uri()}
        return {"uri": _quote_path(relative), "uriBaseId": "%SRCROOT%"}
    return {"uri": _quote_path(candidate)}


def _quote_path(path: Path) -> str:
    """A relative URI reference for ``path``: its bytes on disk, percent-encoded (a file name
    that is not UTF-8 keeps its bytes, as ``Path.as_uri`` does for absolute paths)."""
    return quote(os.fsencode(path.as_posix()), safe="/")


def _region(v: Violation) -> Dict[str, int]:
    start = (max(v.line, 1), max(v.column, 1))
    end = max(start, (v.end_line, v.end_column))
    return {"startLine": start[0], "startColumn": start[1], "endLine": end[0], "endColumn": end[1]}


def fingerprint(code: str, path: str, message: str, source_line: str) -> str:
    """A hash that survives lines moving: no line numbers, not even those in the message."""
    stable_message = re.sub(r"(\.py):\d+", r"\1", message)
    text = "\0".join((code, path, stable_message, source_line.strip()))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def full_description(info: RuleInfo) -> str:
    """The summary and the rule's "Why is this bad?" section: the help holds the examples."""
    match = re.search(
        r"^##\s*Why is this bad\?\s*\n(.*?)(?=^##\s|\Z)", info.documentation, re.M | re.S
    )
    if match is None:
        return info.documentation
    return f"{info.summary}\n\n{match.group(1).strip()}"


def render_sarif(data: ReportData, color: bool = False) -> str:
    infos = list(data.rules.values())
    index = {info.code: i for i, info in enumerate(infos)}
    rules = [
        {
            "id": info.code,
            "name": info.name,
            "shortDescription": {"text": info.summary},
            "fullDescription": {"text": full_description(info)},
            "help": {"text": info.documentation, "markdown": info.documentation},
            "helpUri": rule_url(info.code),
            "defaultConfiguration": {"level": SEVERITY, "enabled": not info.opt_in},
        }
        for info in infos
    ]
    results = []
    occurrences: Counter = Counter()
    for entry in data.shown:
        v = entry.violation
        hashed = fingerprint(v.code, entry.path, v.message, entry.source_line)
        occurrences[hashed] += 1
        result: Dict[str, object] = {
            "ruleId": v.code,
            "level": SEVERITY,
            "message": {"text": v.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact(v.path, data.root),
                        "region": _region(v),
                    }
                }
            ],
            "partialFingerprints": {FINGERPRINT_KEY: f"{hashed}:{occurrences[hashed]}"},
        }
        if v.code in index:
            result["ruleIndex"] = index[v.code]
        related = []
        for number, (path, line, label) in enumerate(v.related, start=1):
            physical: Dict[str, object] = {"artifactLocation": _artifact(path, data.root)}
            if line > 0:
                physical["region"] = {"startLine": line}
            related.append(
                {
                    "id": number,
                    "physicalLocation": physical,
                    "message": {"text": label.replace("_", " ")},
                }
            )
        if related:
            result["relatedLocations"] = related
        if data.show_suppressed:
            result["suppressions"] = (
                []
                if entry.suppressed is None
                else [
                    {
                        "kind": "external"
                        if entry.suppressed == BY_PER_FILE_IGNORES
                        else "inSource",
                        "justification": f"suppressed by {describe_suppression(entry.suppressed)}",
                    }
                ]
            )
        results.append(result)
    root_uri = data.root.as_uri()
    run: Dict[str, object] = {
        "tool": {
            "driver": {
                "name": "pkgcheck",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": HOMEPAGE,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {
            "%SRCROOT%": {"uri": root_uri if root_uri.endswith("/") else root_uri + "/"}
        },
        "columnKind": "unicodeCodePoints",
        "invocations": [
            {
                "executionSuccessful": not data.internal_errors,
                "toolExecutionNotifications": [
                    *({"level": "error", "message": {"text": text}} for text in data.internal_errors),
                    *({"level": "note", "message": {"text": text}} for text in data.notices),
                ],
            }
        ],
        "results": results,
        "properties": {"steamship": [dict(project) for project in data.steamship]},
    }
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2) + "\n"


# -- GitHub workflow commands -------------------------------------------------------------------


def escape_data(text: str) -> str:
    """Escape a workflow command's message (GitHub's rules: ``%``, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value: as data, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(data: ReportData, color: bool = False) -> str:
    lines = []
    for entry in data.shown:
        v = entry.violation
        command = "error" if entry.suppressed is None else "notice"
        title = v.code if entry.suppressed is None else f"{v.code} (suppressed)"
        properties: List[Tuple[str, object]] = [
            ("file", entry.path),
            ("line", v.line),
            ("col", v.column),
            ("endLine", v.end_line),
            ("endColumn", v.end_column),
            ("title", title),
        ]
        joined = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
        lines.append(f"::{command} {joined}::{escape_data(v.message)}")
    return "".join(line + "\n" for line in lines)


RENDERERS: Dict[str, Callable[..., str]] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
}


def render(fmt: str, data: ReportData, color: bool = False) -> str:
    return RENDERERS[fmt](data, color=color)
