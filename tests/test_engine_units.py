"""Focused tests of the engine's pieces: facts, name resolution, positions, specs."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict

import pytest

from linter.run import engine
from linter.source.collect import collect_facts, collect_spans
from linter.source.parse import SyntaxProblem, decode_source
from linter.project.index import Project, Ref
from linter.sdk.locate import locate_steamship
from linter.semantic.builder import SpecBuilder
from linter.semantic.model import clean_path


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

    from linter.source.positions import positions_of

    here = Path(__file__).parent
    sources = sorted((here / "fixtures").rglob("*.py")) + [here.parent / "linter" / "run" / "checker.py"]
    compared = 0
    for path in sources:
        try:
            module = libcst.parse_module(path.read_text(encoding="utf-8"))
        except libcst.ParserSyntaxError:
            continue
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        assert dict(positions_of(module)) == dict(expected), path
        compared += 1
    assert compared > 50


def test_positions_of_some_nodes_are_those_of_all_nodes() -> None:
    """collect_node_spans stops generating code after the last wanted node and records only
    what those need: the same positions as collect_spans, for any choice of nodes."""
    import random

    from linter.source.collect import collect_node_spans

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


def test_the_tree_kept_from_collecting_facts_gives_the_same_facts_and_positions() -> None:
    """A project keeps the trees it parsed in this process and takes positions from them
    (no second parse): the facts are those of collect_facts, the node ids the same."""
    from linter.source.collect import collect_facts_and_tree
    from linter.source.positions import node_spans

    here = Path(__file__).parent
    compared = 0
    for path in sorted((here / "fixtures").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        try:
            spans = collect_spans(source)
        except SyntaxProblem:
            continue
        facts, tree = collect_facts_and_tree(source, "m", str(path))
        assert facts == collect_facts(source, "m", str(path)), path
        wanted = list(range(len(spans)))
        assert node_spans(tree, wanted) == dict(zip(wanted, spans)), path
        compared += 1
    assert compared > 50


def test_positions_come_from_the_kept_tree_within_the_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linter.source import collect
    from linter.project import loader
    from linter.run.engine import open_project

    (tmp_path / "steamship.json").write_text("{}", encoding="utf-8")
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text("import steamship\nx = steamship.Steamship()\n", encoding="utf-8")
    monkeypatch.setattr(loader, "TREE_BUDGET", len((tmp_path / "a.py").read_text()))
    project = open_project([tmp_path])
    first, second = (project.load_path(tmp_path / name) for name in ("a.py", "b.py"))
    assert project.parsed_here(first) and not project.parsed_here(second)  # over the budget
    parses = []
    monkeypatch.setattr(collect, "parse_module", lambda source: parses.append(source) or 1 / 0)
    project.place(first, [0, 1])
    assert parses == [] and project.span(first, 1) is not None


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
            "a.py": (
                "from b import B\nfrom steamship.invocable import PackageService\n"
                "class A(B, PackageService): pass\n"
            ),
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


# -- instance level: mixins that add mixins ------------------------------------------------
MIXIN_HEADER = """\
from steamship.invocable import PackageService, post
from steamship.invocable.package_mixin import PackageMixin

"""


def leaf_mixins(*names: str) -> str:
    template = "class {cls}(PackageMixin):\n    @post('{name}')\n    def {name}(self) -> str: ...\n"
    return "".join(template.format(cls=name.title(), name=name) for name in names)


def instance_paths(tmp_path: Path, body: str):
    root = write_project(tmp_path / "p", {"api.py": MIXIN_HEADER + textwrap.dedent(body)})
    specs, _, _ = engine.package_specs([root], "instance")
    reserved = {"/__dir__", "/__instance_init__"}
    return {
        key: ({m["path"] for m in spec.to_dict()["methods"]} - reserved, spec.notes)
        for key, spec in specs.items()
    }


def test_nested_mixins_are_followed_at_any_depth(tmp_path: Path) -> None:
    """Each level hands the package on differently: positionally, by keyword, from an
    attribute, through a local name, through a helper's parameter."""
    specs = instance_paths(
        tmp_path,
        leaf_mixins("l5")
        + """
class L4(PackageMixin):
    def __init__(self, host):
        self._install(host)

    def _install(self, target):
        target.add_mixin(L5())

    @post("l4")
    def l4(self) -> str: ...

class L3(PackageMixin):
    def __init__(self, package):
        pkg = package
        pkg.add_mixin(L4(pkg))

    @post("l3")
    def l3(self) -> str: ...

class L2(PackageMixin):
    def __init__(self, invocable):
        self.invocable = invocable
        self.invocable.add_mixin(L3(package=self.invocable))

    @post("l2")
    def l2(self) -> str: ...

class L1(PackageMixin):
    def __init__(self, client, invocable):
        invocable.add_mixin(L2(invocable))

    @post("l1")
    def l1(self) -> str: ...

class P(PackageService):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_mixin(L1(None, self))
""",
    )
    assert specs["api.P"] == ({"/l1", "/l2", "/l3", "/l4", "/l5"}, [])


def test_base_init_gets_the_call_arguments(tmp_path: Path) -> None:
    """super().__init__ and Base.__init__(self, ...) bind the base's parameters as Python does,
    *args/**kwargs forwarded included; an attribute the base sets is the package afterwards."""
    specs = instance_paths(
        tmp_path,
        leaf_mixins("a", "b", "c", "d")
        + """
class Base(PackageMixin):
    def __init__(self, client, invocable=None, *, extra=None):
        self.invocable = invocable
        self.invocable.add_mixin(A())
        if extra is not None:
            extra.add_mixin(D())

class Forwarding(Base):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.invocable.add_mixin(B())

class Explicit(Base):
    def __init__(self, invocable, other):
        Base.__init__(self, None, invocable, extra=other)
        invocable.add_mixin(C())

class ByPosition(PackageService):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_mixin(Forwarding(None, self))

class ByKeyword(PackageService):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_mixin(Forwarding(None, invocable=self))

class ByBase(PackageService):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_mixin(Explicit(self, None))
""",
    )
    assert specs["api.ByPosition"] == ({"/a", "/b"}, [])
    assert specs["api.ByKeyword"] == ({"/a", "/b"}, [])
    assert specs["api.ByBase"] == ({"/a", "/c"}, [])


def test_objects_built_before_they_are_added_or_never_added(tmp_path: Path) -> None:
    """``m = M(self)`` runs M.__init__ where it stands (once: ``add_mixin(m)`` then only scans
    M), and a helper object handed the package adds mixins though it is never added itself."""
    body = (
        leaf_mixins("a", "b")
        + """
class M(PackageMixin):
    def __init__(self, invocable):
        invocable.add_mixin(A())

    @post("m")
    def m(self) -> str: ...

class Installer:
    def __init__(self, invocable):
        self.invocable = invocable
        self.invocable.add_mixin(B())

class P(PackageService):
    USED_MIXIN_CLASSES = [A, B, M]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        mixin = M(self)
        self.add_mixin(mixin)
        self.installer = Installer(self)
"""
    )
    root = write_project(tmp_path / "p", {"api.py": MIXIN_HEADER + body})
    specs, _, _ = engine.package_specs([root], "instance")
    spec = specs["api.P"]
    assert [use.mixin.qualname for use in spec.mixin_uses] == ["A", "M", "B"]
    assert spec.notes == []
    report = engine.check([root], {"SHP303", "SHP305"})
    assert [v.code for v in report.violations] == []


def test_mixins_constructing_each_other_terminate(tmp_path: Path) -> None:
    """Ping builds Pong builds Ping (until depth runs out); Self.__init__ calls itself (the
    runtime raises RecursionError): the walk stops where it re-enters, and says so."""
    specs = instance_paths(
        tmp_path,
        """
class Ping(PackageMixin):
    def __init__(self, invocable, depth=1):
        if depth:
            invocable.add_mixin(Pong(invocable, depth - 1))

    @post("ping")
    def ping(self) -> str: ...

class Pong(PackageMixin):
    def __init__(self, invocable, depth=1):
        if depth:
            invocable.add_mixin(Ping(invocable, depth - 1))

    @post("pong")
    def pong(self) -> str: ...

class Self(PackageMixin):
    def __init__(self, invocable):
        Self.__init__(self, invocable)

class P(PackageService):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_mixin(Ping(self, 2))
        self.add_mixin(Self(self))
""",
    )
    paths, notes = specs["api.P"]
    assert paths == {"/ping", "/pong"}
    assert any("recursion" in note and "Ping.__init__" in note for note in notes)
    assert any("recursion" in note and "Self.__init__" in note for note in notes)


UNCERTAIN_PROJECT = """
class Registry:
    def add_mixin(self, mixin): ...

def traced(f):
    return f

class Base(PackageMixin):
    def __init__(self, invocable):
        invocable.add_mixin(A())

class M(PackageMixin):
    def __init__(self, invocable=None, spare=None):
{init}
{helper}
class P(PackageService):
    USED_MIXIN_CLASSES = [A]
    parts = ()
    options = {{}}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_mixin({construct})

    @post("go")
    def go(self) -> str:
        self.invoke_later("nowhere")
        return ""
"""
INSTALL_HELPER = """
    @traced
    def _install(self, target):
        target.add_mixin(A())
"""


@pytest.mark.parametrize(
    "init, helper, construct",
    [
        # a splat of unknown contents
        ("invocable.add_mixin(A())", "", "M(*self.parts)"),
        ("invocable.add_mixin(A())", "", "M(**self.options)"),
        # a name that holds the package or something else
        (
            "target = invocable\nif spare is not None:\n    target = spare\ntarget.add_mixin(A())",
            "",
            "M(self, Registry())",
        ),
        # a decorated helper: its signature may not be the one written
        ("self._install(invocable)", INSTALL_HELPER, "M(self)"),
        # another object's __init__, handed the package
        ("Base.__init__(Registry(), invocable)", "", "M(self)"),
    ],
    ids=["star-splat", "keyword-splat", "name-either-way", "decorated-helper", "other-init"],
)
def test_what_may_be_the_package_is_a_note_and_keeps_the_rules_quiet(
    tmp_path: Path, init: str, helper: str, construct: str
) -> None:
    body = leaf_mixins("a") + UNCERTAIN_PROJECT.format(
        init=textwrap.indent(init, " " * 8), helper=helper, construct=construct
    )
    root = write_project(tmp_path / "p", {"api.py": MIXIN_HEADER + body})
    specs, _, _ = engine.package_specs([root], "instance")
    assert specs["api.P"].notes, "an argument that may be the package must be a note"
    report = engine.check([root], {"SHP303", "SHP401"})
    assert [v.code for v in report.violations] == []
    assert not report.internal_errors


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
    assert prepared.walked == {str(root / "api.py"), str(root / "mixins.py")}  # the walk, as strings
    calls = []
    real = engine.analyse

    def counting(project, enabled, excludes, extra_files=(), prefilter=True):
        calls.append([Path(p).relative_to(root).as_posix() for p in extra_files])
        return real(project, enabled, excludes, extra_files, prefilter)

    monkeypatch.setattr(engine, "analyse", counting)
    got = {}
    for name in FLAKE8_FILES:
        text = (root / name).read_text(encoding="utf-8")
        violations, analysis = engine.check_source(root / name, text, default_codes())
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

    from linter.source import serial

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


def test_invoke_later_call_errors_are_worded_like_python(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p",
        {
            "api.py": """
                from steamship.invocable import PackageService, post
                from steamship.utils.url import Verb

                class P(PackageService):
                    @post("a")
                    def a(self) -> None:
                        self.invoke_later("a", method="a")
                        self.invoke_later("a", timeout=3)
                        self.invoke_later("a", Verb.POST, None, {}, 10, 20)
            """
        },
    )
    messages = [v.message for v in engine.check([root], ["SHP404"]).violations]
    assert messages == [
        "invoke_later gets two values for method; the call raises TypeError",
        "invoke_later does not take timeout; the call raises TypeError",
        "invoke_later takes at most 5 positional arguments but is given 6; the call raises TypeError",
    ]
