"""Each rule's docstring is its documentation and its test: the ``## Example`` block must fire
the rule and the ``## Use instead`` block must be clean of it. docs/rules.md must be current.

A section may add a ```json block (the project's ``steamship.json``, else the bare marker
``{}``) and a ```requirements block (its ``requirements.txt``, which picks the release)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import pytest

from linter.frontends import docs

from linter.run import engine
from rules import load_all

REGISTRY = load_all()
BLOCK = re.compile(r"```python\n(.*?)```", re.S)
EXTRA = re.compile(r"```(json|requirements)\n(.*?)```", re.S)


def section(doc: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", doc, re.S | re.M)
    assert match, f"no '## {title}' section"
    blocks = BLOCK.findall(match.group(1))
    assert len(blocks) == 1, f"'## {title}' needs exactly one python block"
    return blocks[0]


def extras(doc: str, title: str) -> dict:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", doc, re.S | re.M)
    assert match
    return dict(EXTRA.findall(match.group(1)))


def run(tmp_path: Path, code: str, source: str, extra: Optional[dict] = None):
    root = tmp_path / code.lower()
    root.mkdir()
    extra = extra or {}
    (root / "steamship.json").write_text(extra.get("json", "{}"), encoding="utf-8")
    if "requirements" in extra:
        (root / "requirements.txt").write_text(extra["requirements"], encoding="utf-8")
    (root / "api.py").write_text(source, encoding="utf-8")
    report = engine.check([root], [code])
    assert not report.internal_errors, report.internal_errors
    codes = [v.code for v in report.violations]
    if report.failures:
        codes.append("SHP001")
    return codes


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_docstring_example_fires(tmp_path: Path, code: str) -> None:
    doc = REGISTRY[code].documentation()
    assert code in run(tmp_path, code, section(doc, "Example"), extras(doc, "Example"))


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_docstring_use_instead_is_clean(tmp_path: Path, code: str) -> None:
    doc = REGISTRY[code].documentation()
    assert code not in run(tmp_path, code, section(doc, "Use instead"), extras(doc, "Use instead"))


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_docstring_has_the_sections(code: str) -> None:
    doc = REGISTRY[code].documentation()
    for title in ("## Why is this bad?", "## Not reported", "## Example", "## Use instead"):
        assert title in doc
    not_reported = re.search(r"^## Not reported\n(.*?)(?=^## |\Z)", doc, re.S | re.M)
    assert not_reported and not_reported.group(1).strip(), "say what the rule deliberately does not report"
    assert doc.index("## Why is this bad?") < doc.index("## Not reported") < doc.index("## Example")
    if not code.startswith("SHP0"):  # SHP0xx are pkgcheck's own, not runtime behaviour
        assert "2.17.34" in doc, "name the runtime version the behaviour was observed on"
    message = REGISTRY[code].message
    assert not message.endswith("."), "one clause, no final period"
    assert not message.startswith("SHP")


def test_rules_page_is_current() -> None:
    assert docs.main(["--check"]) == 0, "docs/rules.md is stale: run python -m linter.frontends.docs"
