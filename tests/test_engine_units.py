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
    assert init.events == (("super_init", ""), ("call", 0))


def test_positions_are_one_based_and_only_computed_on_demand() -> None:
    source = "class P:\n    @post('x')\n    def x(self):\n        pass\n"
    facts = collect_facts(source, "m", "m.py")
    decorator = facts.class_("P").method("x").decorators[0]
    span = collect_spans(source)[decorator.node]
    assert (span.line, span.column, span.end_line) == (2, 5, 2)


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
