"""Autofix: each fix on a temp copy of a small package, formatting kept, idempotent, safe writes."""

from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path
from typing import List, Set, Tuple

import pytest

import linter.fix
from linter import engine
from linter.checker import Violation
from linter.fix import fix_files, string_literal
from rules import default_codes

SHOP = '''\
"""A shop."""
from steamship.invocable import PackageService, get, post


class Base(PackageService):
    @post("/greet")
    def greet(self) -> str:
        return "hello"


class Shop(Base):
    """Sells things."""

    @post('greet')  # the override: SHP103
    def greet_politely(self) -> str:
        return "good day"

    @get("status/")   # trailing slash: SHP108
    def status(self) -> str:
        return "ok"

    @get("items")
    def items(self) -> list:
        return []

    @get("items/")  # SHP108, but /items is taken: left alone
    def items_slash(self) -> list:
        return []

    @get( "report" )
    def build_report(self) -> str:
        return "report"

    @post("index_file")
    def index(self, file_id: str) -> str:
        return file_id

    @post("nightly")
    def nightly(self) -> str:
        # schedule the report
        self.invoke_later("report", verb="GET")  # SHP404
        self.invoke_later(
            "index_fle",   # typo: SHP401
            arguments={"file_id": "x"},
        )
        return "scheduled"
'''

FIXED = (
    SHOP.replace(
        "from steamship.invocable import PackageService, get, post\n",
        "from steamship.invocable import PackageService, get, post\n"
        "from steamship.utils.url import Verb\n",
    )
    .replace("@post('greet')  # the override", "@post('/greet')  # the override")
    .replace('@get("status/")   # trailing', '@get("status")   # trailing')
    .replace('verb="GET")  # SHP404', "verb=Verb.GET)  # SHP404")
    .replace('"index_fle",   # typo', '"index_file",   # typo')
)


def make_package(tmp_path: Path, source: str = SHOP, name: str = "shop") -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "steamship.json").write_text("{}", encoding="utf-8")
    (root / "api.py").write_text(source, encoding="utf-8")
    return root


def check(root: Path) -> List[Violation]:
    return engine.check([root], default_codes()).violations


def codes(violations: List[Violation]) -> Set[Tuple[str, int]]:
    return {(v.code, v.line) for v in violations}


def test_every_fix_keeps_formatting_and_comments(tmp_path: Path) -> None:
    root = make_package(tmp_path)
    before = check(root)
    assert codes(before) == {
        ("SHP103", 14),
        ("SHP108", 18),
        ("SHP108", 26),
        ("SHP404", 41),
        ("SHP401", 42),
    }
    result = fix_files([root], before, unsafe=True, write=True)
    assert (root / "api.py").read_text(encoding="utf-8") == FIXED
    assert {v.code for v in result.fixed} == {"SHP103", "SHP108", "SHP404", "SHP401"}
    assert [(v.line, why) for v, why in result.skipped] == [
        (26, "another route of Shop already uses /items")
    ]
    assert result.refused == []
    assert [f.written for f in result.files] == [True]
    # the re-check: what was fixed is gone; only the refused trailing slash is left
    after = check(root)
    assert codes(after) == {("SHP108", 27)}
    # idempotent: a second pass changes nothing, with the new findings or the stale ones
    for violations in (after, before):
        again = fix_files([root], violations, unsafe=True, write=True)
        assert again.files == [] and again.fixed == []
        assert (root / "api.py").read_text(encoding="utf-8") == FIXED


def test_unsafe_fixes_need_the_flag(tmp_path: Path) -> None:
    root = make_package(tmp_path)
    result = fix_files([root], check(root), unsafe=False, write=True)
    assert {v.code for v in result.fixed} == {"SHP103", "SHP108", "SHP404"}
    skipped = {v.code: why for v, why in result.skipped}
    assert "--unsafe-fixes" in skipped["SHP401"]
    assert [v.code for v in result.needs_unsafe] == ["SHP401"]
    text = (root / "api.py").read_text(encoding="utf-8")
    assert '"index_fle"' in text and "verb=Verb.GET" in text
    assert codes(check(root)) == {("SHP108", 27), ("SHP401", 43)}


def test_diff_mode_writes_nothing(tmp_path: Path) -> None:
    root = make_package(tmp_path)
    original = (root / "api.py").read_bytes()
    result = fix_files([root], check(root), unsafe=True, write=False)
    assert (root / "api.py").read_bytes() == original
    assert [f.written for f in result.files] == [False]
    assert len(result.fixed) == 4
    diff = result.diff
    assert diff.startswith("--- a/") and "+++ b/" in diff
    assert (
        "-    @post('greet')  # the override: SHP103\n"
        "+    @post('/greet')  # the override: SHP103\n" in diff
    )
    assert "+from steamship.utils.url import Verb\n" in diff
    assert list(tmp_path.rglob("*.pkgcheck-fix")) == []


def test_a_file_changed_on_disk_is_refused_and_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_package(tmp_path)
    violations = check(root)
    edited = SHOP + "# edited by someone else meanwhile\n"
    real = linter.fix.apply_edits

    def apply_then_edit(source: bytes, edits: list) -> tuple:
        outcome = real(source, edits)
        (root / "api.py").write_text(edited, encoding="utf-8")  # between read and write
        return outcome

    monkeypatch.setattr(linter.fix, "apply_edits", apply_then_edit)
    result = fix_files([root], violations, unsafe=True, write=True)
    assert (root / "api.py").read_text(encoding="utf-8") == edited
    assert [(Path(p).name, "changed on disk" in why) for p, why in result.refused] == [
        ("api.py", True)
    ]
    assert result.fixed == [] and result.files == []
    assert {p.name for p in root.iterdir()} == {"api.py", "steamship.json"}  # no temporary left


def test_an_unparsable_file_is_refused(tmp_path: Path) -> None:
    root = make_package(tmp_path)
    broken = root / "broken.py"
    source = 'from steamship.invocable import get\n@get("x/"\ndef x(self):\n    pass\n'
    broken.write_text(source, encoding="utf-8")
    fake = Violation("SHP108", "path 'x/' ends with '/'", str(broken), 2, 6, 2, 10)
    result = fix_files([root], [fake], unsafe=True, write=True)
    assert [(Path(p).name, "does not parse" in why) for p, why in result.refused] == [
        ("broken.py", True)
    ]
    assert broken.read_text(encoding="utf-8") == source
    assert result.fixed == []


def test_file_mode_is_kept(tmp_path: Path) -> None:
    root = make_package(tmp_path)
    api = root / "api.py"
    os.chmod(api, 0o640)
    fix_files([root], check(root), unsafe=False, write=True)
    assert stat.S_IMODE(api.stat().st_mode) == 0o640


def test_verb_fix_uses_an_existing_import(tmp_path: Path) -> None:
    source = textwrap.dedent(
        """\
        from steamship.invocable import PackageService, get, post
        from steamship.utils.url import Verb as V


        class Reports(PackageService):
            @get("build")
            def build(self) -> str:
                return ""

            @post("nightly")
            def nightly(self) -> str:
                self.invoke_later("build", verb=("get"))
                return ""
        """
    )
    root = make_package(tmp_path, source)
    violations = check(root)
    assert {v.code for v in violations} == {"SHP404"}
    result = fix_files([root], violations, unsafe=False, write=True)
    assert len(result.fixed) == 1
    assert (root / "api.py").read_text(encoding="utf-8") == source.replace(
        'verb=("get")', "verb=(V.GET)"
    )
    assert check(root) == []


def test_verb_fix_refuses_a_taken_name(tmp_path: Path) -> None:
    source = textwrap.dedent(
        """\
        from steamship.invocable import PackageService, get, post

        Verb = "not steamship's"


        class Reports(PackageService):
            @get("build")
            def build(self) -> str:
                return ""

            @post("nightly")
            def nightly(self) -> str:
                self.invoke_later("build", verb="GET")
                return ""
        """
    )
    root = make_package(tmp_path, source)
    result = fix_files([root], check(root), unsafe=True, write=True)
    assert result.fixed == []
    assert [why for _, why in result.skipped] == [
        "the name Verb is bound to something else in this module"
    ]
    assert (root / "api.py").read_text(encoding="utf-8") == source


def test_only_violations_in_the_given_paths_are_fixed(tmp_path: Path) -> None:
    root = make_package(tmp_path)
    result = fix_files([root / "elsewhere.py"], check(root), unsafe=True, write=True)
    assert result.fixed == [] and result.skipped == []
    assert (root / "api.py").read_text(encoding="utf-8") == SHOP


@pytest.mark.parametrize(
    "value, prefix, quote, expected",
    [
        ("/greet", "", "'", "'/greet'"),
        ("/greet", "", '"', '"/greet"'),
        ("it's", "", "'", "'it\\'s'"),
        ("a\tb", "u", '"', 'u"a\\tb"'),
        ("x", "", '"""', '"""x"""'),
        ("x", "r", '"', None),
        ("x", "b", '"', None),
    ],
)
def test_string_literal_keeps_the_quote_style(
    value: str, prefix: str, quote: str, expected: object
) -> None:
    assert string_literal(value, prefix, quote) == expected
