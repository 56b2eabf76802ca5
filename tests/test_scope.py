"""The prefilter and the walk, against the plain algorithms they replace.

The prefilter resolves imports backwards from the files in scope, and the walk matches exclude
patterns with one compiled expression; both must decide exactly what the obvious versions
decide (every import of every file resolved; ``fnmatch`` per pattern on the name and the path).
"""

from __future__ import annotations

import fnmatch
import os
import tempfile
from pathlib import Path
from typing import Dict, List, Sequence, Set

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter.run import engine

from linter.project import marks, scope
from linter.project.files import ExcludeMatcher, iter_python_files
from linter.project.index import Project
from linter.sdk.locate import locate_steamship

FEW = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


# -- exclude patterns ----------------------------------------------------------------------
PATTERN_PIECES = st.sampled_from(["*", "?", "[!a]", "[a-c]", "a", "b", ".", "/", "x", "egg", "-"])
NAME_PIECES = st.sampled_from(["a", "b", "c", ".", "x", "egg", "-", "_", "info"])


@FEW
@given(
    st.lists(st.lists(PATTERN_PIECES, min_size=1, max_size=5).map("".join), max_size=4),
    st.lists(st.lists(NAME_PIECES, min_size=1, max_size=4).map("".join), min_size=1, max_size=4),
)
def test_compiled_excludes_match_as_fnmatch_does(patterns: List[str], parts: List[str]) -> None:
    full = "/" + "/".join(parts)
    name = parts[-1]
    expected = any(
        fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(full, pattern) for pattern in patterns
    )
    assert ExcludeMatcher(patterns)(name, full) == expected


def test_default_excludes_prune_the_walk(tmp_path: Path) -> None:
    for relative in ("a.py", "build/b.py", "pkg.egg-info/c.py", "sub/.venv/d.py", "sub/e.py", "notes.txt"):
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n", encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_python_files([tmp_path], engine.DEFAULT_EXCLUDES)]
    assert found == ["a.py", "sub/e.py"]
    anchored = [str(tmp_path / "sub" / "*")]
    assert [p.name for p in iter_python_files([tmp_path], anchored)] == ["a.py", "b.py", "c.py"]


# -- import lines --------------------------------------------------------------------------
LINE_PIECES = st.sampled_from(
    [
        "import", "from", " ", "\t", ".", "..", "a", "b.c", "(", ")", ",", " as ", "#", ";",
        "\n", "\r", "\r\n", "*", "x", "importlib", "\\",
    ]
)  # fmt: skip


@FEW
@given(st.lists(LINE_PIECES, max_size=40).map("".join))
def test_import_lines_are_the_regular_expressions_matches(text: str) -> None:
    data = text.encode("utf-8")
    expected = [(m.span(), m.groups()) for m in marks._IMPORT.finditer(data)]
    assert [(m.span(), m.groups()) for m in marks._import_lines(data)] == expected


# -- the prefilter -------------------------------------------------------------------------
def reference_in_scope(project: Project, files: Sequence[Path]) -> List[Path]:
    """The prefilter's definition, computed the obvious way: every import of every file that
    has no mark is resolved, then the fixpoint of "imports a file in scope"."""
    data: Dict[Path, bytes] = {}
    relevant: Set[Path] = set()
    for path in files:
        try:
            content = project.read_bytes(path)
        except OSError:
            relevant.add(path)
            continue
        data[path] = content
        if b"steamship" in content or b"invoke_later" in content:
            relevant.add(path)
    importers: Dict[Path, List[Path]] = {}
    for path, content in data.items():
        if path in relevant:
            continue
        name, is_package = project.module_name(path)
        for match in marks._IMPORT.finditer(content):
            package = name if is_package else name.rpartition(".")[0]
            for imported in marks._absolute_names([match.groups()], lambda: package):
                found = scope._resolve_file(project, imported, path)
                if found is not None:
                    importers.setdefault(found, []).append(path)
    pending = list(relevant)
    while pending:
        current = pending.pop()
        for importer in importers.get(current, ()):
            if importer not in relevant:
                relevant.add(importer)
                pending.append(importer)
    return [path for path in files if path in relevant]


MODULES = ["a", "b", "api", "base", "pkg/__init__", "pkg/a", "pkg/api", "pkg/sub/__init__",
           "pkg/sub/b", "pkg/sub/api", "plain/a", "plain/c", "src/app/__init__", "src/app/api",
           "src/lib", "données", "pkg/sub/pkg", "plain/plain"]  # fmt: skip
IMPORTS = [
    "import a", "import pkg.a", "import pkg.sub.b as alias", "from pkg import a", "from pkg import api",
    "from pkg.sub import b, api", "from . import a", "from .sub import b", "from .. import api",
    "from .a import thing", "from ..sub.api import Name", "from app import api", "import lib",
    "from base import (Base,", "import c", "from plain import c", "import os, base",
    "    from api import x  # indented", "from a import *", "from steamship import Steamship",
    # relative imports of a name in a package's __init__ (the package's name is not in the text)
    "from . import Name", "from .. import Name", "from ... import Name", "from .sub import Name",
    # names next to characters that are not ASCII: a non-breaking space, a name that is not ASCII
    "import a\u00a0", "from pkg import\tapi\u00a0", "import données", "from . import données",
    "import pkg.sub.pkg", "from plain import plain", "import pkg\u00a0.sub",
]  # fmt: skip


@st.composite
def projects(draw: st.DrawFn) -> Dict[str, str]:
    names = draw(st.lists(st.sampled_from(MODULES), min_size=1, max_size=9, unique=True))
    files = {}
    for name in names:
        lines = draw(st.lists(st.sampled_from(IMPORTS), max_size=3))
        if draw(st.integers(0, 5)) == 0:
            lines.append("def later(p):\n    p.invoke_later('x')")
        files[name + ".py"] = "\n".join(lines) + "\n"
    return files


@FEW
@given(projects(), st.booleans())
def test_prefilter_keeps_what_resolving_every_import_keeps(files: Dict[str, str], marked: bool) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory).resolve()
        if marked:
            (root / "steamship.json").write_text("{}", encoding="utf-8")
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        walked = [Path(os.path.abspath(p)) for p in iter_python_files([root], engine.DEFAULT_EXCLUDES)]
        expected = reference_in_scope(Project(root, locate_steamship(project_root=root)), walked)
        assert scope.in_scope(Project(root, locate_steamship(project_root=root)), walked) == expected
        # the same with the words of every file indexed from the first key on
        searches = scope._Importers.SEARCHES
        scope._Importers.SEARCHES = 0
        try:
            assert scope.in_scope(Project(root, locate_steamship(project_root=root)), walked) == expected
        finally:
            scope._Importers.SEARCHES = searches
        if marked:  # one project root for every file: file by file, the same verdicts
            concerns = marks.Concerns()
            assert [path for path in walked if concerns(path)] == expected


def test_prefilter_follows_imports_back_through_packages(tmp_path: Path) -> None:
    (tmp_path / "steamship.json").write_text("{}", encoding="utf-8")
    files = {
        "bot/__init__.py": "from .mixins import Health\n",
        "bot/mixins.py": "from steamship.invocable import PackageMixin\nclass Health(PackageMixin): pass\n",
        "bot/helpers.py": "import json\n",
        "app.py": "from bot import Health\n",
        "tool.py": "import bot.helpers\n",
        "other.py": "import app as application\n",
        "unrelated.py": "from mixins import Health  # no top-level mixins module\n",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    project = Project(tmp_path, locate_steamship(project_root=tmp_path))
    walked = list(iter_python_files([tmp_path], engine.DEFAULT_EXCLUDES))
    kept = {p.relative_to(tmp_path).as_posix() for p in scope.in_scope(project, walked)}
    # tool.py imports bot.helpers, which resolves to bot/helpers.py, not to the package
    assert kept == {"bot/__init__.py", "bot/mixins.py", "app.py", "other.py"}


def test_relative_imports_reach_a_package_whose_name_they_do_not_spell(tmp_path: Path) -> None:
    (tmp_path / "steamship.json").write_text("{}", encoding="utf-8")
    files = {
        "outer/__init__.py": "def later(p):\n    p.invoke_later('x')\n",
        "outer/inner/__init__.py": "",
        "outer/inner/deep.py": "from .. import later\n",  # outer, outer.later: outer/__init__.py
        "outer/inner/near.py": "from . import deep\n",  # outer.inner.deep: deep.py, in scope through it
        "outer/inner/name.py": "from . import other\n",  # outer.inner(.other): outer/inner/__init__.py
        "other/__init__.py": "",
        "other/outer.py": "from . import nothing\n",  # other/__init__.py: not in scope
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    walked = list(iter_python_files([tmp_path], engine.DEFAULT_EXCLUDES))
    expected = reference_in_scope(Project(tmp_path, locate_steamship(project_root=tmp_path)), walked)
    kept = scope.in_scope(Project(tmp_path, locate_steamship(project_root=tmp_path)), walked)
    assert kept == expected
    assert {p.relative_to(tmp_path).as_posix() for p in kept} == {
        "outer/__init__.py", "outer/inner/deep.py", "outer/inner/near.py"
    }


def test_import_lines_of_the_scan_are_the_regular_expressions_lines() -> None:
    from linter.project.scan import import_lines

    for text in ["import os\nfrom . import a\n", "x = 'import'\n  import a, b # c\nfrom .x import (y,\n", ""]:
        data = text.encode("utf-8")
        assert import_lines(data) == b"\n".join(m.group(0) for m in marks._IMPORT.finditer(data))


@FEW
@given(st.lists(LINE_PIECES, max_size=40).map("".join))
def test_import_lines_of_the_scan_match_as_the_regular_expression(text: str) -> None:
    from linter.project.scan import import_lines

    data = text.encode("utf-8")
    assert import_lines(data) == b"\n".join(m.group(0) for m in marks._IMPORT.finditer(data))


def test_a_walk_passed_in_is_the_walk_the_engine_does(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "shp401_mixins_across_modules"
    walked = list(iter_python_files([fixture], engine.DEFAULT_EXCLUDES))
    enabled = ["SHP101", "SHP301", "SHP401", "SHP402"]
    given_walk = engine.check([fixture], enabled, files=walked)
    own_walk = engine.check([fixture], enabled)
    assert given_walk.violations == own_walk.violations
    assert given_walk.targets == own_walk.targets
