"""Every finding names the other place involved as file:line (and SARIF/JSON carry it as a
related location): here the rules whose other place is not a route decorator."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict, List

import pytest

from linter.run import engine

PROJECT = {
    "steamship.json": "{}",
    "app/__init__.py": "",
    "app/mixins.py": '''
        from steamship.invocable import PackageService, get, post
        from steamship.invocable.package_mixin import PackageMixin


        class Reports(PackageMixin):
            def __init__(self, package: PackageService):
                self.package = package

            @get("build_report")
            def build_report(self) -> str:
                return "report"

            @post("nightly")
            def nightly(self) -> str:
                self.package.invoke_later("build_report")
                self.package.invoke_later("only_on_a")
                return "ok"


        class Listed(PackageMixin):
            @post("listed")
            def listed(self) -> str:
                return "listed"
        ''',
    "app/api.py": '''
        from steamship.invocable import PackageService, post

        from app.mixins import Listed, Reports


        class A(PackageService):
            USED_MIXIN_CLASSES = [Reports]

            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.add_mixin(Reports(self))

            @post("only_on_a")
            def only_on_a(self) -> str:
                return "a"


        class B(PackageService):
            USED_MIXIN_CLASSES = [Reports]

            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.add_mixin(Reports(self))
        ''',
}


def run(tmp_path: Path, files: Dict[str, str], codes: List[str]) -> List[engine.Violation]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return engine.check([tmp_path], codes).violations


def line_of(tmp_path: Path, name: str, needle: str) -> int:
    lines = (tmp_path / name).read_text(encoding="utf-8").splitlines()
    return next(number for number, text in enumerate(lines, 1) if needle in text)


def test_shp401_names_the_package_that_lacks_the_route(tmp_path: Path) -> None:
    found = [v for v in run(tmp_path, PROJECT, ["SHP401"]) if v.code == "SHP401"]
    b_line = line_of(tmp_path, "app/api.py", "class B(")
    assert [v.message.split(";")[0] for v in found] == [f"no route POST /only_on_a on B (app/api.py:{b_line})"]
    assert found[0].line == line_of(tmp_path, "app/mixins.py", '"only_on_a"')
    assert [(Path(p).name, line) for p, line, _ in found[0].related] == [("api.py", b_line)]


def test_shp402_names_the_route_with_the_other_verb(tmp_path: Path) -> None:
    found = [v for v in run(tmp_path, PROJECT, ["SHP402"]) if v.code == "SHP402"]
    route_line = line_of(tmp_path, "app/mixins.py", "def build_report")
    # one per package that receives the call, both pointing at the mixin's GET route
    assert {v.message.split(",")[0] for v in found} == {
        f"{package} has /build_report only as GET (app/mixins.py:{route_line})" for package in ("A", "B")
    }


def test_shp303_names_the_init_that_should_add_the_mixin(tmp_path: Path) -> None:
    files = dict(PROJECT)
    files["app/api.py"] = "[Reports, Listed]".join(PROJECT["app/api.py"].rsplit("[Reports]", 1))  # B's list
    found = [v for v in run(tmp_path, files, ["SHP303"]) if v.code == "SHP303"]
    b_init = [n for n, t in enumerate((tmp_path / "app/api.py").read_text().splitlines(), 1) if "def __init__" in t][1]
    assert len(found) == 1
    assert found[0].line == line_of(tmp_path, "app/api.py", "USED_MIXIN_CLASSES = [Reports, Listed]")
    expected = f"Listed is listed for B but no add_mixin reached from its __init__ (app/api.py:{b_init})"
    assert expected in found[0].message


@pytest.mark.parametrize(
    "listed, place",
    [
        # the package's own (empty) list: the place to extend it
        ("    USED_MIXIN_CLASSES = []\n", "USED_MIXIN_CLASSES = []"),
        # no list of its own (steamship's default): the class, where one would be written
        ("", "class A("),
    ],
)
def test_shp308_names_the_list_to_extend(tmp_path: Path, listed: str, place: str) -> None:
    files = dict(PROJECT)
    files["app/api.py"] = PROJECT["app/api.py"].replace("    USED_MIXIN_CLASSES = [Reports]\n", listed, 1)
    found = [v for v in run(tmp_path, files, ["SHP308"]) if v.code == "SHP308"]
    line = line_of(tmp_path, "app/api.py", place)
    assert [v.message.split(";")[0] for v in found] == [
        f"Reports is added but not listed in USED_MIXIN_CLASSES of A (app/api.py:{line})"
    ]


def test_shp303_points_at_the_class_when_its_init_is_steamships(tmp_path: Path) -> None:
    files = dict(PROJECT)
    files["app/api.py"] = '''
        from steamship.invocable import PackageService

        from app.mixins import Listed


        class C(PackageService):
            USED_MIXIN_CLASSES = [Listed]
        '''
    found = [v for v in run(tmp_path, files, ["SHP303"]) if v.code == "SHP303"]
    c_line = line_of(tmp_path, "app/api.py", "class C(")
    assert [v.message.split(" binds")[0] for v in found] == [
        f"Listed is listed for C but no add_mixin reached from its __init__ (app/api.py:{c_line})"
    ]
