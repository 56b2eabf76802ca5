"""Every fixture's emitted (file, line, code) set equals its ``# expect:`` markers.

Equality, not inclusion: a line without a marker proves the rules stay quiet there. A fixture
enables opt-in rules the way a user would, with ``extend-select`` under ``[tool.pkgcheck]`` in
its own ``pyproject.toml``.

JSON has no comments: findings expected in ``steamship.json`` are listed in the fixture's
``expect.txt``, one ``steamship.json:LINE: CODES`` a line. (A ``steamship.json`` that is the bare root
marker ``{}`` is not checked: see :mod:`linter.run.manifests`.)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Set, Tuple

import pytest

from linter.run import engine
from rules import default_codes, load_all

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FIXTURES = Path(__file__).parent / "fixtures"
#: ``# expect: SHP101`` — or ``# expect[py<3.11]: SHP204`` where the runtime's behaviour depends
#: on the Python version (pkgcheck judges for the interpreter it runs on)
MARKER = re.compile(r"#\s*expect(?:\[py(<|>=)(\d+)\.(\d+)\])?:\s*([A-Z0-9, ]+)")
JSON_MARKER = re.compile(r"^([\w./-]+\.json):(\d+):\s*([A-Z0-9, ]+)$")


def fixture_dirs():
    return sorted(p for p in FIXTURES.iterdir() if p.is_dir())


def expected(root: Path) -> Set[Tuple[str, int, str]]:
    found = set()
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = MARKER.search(line)
            if match:
                operator, major, minor, codes = match.groups()
                if operator is not None:
                    version = (int(major), int(minor))
                    holds = sys.version_info[:2] < version if operator == "<" else sys.version_info[:2] >= version
                    if not holds:
                        continue
                for code in codes.replace(",", " ").split():
                    found.add((path.relative_to(root).as_posix(), number, code))
    listed = root / "expect.txt"
    if listed.is_file():
        for line in listed.read_text(encoding="utf-8").splitlines():
            match = JSON_MARKER.match(line)
            if match:
                for code in match.group(3).replace(",", " ").split():
                    found.add((match.group(1), int(match.group(2)), code))
    return found


def enabled_codes(root: Path):
    codes = set(default_codes())
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        config = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("pkgcheck", {})
        codes.update(config.get("extend-select", []))
    return codes


def emitted(root: Path, prefilter: bool = True) -> Set[Tuple[str, int, str]]:
    report = engine.check([root], enabled_codes(root), prefilter=prefilter)
    result = {
        (Path(v.path).relative_to(root).as_posix(), v.line, v.code) for v in report.violations
    }
    for failure in report.failures:
        line = failure.span.line if failure.span else 1
        result.add((Path(failure.path).relative_to(root).as_posix(), line, "SHP001"))
    assert not report.internal_errors, report.internal_errors
    return result


@pytest.mark.parametrize("root", fixture_dirs(), ids=lambda p: p.name)
def test_fixture_findings_equal_markers(root: Path) -> None:
    got = emitted(root)
    want = expected(root)
    missing = sorted(want - got)
    unexpected = sorted(got - want)
    assert not missing and not unexpected, f"missing: {missing}\nunexpected: {unexpected}"


@pytest.mark.parametrize("root", fixture_dirs(), ids=lambda p: p.name)
def test_prefilter_does_not_change_findings(root: Path) -> None:
    assert emitted(root, prefilter=True) == emitted(root, prefilter=False)


def test_every_rule_has_a_firing_and_a_quiet_fixture() -> None:
    """At least one fixture fires each rule, and at least one fixture that mentions the rule's
    concern stays clean of it (a near-miss)."""
    fired = {}
    for root in fixture_dirs():
        for _, _, code in expected(root):
            fired.setdefault(code, set()).add(root.name)
    registry = load_all()
    missing = [code for code in registry if code not in fired]
    assert not missing, f"rules without a firing fixture: {missing}"
    # the near-miss: a fixture named for the rule and "clean", with the rule switched on and
    # no marker for it (the equality test above proves it stays quiet there)
    quiet = set()
    for root in fixture_dirs():
        if "clean" not in root.name:
            continue
        marked = {code for _, _, code in expected(root)}
        for code in re.findall(r"shp\d{3}", root.name):
            code = code.upper()
            if code in enabled_codes(root) and code not in marked:
                quiet.add(code)
    no_near_miss = [code for code in registry if code not in quiet]
    assert not no_near_miss, f"rules without a clean near-miss fixture: {no_near_miss}"
