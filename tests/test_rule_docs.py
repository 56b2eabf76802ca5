"""Each rule's docstring is its documentation and its test: the ``## Example`` block must fire
the rule and the ``## Use instead`` block must be clean of it. docs/rules.md must be current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linter.frontends import docs

from linter.run import engine
from rules import load_all

REGISTRY = load_all()
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def section(doc: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", doc, re.S | re.M)
    assert match, f"no '## {title}' section"
    blocks = BLOCK.findall(match.group(1))
    assert len(blocks) == 1, f"'## {title}' needs exactly one python block"
    return blocks[0]


def run(tmp_path: Path, code: str, source: str):
    root = tmp_path / code.lower()
    root.mkdir()
    (root / "steamship.json").write_text("{}", encoding="utf-8")
    (root / "api.py").write_text(source, encoding="utf-8")
    report = engine.check([root], [code])
    assert not report.internal_errors, report.internal_errors
    codes = [v.code for v in report.violations]
    if report.failures:
        codes.append("SHP001")
    return codes


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_docstring_example_fires(tmp_path: Path, code: str) -> None:
    source = section(REGISTRY[code].documentation(), "Example")
    assert code in run(tmp_path, code, source)


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_docstring_use_instead_is_clean(tmp_path: Path, code: str) -> None:
    source = section(REGISTRY[code].documentation(), "Use instead")
    assert code not in run(tmp_path, code, source)


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
