"""``pkgcheck manifest``: the ``configTemplate`` that ``ship deploy`` would write, and writing it.

The template is built statically (:mod:`linter.semantic.config_template`) for the package module
beside ``steamship.json``, with the release the project uses. Writing it changes only the value
of ``configTemplate`` in the file's text — every other byte (key order, indentation, line ends,
other keys' spelling) stays — and the result is checked to parse to the old document with the
new template before it replaces the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from linter.source.jsondoc import JsonDoc, JsonError, read_json, string_end


class ManifestError(ValueError):
    """Why no template can be given: said to the user as is."""


@dataclass
class TemplateResult:
    template: Dict[str, Dict[str, Any]]
    #: ``Class`` of the package and of its Config (None: steamship's empty Config)
    package: str
    config: Optional[str]
    release: str
    notes: List[str] = field(default_factory=list)


def deploy_template(directory: Path, steamship_version: Optional[str] = None,
                    steamship_path: Optional[Path] = None) -> TemplateResult:
    """The template deploy would write for the package in ``directory``. Raises
    :class:`ManifestError` when it cannot be known statically or deploy would fail first."""
    from linter.run.engine import open_project
    from linter.run.manifests import manifest_context
    from linter.source.facts import ParseFailure

    project = open_project([directory], steamship_path, root=directory, steamship_version=steamship_version)
    manifest = manifest_context(project, directory / "steamship.json")
    facts = manifest.facts  # type: ignore[attr-defined]
    release = project.steamship.version or "(unknown release)"
    if facts.template_builder is None:
        if project.steamship.guessed:
            raise ManifestError(
                f"{project.steamship.reason}: its release is unknown, and so is the configTemplate its deploy "
                "writes; name the release with --steamship-version RELEASE"
            )
        raise ManifestError(
            f"steamship {release} has no configTemplate builder (ship deploy writes one from 2.3.8 on)"
        )
    if manifest.api_path is None:  # type: ignore[attr-defined]
        raise ManifestError(f"no {' or '.join(facts.api_paths)} in {directory}")
    api = manifest.api  # type: ignore[attr-defined]
    if isinstance(api, ParseFailure):
        raise ManifestError(f"{manifest.api_path} does not parse: {api.message}")  # type: ignore[attr-defined]
    found = manifest.invocables  # type: ignore[attr-defined]
    if found is None:
        raise ManifestError("cannot tell which class of the package module is the package (a base is not analysed)")
    if len(found) != 1:
        names = ", ".join(ref.qualname for ref in found) or "none"
        raise ManifestError(f"the package module must define exactly one Invocable subclass, it defines: {names}")
    template = manifest.template()  # type: ignore[attr-defined]
    if template is None:
        raise ManifestError(_unknown_config(project, found[0], release))
    problems = template.problems
    if problems:
        raise ManifestError(
            "ship deploy would stop: "
            + "; ".join(f"field {entry.name} of {template.config.qualname}: {entry.problem}" for entry in problems)
        )
    if not template.complete:
        raise ManifestError("cannot build the template statically: " + "; ".join(template.unknown))
    config = None if template.config.module.startswith("steamship.") else template.config.qualname
    return TemplateResult(template.as_json(), found[0].qualname, config, release)


def _unknown_config(project: Any, package: Any, release: str) -> str:
    """Why the Config class of ``package`` is not known (see :func:`config_of`)."""
    from linter.semantic.config_template import config_of

    owner = config_of(project, package).method_owner
    said = f"cannot tell statically which Config class {package.qualname}.config_cls() returns"
    if owner is not None and project.is_steamship(owner.module) and project.steamship.kind != "installed":
        return (
            f"{said}: it is steamship's {owner.qualname}.config_cls, whose return value pkgcheck's catalogue "
            f"does not record; pass --steamship-path to a site-packages holding steamship {release}"
        )
    return said


def render_template(template: Dict[str, Any]) -> str:
    return json.dumps(template, indent=4) + "\n"


def rewrite_template(text: str, template: Dict[str, Any]) -> str:
    """``text`` (a manifest's) with its ``configTemplate`` value replaced by ``template`` (or
    the key added last), nothing else changed. Raises :class:`ManifestError` for a text that
    is not a JSON object."""
    doc = read_json(text.encode("utf-8"))
    if isinstance(doc, JsonError):
        raise ManifestError(f"steamship.json {doc.message} (line {doc.line}, column {doc.column})")
    if not isinstance(doc.value, dict):
        raise ManifestError("steamship.json does not hold a JSON object")
    newline = "\r\n" if "\r\n" in text else "\n"
    span = _top_level_value(text, "configTemplate")
    unit, inner = _indentation(text)
    if span is not None:
        start, end = span
        rendered = _render(template, unit, inner, newline, multiline="\n" in text.strip())
        new = text[:start] + rendered + text[end:]
    else:
        close = _closing_brace(text)
        before = text[:close].rstrip()
        tail = text[len(before):close]
        multiline = "\n" in text[:close]
        rendered = _render(template, unit, inner, newline, multiline)
        separator = "" if before.endswith("{") else ","
        if multiline:
            new = f"{before}{separator}{newline}{inner}\"configTemplate\": {rendered}{tail}{text[close:]}"
        else:
            space = " " if separator else ""
            new = f"{before}{separator}{space}\"configTemplate\": {rendered}{tail}{text[close:]}"
    check = read_json(new.encode("utf-8"))
    expected = dict(doc.value)
    expected["configTemplate"] = template
    if not isinstance(check, JsonDoc) or check.value != expected:  # pragma: no cover - a bug here
        raise ManifestError("internal error: the rewritten manifest would not parse back; nothing written")
    return new


def _render(template: Dict[str, Any], unit: str, inner: str, newline: str, multiline: bool) -> str:
    if not multiline:
        return json.dumps(template)
    lines = json.dumps(template, indent=unit or 4).split("\n")
    return newline.join([lines[0]] + [inner + line for line in lines[1:]])


def _indentation(text: str) -> Tuple[str, str]:
    """(one indentation unit, the indentation of top-level keys) of a manifest's text."""
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped.startswith('"'):
            indent = line[: len(line) - len(stripped)]
            return (indent or "    "), indent
    return "    ", "    "


def _closing_brace(text: str) -> int:
    return text.rindex("}")


def _top_level_value(text: str, wanted: str) -> Optional[Tuple[int, int]]:
    """Start and end offsets of the value of top-level key ``wanted`` (the last one, as
    ``json.loads`` keeps the last of duplicate keys) in a valid JSON object ``text``."""
    found: Optional[Tuple[int, int]] = None
    depth = 0
    i, n = 0, len(text)
    expecting_key = False
    while i < n:
        char = text[i]
        if char == '"':
            end = string_end(text, i)
            if depth == 1 and expecting_key:
                key = json.loads(text[i:end])
                expecting_key = False
                j = end
                while text[j] in " \t\r\n:":
                    j += 1
                value_end = _value_end(text, j)
                if key == wanted:
                    found = (j, value_end)
                i = value_end
                continue
            i = end
            continue
        if char in "{[":
            depth += 1
            if depth == 1 and char == "{":
                expecting_key = True
        elif char in "}]":
            depth -= 1
        elif char == "," and depth == 1:
            expecting_key = True
        i += 1
    return found


def _value_end(text: str, start: int) -> int:
    char = text[start]
    if char == '"':
        return string_end(text, start)
    if char in "{[":
        depth = 0
        i = start
        while True:
            char = text[i]
            if char == '"':
                i = string_end(text, i)
                continue
            if char in "{[":
                depth += 1
            elif char in "}]":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
    i = start
    while i < len(text) and text[i] not in ",}] \t\r\n":
        i += 1
    return i
