"""Deciding from a file's text, and its imports' alone, that nothing in it concerns Steamship.

The flake8 plugin (and any front end given a few files) asks :class:`Concerns` before it loads
the engine: a file it clears is answered with no finding, without LibCST, the catalogue or a
walk of the project. That is only right when no finding can ever be in such a file, which
these tests check against the engine itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, List

import pytest

from linter.project.files import iter_python_files
from linter.project.index import Project
from linter.project.marks import Concerns
from linter.project.scope import in_scope
from linter.run import engine
from linter.sdk.locate import locate_steamship
from rules import load_all

FIXTURES = Path(__file__).parent / "fixtures"


def fixtures() -> List[Path]:
    return sorted(p for p in FIXTURES.iterdir() if p.is_dir())


@pytest.mark.parametrize("fixture", fixtures(), ids=lambda p: p.name)
def test_no_finding_and_no_in_scope_file_is_cleared(fixture: Path) -> None:
    concerns = Concerns()
    root = fixture.resolve()
    project = Project(root, locate_steamship(project_root=root))
    walked = [Path(os.path.abspath(p)) for p in iter_python_files([root], engine.DEFAULT_EXCLUDES)]
    for path in in_scope(project, walked):
        assert concerns(path), f"{path} is in scope but was cleared"
    report = engine.check([fixture], list(load_all()))
    found = {Path(os.path.abspath(v.path)) for v in report.violations if v.path.endswith(".py")}
    for path in found:
        assert concerns(path), f"{path} has findings but was cleared"
        assert concerns.may_hold_findings(path), f"{path} has findings but its classes were cleared"


def write(root: Path, files: dict) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_a_file_reaches_steamship_through_project_imports_only(tmp_path: Path) -> None:
    write(tmp_path, {
        "steamship.json": "{}",
        "base.py": "from steamship.invocable import PackageService, post as route\n",
        "middle.py": "from base import PackageService, route\n",
        "api.py": "from middle import PackageService, route\n\nclass Bot(PackageService):\n    pass\n",
        "tools/__init__.py": "",
        "tools/text.py": "import json\nimport os\n\nfrom . import other\n",
        "tools/other.py": "from .text import *\n",
        "cycle_a.py": "import cycle_b\n",
        "cycle_b.py": "import cycle_a\nimport tools.text\n",
    })
    concerns = Concerns()
    verdicts = {name: concerns(tmp_path / name) for name in
                ("api.py", "middle.py", "base.py", "tools/text.py", "tools/other.py", "cycle_a.py", "cycle_b.py")}
    assert verdicts == {"api.py": True, "middle.py": True, "base.py": True, "tools/text.py": False,
                        "tools/other.py": False, "cycle_a.py": False, "cycle_b.py": False}
    # a buffer that differs from the disk is judged by its own text and imports
    assert concerns(tmp_path / "tools/text.py", b"from middle import route\n")
    assert concerns(tmp_path / "tools/text.py", b"x = 'invoke_later'\n")
    assert not concerns(tmp_path / "api.py", b"import tools.text\n")


def test_an_unreadable_import_is_left_to_the_engine(tmp_path: Path) -> None:
    write(tmp_path, {"steamship.json": "{}", "api.py": "import broken\n", "broken.py": "x = 1\n"})
    (tmp_path / "broken.py").chmod(0)
    try:
        readable = os.access(tmp_path / "broken.py", os.R_OK)  # root reads anything
        assert Concerns()(tmp_path / "api.py") is not readable
    finally:
        (tmp_path / "broken.py").chmod(0o644)


PROBE = """
import sys
from flake8.main.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted(m for m in ("libcst", "rules", "linter.run.engine", "linter.sdk.catalogue") if m in sys.modules)
print("loaded:", ",".join(heavy))
"""


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_flake8_on_code_without_steamship_loads_nothing_heavy(tmp_path: Path, jobs: str) -> None:
    write(tmp_path, {
        ".git/HEAD": "",
        "pkg/__init__.py": "from .core import run\n",
        "pkg/core.py": "import json\nfrom . import util\n\ndef run():\n    return util.x\n",
        "pkg/util.py": "x = 1\n",
        "script.py": "import pkg\nprint(pkg.run())\n",
    })
    result = subprocess.run(
        [sys.executable, "-c", PROBE, f"-j{jobs}", "--select", "SHP", "."],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.stdout.strip().splitlines()[-1] == "loaded:", result.stdout + result.stderr


def test_flake8_reports_in_a_file_that_reaches_steamship_through_imports(tmp_path: Path) -> None:
    write(tmp_path, {
        "steamship.json": "{}",
        "base.py": "from steamship.invocable import PackageService, post\n",
        "api.py": """\
            from base import PackageService, post


            class Bot(PackageService):
                @post("go")
                def go(self) -> str:
                    return "a"

                @post("go")
                def go_again(self) -> str:
                    return "b"
            """,
    })
    assert b"steamship" not in (tmp_path / "api.py").read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "SHP", "api.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert "api.py:9:" in result.stdout and "SHP101" in result.stdout, result.stdout + result.stderr


def test_a_named_file_without_steamship_is_checked_without_walking_its_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linter.project import loader, scan

    read: List[Path] = []
    original = loader.read_regular
    original_scan = scan.read_regular_with_status

    def recording(path: Path) -> bytes:
        read.append(Path(path))
        return original(path)

    def recording_scan(name: str) -> Any:
        read.append(Path(name))
        return original_scan(name)

    monkeypatch.setattr(loader, "read_regular", recording)
    monkeypatch.setattr(scan, "read_regular_with_status", recording_scan)  # the prefilter's reads of a walk
    write(tmp_path, {
        "pyproject.toml": "[project]\nname = 'big'\n",
        "lib/__init__.py": "",
        "lib/a.py": "import os\n",
        "lib/b.py": "from lib import a\n\nVALUE = a.os.sep\n",
        "lib/broken.py": "def broken(:\n",
        "bot/api.py": "from steamship.invocable import PackageService\n\nclass Bot(PackageService):\n    pass\n",
    })
    report = engine.check([tmp_path / "lib" / "b.py"], sorted(load_all()))
    assert (report.violations, report.failures) == ([], [])
    # only the named file was read: not the package, not the file that does not parse
    assert {path.resolve() for path in read} == {(tmp_path / "lib" / "b.py").resolve()}
    broken = engine.check([tmp_path / "lib" / "broken.py"], sorted(load_all()))
    assert [Path(f.path).name for f in broken.failures] == ["broken.py"]
    # a named file that reaches Steamship is still checked with its whole project
    read.clear()
    engine.check([tmp_path / "bot" / "api.py"], sorted(load_all()))
    assert (tmp_path / "lib" / "broken.py").resolve() in {path.resolve() for path in read}


def test_only_the_imports_that_classes_and_decorators_are_built_from_count(tmp_path: Path) -> None:
    write(tmp_path, {
        "steamship.json": "{}",
        "base.py": "from steamship.invocable import PackageService, post\n",
        "helpers.py": "import base\n\nVALUE = 1\n",
        "uses_value.py": "from helpers import VALUE\nfrom base import post\n\nclass Plain(ValueError):\n    pass\n",
        "subclass.py": "from helpers import base\n\nclass Bot(base.PackageService):\n    pass\n",
        "decorated.py": "from base import post as route\n\n@route('x')\ndef handler():\n    pass\n",
        "assigned.py": "import base\n\nBase = base.PackageService\n\nclass Bot(Base):\n    pass\n",
        "local.py": "import base\n\nclass A(ValueError):\n    pass\n\nclass B(A):\n    pass\n",
        "no_class.py": "from base import PackageService\n\nX = PackageService\n",
    })
    concerns = Concerns()
    verdicts = {name: concerns.may_hold_findings(tmp_path / name) for name in (
        "uses_value.py", "subclass.py", "decorated.py", "assigned.py", "local.py", "no_class.py")}
    assert verdicts == {"uses_value.py": False, "subclass.py": True, "decorated.py": True,
                        "assigned.py": True, "local.py": False, "no_class.py": False}
    # each of them reaches Steamship through its imports: the coarser question says yes to all
    assert all(concerns(tmp_path / name) for name in verdicts)
    # Python cannot parse it: the engine reports it
    assert concerns.may_hold_findings(tmp_path / "broken.py", b"class (:\n")


def test_the_standard_library_is_judged_by_its_own_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A project whose root lies above a Python installation (a ``.git`` above pyenv's
    versions) holds the standard library: its modules import only each other, so they are
    judged by their own text instead of by following their imports (here a stand-in whose
    imports would reach a module that mentions Steamship)."""
    import json as stdlib_json

    from linter.project import marks

    assert marks.in_standard_library(os.path.abspath(stdlib_json.__file__))
    assert not marks.in_standard_library(os.path.join(marks._STDLIB, "site-packages", "steamship", "x.py"))
    assert not marks.in_standard_library(str(tmp_path / "api.py"))
    write(tmp_path, {
        "steamship.json": "{}",
        "base.py": "from steamship.invocable import PackageService as Base\n",
        "lib/python3/events.py": "from base import Base\n\nclass Loop(Base):\n    pass\n",
        "lib/python3/marked.py": "# invoke_later\n",
        "lib/python3/site-packages/plugin.py": "from base import Base\n\nclass Plugin(Base):\n    pass\n",
    })
    stdlib = tmp_path / "lib" / "python3"
    # as any other project module, the stand-in reaches Steamship through its import
    assert Concerns()(stdlib / "events.py") and Concerns().may_hold_findings(stdlib / "events.py")
    assert kept_in_scope(tmp_path) == {"base.py", "lib/python3/events.py", "lib/python3/marked.py"}
    monkeypatch.setattr(marks, "_STDLIB", os.path.join(str(stdlib), ""))
    concerns = Concerns()
    assert not concerns(stdlib / "events.py")
    assert not concerns.may_hold_findings(stdlib / "events.py")
    assert concerns(stdlib / "marked.py")
    # a site-packages directory inside the installation is not the standard library
    assert concerns.may_hold_findings(stdlib / "site-packages" / "plugin.py")
    # the CLI's prefilter agrees
    assert kept_in_scope(tmp_path) == {"base.py", "lib/python3/marked.py"}


def kept_in_scope(root: Path) -> set:
    """The files of ``root``'s walk that the CLI's prefilter keeps, relative to it."""
    root = root.resolve()
    project = Project(root, locate_steamship(project_root=root))
    walked = [Path(os.path.abspath(p)) for p in iter_python_files([root], engine.DEFAULT_EXCLUDES)]
    return {path.relative_to(root).as_posix() for path in in_scope(project, walked)}
