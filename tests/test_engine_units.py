"""Focused tests of the engine's pieces: facts, name resolution, positions, specs."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict

import pytest

from linter import engine
from linter.collect import SyntaxProblem, collect_facts, collect_spans, decode_source
from linter.index import Project, Ref, locate_steamship
from linter.spec import SpecBuilder, clean_path


def write_project(root: Path, files: Dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "steamship.json").write_text("{}", encoding="utf-8")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def project_for(root: Path) -> Project:
    return Project(root, locate_steamship(project_root=root))


# -- facts ---------------------------------------------------------------------------------
def test_imports_are_recorded_with_their_bindings() -> None:
    facts = collect_facts(
        "import a.b\nimport a.b as c\nfrom ..x import y as z\nfrom m import *\n"
        "from __future__ import annotations\n",
        "pkg.mod",
        "pkg/mod.py",
    )
    bound = [(i.local, i.module, i.level, i.name, i.also) for i in facts.imports]
    assert ("a", "a", 0, None, "a.b") in bound
    assert ("c", "a.b", 0, None, None) in bound
    assert ("z", "x", 2, "y", None) in bound
    assert (None, "m", 0, "*", None) in bound
    assert facts.future_annotations


def test_route_methods_signatures_and_calls() -> None:
    source = textwrap.dedent(
        '''
        class P(Base):
            """Doc."""
            USED_MIXIN_CLASSES = [M1, M2]

            def __init__(self, **kw):
                super().__init__(**kw)
                if kw:
                    self.add_mixin(M1(self), permit_overwrite_of_existing_methods=True)

            @post("x", public=True)
            async def x(self, a: int, /, b: "str" = "s", *args, c, **kwargs) -> None:
                """Route doc."""
                self.invoke_later("y", arguments={"a": 1, **kwargs})
        '''
    )
    facts = collect_facts(source, "m", "m.py")
    cls = facts.class_("P")
    assert cls is not None and cls.doc == "Doc." and [b.dotted for b in cls.bases] == ["Base"]
    assert [i.dotted for i in cls.assign("USED_MIXIN_CLASSES").value.items] == ["M1", "M2"]
    route = cls.method("x")
    assert route.is_async and route.doc == "Route doc." and route.returns.kind == "none"
    assert [(p.name, p.kind) for p in route.params] == [
        ("self", "posonly"), ("a", "posonly"), ("b", "normal"), ("args", "vararg"),
        ("c", "kwonly"), ("kwargs", "varkw"),
    ]
    decorator = route.decorators[0]
    assert decorator.dotted == "post" and decorator.items[0].value == "x"
    assert decorator.keyword("public").value is True
    add, invoke = facts.calls
    assert add.method == "add_mixin" and add.conditional and add.function_qualname == "P.__init__"
    assert add.call.keyword("permit_overwrite_of_existing_methods").value is True
    assert invoke.receiver.dotted == "self" and invoke.class_qualname == "P"
    assert invoke.call.keyword("arguments").entries[1][0] is None  # the ** splat
    init = cls.method("__init__")
    (kind, super_call), call_event = init.events
    assert (kind, call_event) == ("super_init", ("call", 0))
    assert super_call.kind == "call" and super_call.keywords[0][0] is None  # the **kw splat
    assert super_call.keywords[0][1].dotted == "kw"


def test_positions_are_one_based_and_only_computed_on_demand() -> None:
    source = "class P:\n    @post('x')\n    def x(self):\n        pass\n"
    facts = collect_facts(source, "m", "m.py")
    decorator = facts.class_("P").method("x").decorators[0]
    span = collect_spans(source)[decorator.node]
    assert (span.line, span.column, span.end_line) == (2, 5, 2)


def test_positions_are_libcsts_position_provider_positions() -> None:
    """collect_spans asks the provider directly (no MetadataWrapper pass): same positions."""
    import libcst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from linter.collect import _positions

    here = Path(__file__).parent
    sources = sorted((here / "fixtures").rglob("*.py")) + [here.parent / "linter" / "checker.py"]
    compared = 0
    for path in sources:
        try:
            module = libcst.parse_module(path.read_text(encoding="utf-8"))
        except libcst.ParserSyntaxError:
            continue
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        assert dict(_positions(module)) == dict(expected), path
        compared += 1
    assert compared > 50


def test_positions_of_some_nodes_are_those_of_all_nodes() -> None:
    """collect_node_spans stops generating code after the last wanted node and records only
    what those need: the same positions as collect_spans, for any choice of nodes."""
    import random

    from linter.collect import collect_node_spans

    here = Path(__file__).parent
    draw = random.Random(7)
    compared = 0
    for path in sorted((here / "fixtures").rglob("*.py")) + [here.parent / "examples" / "support_bot" / "api.py"]:
        source = path.read_text(encoding="utf-8")
        try:
            spans = collect_spans(source)
        except SyntaxProblem:
            continue
        everything = list(range(len(spans) + 2))
        for wanted in (everything, draw.sample(everything, min(3, len(everything))), [len(spans) - 1, -1], []):
            expected = {node: spans[node] if 0 <= node < len(spans) else None for node in wanted}
            assert collect_node_spans(source, wanted) == expected, (path, wanted)
        compared += 1
    assert compared > 50


def test_syntax_and_decoding_problems_are_clear() -> None:
    with pytest.raises(SyntaxProblem) as error:
        collect_facts("def f(:\n", "m", "m.py")
    assert error.value.span is not None and error.value.span.line == 1
    with pytest.raises(SyntaxProblem, match="NUL"):
        decode_source(b"x = 1\x00\n")
    with pytest.raises(SyntaxProblem, match="decode"):
        decode_source(b"x = '\xff'\n")
    assert decode_source(b"\xef\xbb\xbfx = 1\n") == "x = 1\n"
    assert decode_source(b"# -*- coding: latin-1 -*-\nx = '\xe9'\n").endswith("'\u00e9'\n")


def test_clean_path_matches_the_runtime() -> None:
    assert [clean_path(p) for p in ("", "x", "/x", "//x", "y/")] == ["/", "/x", "/x", "/x", "/y/"]


# -- resolution ----------------------------------------------------------------------------
def test_names_resolve_through_imports_aliases_and_reexports(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p",
        {
            "app/__init__.py": "from .core import Service as PublicService\n",
            "app/core.py": "from steamship.invocable import post as route\nclass Service: pass\n",
            "app/deep/__init__.py": "",
            "app/deep/user.py": (
                "from ..core import route\nfrom app import PublicService\n"
                "import steamship.invocable as inv\nfrom app.core import *\n"
            ),
        },
    )
    project = project_for(root)
    module = project.load_path(root / "app/deep/user.py")
    assert module.name == "app.deep.user"
    assert project.resolve(module, "route") == Ref("function", "steamship.invocable.invocable", "post")
    assert project.resolve(module, "inv.get") == Ref("function", "steamship.invocable.invocable", "get")
    assert project.resolve(module, "PublicService") == Ref("class", "app.core", "Service")
    assert project.resolve(module, "Service") == Ref("class", "app.core", "Service")
    assert project.resolve(module, "nowhere") is None


def test_own_class_named_agentservice_is_not_steamships(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p",
        {
            "base.py": "class AgentService:\n    pass\n",
            "api.py": (
                "from base import AgentService\nfrom steamship.invocable import post\n"
                "class Bot(AgentService):\n    @post('x')\n    def x(self) -> str: ...\n"
            ),
        },
    )
    specs, _, _ = engine.package_specs([root], "class")
    assert specs == {}


def test_import_and_inheritance_cycles_terminate(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p",
        {
            "a.py": "from b import B\nfrom steamship.invocable import PackageService\nclass A(B, PackageService): pass\n",
            "b.py": "from a import A\nclass B(A): pass\n",
        },
    )
    project = project_for(root)
    module = project.load_path(root / "a.py")
    ref = project.resolve(module, "A")
    mro, complete = project.mro(ref)
    assert mro[0] == ref and not complete
    spec = SpecBuilder(project).class_spec(ref)  # must return, not recurse forever
    assert spec is not None and not spec.complete  # the cycle leaves the hierarchy unknown


def test_src_layout_modules_import_each_other_as_top_level(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p",
        {
            "src/pkg/__init__.py": "",
            "src/pkg/base.py": (
                "from steamship.invocable import PackageService, post\n"
                "class Base(PackageService):\n    @post('b')\n    def b(self) -> int: ...\n"
            ),
            "src/pkg/api.py": "from pkg.base import Base\nclass Api(Base): pass\n",
        },
    )
    specs, _, _ = engine.package_specs([root], "class")
    assert set(specs) == {"pkg.base.Base", "pkg.api.Api"}
    methods = {(m["verb"], m["path"], m["className"]) for m in specs["pkg.api.Api"].to_dict()["methods"]}
    assert ("POST", "/b", "Api") in methods


# -- check_source: flake8's per-file entry point -------------------------------------------
PLUGIN_PACKAGE = Path(__file__).resolve().parent / "plugin_data" / "mixin_conflict"


def flake8_project(root: Path) -> Path:
    """The plugin tests' buggy package, plus files outside pkgcheck's walk (``build/`` is
    excluded by default, flake8 does not exclude it): one in scope through its marks, one only
    through an import, one never."""
    files = {name: (PLUGIN_PACKAGE / name).read_text(encoding="utf-8") for name in ("api.py", "mixins.py")}
    files["build/copy.py"] = files["api.py"]
    files["build/sub.py"] = (
        "from api import Exporter, post\n\n\nclass Sub(Exporter):\n"
        '    @post("a")\n    def a(self) -> str:\n        return ""\n\n'
        '    @post("a")\n    def b(self) -> str:\n        return ""\n'
    )
    files["build/plain.py"] = "import os\n\nVALUE = os.sep\n"
    return write_project(root, files)


FLAKE8_FILES = ("api.py", "mixins.py", "build/copy.py", "build/sub.py", "build/plain.py")


def findings_by_file(root: Path, names, monkeypatch: pytest.MonkeyPatch):
    """check_source over ``names`` in that order, in one fresh process memo."""
    from rules import default_codes

    monkeypatch.setattr(engine, "_MEMO", {})
    result = {}
    for name in names:
        text = (root / name).read_text(encoding="utf-8")
        violations, _ = engine.check_source(root / name, text, default_codes())
        result[name] = [(v.code, v.line, v.column, v.message) for v in violations]
    return result


def test_check_source_does_not_depend_on_the_other_files_or_their_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = flake8_project(tmp_path / "proj")
    forward = findings_by_file(root, FLAKE8_FILES, monkeypatch)
    backward = findings_by_file(root, tuple(reversed(FLAKE8_FILES)), monkeypatch)
    alone = {name: findings_by_file(root, [name], monkeypatch)[name] for name in FLAKE8_FILES}
    assert forward == backward == alone
    codes = {name: {code for code, *_ in found} for name, found in forward.items()}
    assert codes == {
        "api.py": {"SHP301", "SHP303", "SHP401"},
        "mixins.py": set(),
        "build/copy.py": {"SHP301", "SHP303", "SHP401"},  # outside the walk: analysed as named
        "build/sub.py": {"SHP101"},  # in scope only through its import of api
        "build/plain.py": set(),
    }


def test_prepared_analysis_serves_every_file_of_the_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What flake8's main process does before forking: one analysis, reused for each file, and
    for a file outside the walk that cannot be in scope; only a file that can gets its own."""
    from rules import default_codes

    root = flake8_project(tmp_path / "proj")
    want = findings_by_file(root, FLAKE8_FILES, monkeypatch)
    monkeypatch.setattr(engine, "_MEMO", {})
    anchors = engine.project_anchors([root / name for name in FLAKE8_FILES] + [root / "missing.py"])
    assert anchors == {root: root / "api.py"}
    prepared = engine.prepare(root / "api.py", default_codes())
    assert prepared.walked == {root / "api.py", root / "mixins.py"}
    calls = []
    real = engine.analyse

    def counting(project, enabled, excludes, extra_files=(), prefilter=True):
        calls.append([Path(p).relative_to(root).as_posix() for p in extra_files])
        return real(project, enabled, excludes, extra_files, prefilter)

    monkeypatch.setattr(engine, "analyse", counting)
    got = {}
    for name in FLAKE8_FILES:
        violations, analysis = engine.check_source(root / name, (root / name).read_text(encoding="utf-8"), default_codes())
        got[name] = [(v.code, v.line, v.column, v.message) for v in violations]
        if name in ("api.py", "mixins.py", "build/plain.py"):
            assert analysis is prepared, name
    assert got == want
    assert sorted(calls) == [["build/copy.py"], ["build/sub.py"]]


def test_check_source_with_unsaved_text_is_not_memoised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rules import default_codes

    root = flake8_project(tmp_path / "proj")
    monkeypatch.setattr(engine, "_MEMO", {})
    text = "# edited\n" + (root / "api.py").read_text(encoding="utf-8")
    violations, _ = engine.check_source(root / "api.py", text, default_codes())
    assert {(v.code, v.line) for v in violations} == {("SHP301", 9), ("SHP303", 9), ("SHP401", 20)}
    assert engine._MEMO == {}
    on_disk, _ = engine.check_source(root / "api.py", text[len("# edited\n"):], default_codes())
    assert {(v.code, v.line) for v in on_disk} == {("SHP301", 8), ("SHP303", 8), ("SHP401", 19)}
    assert len(engine._MEMO) == 1


def test_serial_loads_refuses_what_decode_refuses() -> None:
    """The one-pass decoder takes the same closed set of records as ``serial.decode``."""
    import json

    from linter import serial

    for bad in (
        {"@": "os.system", "v": []},
        {"@": "Span", "v": [1, 2, 3]},
        {"@": "Span", "v": "1,1,1,1"},
        {"v": [1]},
    ):
        with pytest.raises(serial.FormatError):
            serial.decode(bad)
        with pytest.raises(serial.FormatError):
            serial.loads(json.dumps(bad))
    assert serial.loads('{"@": "Span", "v": [1, 2, 3, 4]}') == serial.decode(
        {"@": "Span", "v": [1, 2, 3, 4]}
    )
