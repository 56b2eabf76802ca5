"""pkgcheck never runs the code it analyses, through any front end.

Every module of the package below, its ``__init__.py``, ``conftest.py`` and ``setup.py``, modules
named like pkgcheck's own dependencies (``click``, ``libcst``, ``linter``, ``rules``), and a
hostile ``steamship`` in the project's ``.venv`` (pkgcheck reads steamship's source from there
when none is installed beside it) would, if imported or run, write a marker file, run a shell
command that writes another, and exit the process with status 3. After the engine, the CLI
(``spec`` and ``check``, as ``python -m linter`` and as the ``pkgcheck`` script started inside
the tree) and flake8 with the plugin have all analysed it, no marker exists, no ``__pycache__``
was written, and the only thing added to the tree is the JSON cache the CLI keeps by default.
Each front end also reports the duplicate route in ``api.py``: the code was analysed, not skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from linter.run import engine
from linter.sdk.locate import locate_steamship
from rules import load_all

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIRECTORY = ".pkgcheck_cache"


def side_effect(markers: Path, name: str) -> str:
    """Code that leaves evidence of having run, then kills the process that ran it."""
    marker = markers / f"{name}.imported"
    shell = markers / f"{name}.shell"
    return (
        "import os, sys\n"
        f"open({str(marker)!r}, 'w').write('ran')\n"
        f"os.system('echo ran > ' + {str(shell)!r})\n"
        "sys.exit(3)\n"
    )


ROUTES = """\
from steamship.invocable import PackageService, post


class Exporter(PackageService):
    @post("export")
    def export(self) -> str:
        return "a"

    @post("/export")
    def export_again(self) -> str:
        return "b"
"""


def build_hostile_package(root: Path, markers: Path) -> Dict[str, str]:
    """The project; returns {relative path: module text} of what it holds."""
    files = {
        "steamship.json": "{}\n",
        "setup.py": side_effect(markers, "setup")
        + "from setuptools import setup\nsetup(name='x')\n",
        "conftest.py": side_effect(markers, "conftest"),
        "sitecustomize.py": side_effect(markers, "sitecustomize"),
        "usercustomize.py": side_effect(markers, "usercustomize"),
        # Shadows of what pkgcheck imports: harmless unless the tree lands on sys.path.
        "click.py": side_effect(markers, "click"),
        "libcst.py": side_effect(markers, "libcst"),
        "linter.py": side_effect(markers, "linter"),
        "rules/__init__.py": side_effect(markers, "rules"),
        "exporter/__init__.py": side_effect(markers, "exporter_init")
        + "from steamship.invocable import PackageService\n",
        "exporter/api.py": side_effect(markers, "api") + ROUTES,
        "exporter/helpers.py": side_effect(markers, "helpers")
        + "from steamship.invocable import PackageMixin\n\nclass Helper(PackageMixin):\n    pass\n",
        "exporter/shell.py": "import os\n"
        f"os.system('echo ran > ' + {str(markers / 'os_system.shell')!r})\n"
        "from steamship import Steamship\n",
        # A hostile steamship where pkgcheck looks for one when none is installed beside it.
        ".venv/lib/python3.11/site-packages/steamship/__init__.py": side_effect(
            markers, "venv_steamship"
        ),
        ".venv/lib/python3.11/site-packages/steamship/invocable/__init__.py": side_effect(
            markers, "venv_invocable"
        )
        + "from .invocable import post, get\nfrom .package_service import PackageService\n",
        ".venv/lib/python3.11/site-packages/steamship/invocable/invocable.py": side_effect(
            markers, "venv_invocable_module"
        )
        + "def post(path, **kwargs):\n    return lambda f: f\n",
        ".venv/lib/python3.11/site-packages/evil.pth": "import os; os.system("
        f"'echo ran > {markers / 'pth.shell'}')\n",
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return files


def snapshot(root: Path) -> Dict[str, str]:
    """relative path → content hash of every entry under ``root`` except the cache."""
    found: Dict[str, str] = {}
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if d != CACHE_DIRECTORY]
        for name in subdirs + files:
            path = Path(directory) / name
            relative = path.relative_to(root).as_posix()
            if path.is_file():
                found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[relative] = "<dir>"
    return found


def assert_untouched(root: Path, markers: Path, before: Dict[str, str]) -> None:
    assert sorted(p.name for p in markers.iterdir()) == [], "analysed code was executed"
    pycache = [p for p in root.rglob("__pycache__")] + [p for p in root.rglob("*.pyc")]
    assert not pycache, f"bytecode written into the analysed tree: {pycache}"
    assert snapshot(root) == before, "the analysed tree changed"
    cache = root / CACHE_DIRECTORY
    if cache.exists():
        # The one thing pkgcheck may add: its cache, signed JSON (a line of 64 hex digits, then
        # the JSON text) and two marker files.
        for path in cache.rglob("*"):
            if path.is_file():
                if path.name in ("CACHEDIR.TAG", ".gitignore"):
                    continue
                assert path.suffix == ".json", f"unexpected file in the cache: {path}"
                signature, _, text = path.read_text(encoding="utf-8").partition("\n")
                assert re.fullmatch("[0-9a-f]{64}", signature), f"unsigned entry: {path}"
                json.loads(text)


@pytest.fixture()
def hostile(tmp_path: Path):
    root = tmp_path / "tree"
    markers = tmp_path / "markers"
    markers.mkdir()
    build_hostile_package(root, markers)
    return root, markers, snapshot(root)


def subprocess_env() -> Dict[str, str]:
    env = dict(os.environ)
    # Only pkgcheck's own checkout on the path; never the working directory (no "" or ".").
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # would hide bytecode written by an import
    env.pop("PYTHONSTARTUP", None)
    env.pop("NO_COLOR", None)
    return env


def run(command: List[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=str(cwd), env=subprocess_env(), capture_output=True, text=True, timeout=300
    )


def test_the_hostile_steamship_is_the_one_pkgcheck_reads(hostile) -> None:
    """Guard for the test itself: with no steamship beside pkgcheck, the project's .venv one is
    used, so its hostile modules are read. (Skipped where a steamship is importable.)"""
    root, _, _ = hostile
    found = locate_steamship(None, root)
    if found.kind == "installed" and not str(found.directory).startswith(str(root)):
        pytest.skip(f"a steamship is installed beside pkgcheck ({found.directory})")
    assert found.kind == "installed" and str(found.directory).startswith(str(root))


def test_engine_check_and_specs_run_nothing(hostile) -> None:
    root, markers, before = hostile
    modules_before = set(sys.modules)
    path_before = list(sys.path)
    report = engine.check([root], list(load_all()))
    for level in ("class", "instance"):
        engine.package_specs([root], level=level)
    assert_untouched(root, markers, before)
    assert sys.path == path_before
    loaded = [
        name
        for name in set(sys.modules) - modules_before
        if str(getattr(sys.modules[name], "__file__", "") or "").startswith(str(root))
    ]
    assert not loaded, f"modules of the analysed tree were imported: {loaded}"
    assert not report.internal_errors


def test_engine_reports_the_analysed_code(hostile, tmp_path: Path) -> None:
    """The same tree without the hostile .venv: the duplicate route is found (the code was
    read and analysed, not skipped)."""
    root, markers, _ = hostile
    shutil.rmtree(root / ".venv")
    before = snapshot(root)
    report = engine.check([root], list(load_all()))
    assert_untouched(root, markers, before)
    codes = {(Path(v.path).relative_to(root).as_posix(), v.code) for v in report.violations}
    assert ("exporter/api.py", "SHP101") in codes


@pytest.mark.parametrize(
    "args",
    [
        ["spec", "--level", "class"],
        ["spec", "--level", "instance"],
        ["check"],
        ["check", "--no-cache"],
        [],
    ],
    ids=["spec-class", "spec-instance", "check", "check-no-cache", "default-command"],
)
def test_python_m_linter_runs_nothing(hostile, tmp_path: Path, args: List[str]) -> None:
    root, markers, before = hostile
    result = run([sys.executable, "-m", "linter", *args, str(root)], cwd=tmp_path)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode != 3, "the analysed code's sys.exit(3) ran"
    assert result.returncode in (0, 1), result.stderr
    assert_untouched(root, markers, before)


def test_pkgcheck_script_inside_the_tree_runs_nothing(hostile) -> None:
    """The usual call, ``pkgcheck .`` from the project root: the tree's click.py, libcst.py,
    linter.py and rules/ must not shadow pkgcheck's own imports."""
    root, markers, before = hostile
    script = shutil.which("pkgcheck", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the pkgcheck console script is not installed (pip install -e .)")
    result = run([script, "check", "."], cwd=root)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode != 3, "the analysed code's sys.exit(3) ran"
    assert result.returncode in (0, 1), result.stderr
    assert_untouched(root, markers, before)


def test_check_reports_the_duplicate_route(hostile, tmp_path: Path) -> None:
    root, markers, _ = hostile
    shutil.rmtree(root / ".venv")
    before = snapshot(root)
    result = run([sys.executable, "-m", "linter", "check", "--no-cache", str(root)], cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "SHP101" in result.stdout
    assert "api.py" in result.stdout
    assert_untouched(root, markers, before)


def flake8_has_plugin() -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--version"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
    )
    return "pkgcheck" in result.stdout


@pytest.mark.parametrize("where", ["outside", "inside"])
def test_flake8_with_the_plugin_runs_nothing(hostile, tmp_path: Path, where: str) -> None:
    if not flake8_has_plugin():
        pytest.fail("flake8 does not list the pkgcheck plugin: pip install -e . into this venv")
    root, markers, _ = hostile
    shutil.rmtree(root / ".venv")
    before = snapshot(root)
    if where == "outside":
        command = [sys.executable, "-m", "flake8", "--select", "SHP", str(root)]
        cwd = tmp_path
    else:
        # flake8's console script from the project root (``python -m`` would put the tree first
        # on sys.path: that is Python's doing, see docs/SECURITY.md).
        script = shutil.which("flake8", path=str(Path(sys.executable).parent))
        assert script is not None
        command = [script, "--select", "SHP", "."]
        cwd = root
    result = run(command, cwd=cwd)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode == 1, result.stdout + result.stderr
    assert "SHP101" in result.stdout
    assert_untouched(root, markers, before)
