"""Autofix: each fix on a temp copy of a small package, formatting kept, idempotent, safe writes."""

from __future__ import annotations

import os
import shutil
import stat
import textwrap
from pathlib import Path
from typing import List, Set, Tuple

import pytest

import linter.tools.fix
from linter.run import engine
from linter.run.checker import Violation
from linter.tools.fix import fix_files, string_literal
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
    real = linter.tools.fix.apply_edits

    def apply_then_edit(source: bytes, edits: list) -> tuple:
        outcome = real(source, edits)
        (root / "api.py").write_text(edited, encoding="utf-8")  # between read and write
        return outcome

    monkeypatch.setattr(linter.tools.fix, "apply_edits", apply_then_edit)
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


# -- SHP401: the unsafe fix takes the rule's own candidate, and only a safe one ----------------

INDEXER = '''\
from steamship.invocable import PackageService, post


class Indexer(PackageService):
    @post("index_file")
    def index(self, file_id: str) -> str:
        return file_id

    @post("/summarize_file")
    def summarize_file(self, file_id: str) -> str:
        return file_id

    @post("get_item")
    def get_item(self, item: str) -> str:
        return item

    @post("get_time")
    def get_time(self, item: str) -> str:
        return item

    @post("summary")
    def summary(self, text: str) -> str:
        return text

    @post("upload")
    def upload(self, file_id: str) -> str:
        {call}
        return file_id
'''


def fix_one_call(tmp_path: Path, call: str) -> Tuple[Violation, object, str]:
    """The SHP401 finding for ``call`` (inside the upload route), the unsafe fix's outcome —
    an applied fix or the reason it was skipped — and the file afterwards."""
    root = make_package(tmp_path, INDEXER.format(call=call))
    (finding,) = [v for v in check(root) if v.code == "SHP401"]
    result = fix_files([root], [finding], unsafe=True, write=True)
    assert result.refused == []
    outcome = result.skipped[0][1] if result.skipped else result.fixed
    return finding, outcome, (root / "api.py").read_text(encoding="utf-8")


def test_unsafe_route_fix_takes_the_route_the_hint_names(tmp_path: Path) -> None:
    # "/index_file" is close too (0.64), but "/summarize_file" is far closer (0.97)
    call = 'self.invoke_later("/sumarize_file", arguments={"file_id": file_id})'
    finding, outcome, text = fix_one_call(tmp_path, call)
    assert "did you mean 'summarize_file'?" in finding.message
    assert outcome == [finding]
    assert call.replace("/sumarize_file", "/summarize_file") in text  # the leading / kept
    assert [v.code for v in check(tmp_path / "shop")] == []


def test_unsafe_route_fix_refuses_several_candidates(tmp_path: Path) -> None:
    call = 'self.invoke_later("get_itme", arguments={"item": file_id})'
    finding, outcome, text = fix_one_call(tmp_path, call)
    assert "did you mean 'get_item' or 'get_time'?" in finding.message
    assert outcome == "2 candidate routes (/get_item, /get_time)"
    assert text == INDEXER.format(call=call)


@pytest.mark.parametrize(
    "arguments, problem",
    [
        ('{"file_id": file_id}', "include 'file_id', not a parameter"),
        ("{}", "lack 'text', a required parameter"),
    ],
)
def test_unsafe_route_fix_refuses_arguments_the_route_does_not_take(
    tmp_path: Path, arguments: str, problem: str
) -> None:
    call = f'self.invoke_later("sumary", arguments={arguments})'
    finding, outcome, text = fix_one_call(tmp_path, call)
    assert "did you mean 'summary'?" in finding.message
    assert outcome == f"the arguments for POST /summary would {problem} of summary"
    assert text == INDEXER.format(call=call)


def test_unsafe_route_fix_with_unknown_arguments_is_made(tmp_path: Path) -> None:
    """Arguments pkgcheck cannot see cannot be checked: the spelling is fixed."""
    call = 'self.invoke_later("sumary", arguments=self.payload())'
    finding, outcome, text = fix_one_call(tmp_path, call)
    assert outcome == [finding]
    assert call.replace("sumary", "summary") in text


def test_unsafe_route_fix_never_schedules_the_route_it_is_in(tmp_path: Path) -> None:
    call = 'self.invoke_later("cleanup_uploads", arguments={"file_id": file_id})'
    finding, outcome, text = fix_one_call(tmp_path, call)
    assert outcome == (
        "POST /upload is the route this call is in, and a route scheduling itself is no "
        "spelling fix"
    )
    assert text == INDEXER.format(call=call)


def test_unsafe_route_fix_refuses_another_verb(tmp_path: Path) -> None:
    source = INDEXER.replace('@post("summary")', '@get("summary")').replace(
        "from steamship.invocable import PackageService, post",
        "from steamship.invocable import PackageService, get, post",
    )
    root = make_package(tmp_path, source.format(call='self.invoke_later("sumary")'))
    (finding,) = [v for v in check(root) if v.code == "SHP401"]
    result = fix_files([root], [finding], unsafe=True, write=True)
    assert result.fixed == []
    assert [why for _, why in result.skipped] == ["Indexer has no POST /summary"]


def test_unsafe_route_fixes_on_the_fixtures(tmp_path: Path) -> None:
    """The audit's cases: only the Python method name and the clear typo are fixed."""
    fixtures = Path(__file__).parent / "fixtures"
    reasons = {}
    for name in ("shp401_unknown_route", "shp401_own_agentservice"):
        root = tmp_path / name
        shutil.copytree(fixtures / name, root)
        result = fix_files([root], check(root), unsafe=True, write=True)
        reasons.update({(name, v.line): why for v, why in result.skipped})
    api = (tmp_path / "shp401_unknown_route" / "api.py").read_text(encoding="utf-8")
    assert 'self.invoke_later("index_file", arguments' in api
    assert 'self.invoke_later("/summarize_file", arguments' in api
    assert '"cleanup_uploads",' in api
    assert "route this call is in" in reasons[("shp401_unknown_route", 21)]
    handoff = tmp_path / "shp401_own_agentservice" / "agents" / "handoff.py"
    original = fixtures / "shp401_own_agentservice" / "agents" / "handoff.py"
    assert handoff.read_bytes() == original.read_bytes()
    # /handoff_prompt is the route the call is in, and takes message, not prompt
    assert "route this call is in" in reasons[("shp401_own_agentservice", 21)]


# -- the re-check before writing: no fix may add a finding ------------------------------------


def test_a_fix_that_would_add_a_finding_is_not_made(tmp_path: Path) -> None:
    """verb="GET" on a POST route: Verb.GET would turn the SHP404 into an SHP402."""
    source = textwrap.dedent(
        """\
        from steamship.invocable import PackageService, post
        from steamship.utils.url import Verb


        class Reports(PackageService):
            @post("build")
            def build(self) -> str:
                return ""

            @post("nightly")
            def nightly(self) -> str:
                self.invoke_later("build", verb="GET")
                return ""
        """
    )
    root = make_package(tmp_path, source)
    violations = check(root)
    assert codes(violations) == {("SHP404", 12)}
    result = fix_files([root], violations, unsafe=True, write=True)
    assert result.fixed == [] and result.files == []
    ((violation, reason),) = result.declined
    assert violation.code == "SHP404"
    assert reason.startswith("it would add SHP402 at line 12 of api.py: ")
    assert (root / "api.py").read_text(encoding="utf-8") == source


def test_fixes_that_only_clash_together_are_not_made(tmp_path: Path) -> None:
    """Each fix alone is clean; both would make two routes /items (SHP101)."""
    source = textwrap.dedent(
        """\
        from steamship.invocable import PackageService, post


        class Store(PackageService):
            @post("items/")
            def add(self) -> str:
                return ""

            @post("items ")
            def remove(self) -> str:
                return ""
        """
    )
    root = make_package(tmp_path, source)
    violations = check(root)
    assert codes(violations) == {("SHP108", 5), ("SHP108", 9)}
    result = fix_files([root], violations, unsafe=False, write=True)
    assert result.fixed == []
    assert [(v.line, why.split(":")[0]) for v, why in result.declined] == [
        (5, "together with the other fixes, it would add SHP101 at line 9 of api.py"),
        (9, "together with the other fixes, it would add SHP101 at line 9 of api.py"),
    ]
    assert (root / "api.py").read_text(encoding="utf-8") == source


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
@pytest.mark.parametrize("where", ["inside", "outside"])
def test_a_symbolic_link_is_never_written_through_nor_replaced(tmp_path: Path, where: str) -> None:
    """pkgcheck does not follow links (docs/SECURITY.md): it refuses the file, the link stays a
    link and its target is untouched, in the project or out of it."""
    root = make_package(tmp_path)
    real = (root / "real.py") if where == "inside" else (tmp_path / "elsewhere" / "real.py")
    real.parent.mkdir(exist_ok=True)
    os.replace(root / "api.py", real)
    link = root / "api.py"
    link.symlink_to(os.path.relpath(real, root))
    violations = [v for v in check(root) if Path(v.path) == link]
    assert violations  # the link's findings are reported under its name
    for write in (True, False):
        result = fix_files([link], violations, unsafe=True, write=write)
        assert result.fixed == [] and result.files == [] and result.diff == ""
        assert [(Path(p).name, why) for p, why in result.refused] == [
            ("api.py", f"it is a symbolic link to {os.readlink(link)}; pkgcheck does not write "
             "through links: fix the file it points to")
        ]  # fmt: skip
        assert link.is_symlink()
        assert real.read_text(encoding="utf-8") == SHOP


def test_commit_refuses_a_file_that_became_a_link(tmp_path: Path) -> None:
    """The last look before the swap: a link put in the file's place is not replaced."""
    target = tmp_path / "target.py"
    target.write_text("x = 'a'\n", encoding="utf-8")
    link = tmp_path / "api.py"
    link.symlink_to("target.py")
    refusal = linter.tools.fix.commit(link, b"x = 'a'\n", b"x = 'b'\n")
    assert refusal is not None and "symbolic link" in refusal
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "x = 'a'\n"


DUPLICATE_ROUTE = '''\
from steamship.invocable import PackageService, post


class Svc(PackageService):
    @post("a")
    def a(self) -> str:
        return "a"

    @post("/a")
    def b(self) -> str:
        return "b"
'''


def test_a_link_with_nothing_to_fix_is_not_mentioned(tmp_path: Path) -> None:
    root = make_package(tmp_path, DUPLICATE_ROUTE)
    os.replace(root / "api.py", root / "real.py")
    (root / "api.py").symlink_to("real.py")
    violations = [v for v in check(root) if Path(v.path).name == "api.py"]
    assert [v.code for v in violations] == ["SHP101"]  # no automatic fix
    result = fix_files([root / "api.py"], violations, unsafe=True, write=True)
    assert result.refused == [] and result.fixed == []


def test_a_method_name_of_two_routes_is_named_twice_and_not_fixed(tmp_path: Path) -> None:
    """A mixin's method of the same name serves another path."""
    source = INDEXER.replace(
        "class Indexer(PackageService):\n",
        "class Extra(PackageMixin):\n"
        '    @post("index_v2")\n'
        "    def index(self, file_id: str) -> str:\n"
        "        return file_id\n\n\n"
        "class Indexer(PackageService):\n"
        "    USED_MIXIN_CLASSES = [Extra]\n\n"
        "    def __init__(self, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.add_mixin(Extra())\n\n",
    ).replace(
        "from steamship.invocable import PackageService, post\n",
        "from steamship.invocable import PackageService, post\n"
        "from steamship.invocable.package_mixin import PackageMixin\n",
    )
    call = 'self.invoke_later("index", arguments={"file_id": file_id})'
    root = make_package(tmp_path, source.format(call=call))
    (finding,) = [v for v in check(root) if v.code == "SHP401"]
    assert (
        "; index is the Python method of POST /index_file and POST /index_v2: invoke_later "
        "takes the path, 'index_file' or 'index_v2')" in finding.message
    )
    result = fix_files([root], [finding], unsafe=True, write=True)
    assert [why for _, why in result.declined] == ["2 candidate routes (/index_file, /index_v2)"]
