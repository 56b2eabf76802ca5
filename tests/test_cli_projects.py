"""The CLI over paths in several projects: each project is analysed, and configured, on its own.

A repository may hold several packages, each with its own root marker (here ``steamship.json``),
and pre-commit hands the hook every staged file at once, from anywhere in the repository. A run
over all of them must report, for each file, what a run over its own project reports.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import List, Set, Tuple

import pytest

from cli_support import FIXABLE, invoke, make_project
from linter.run import engine

PLUGIN_DATA = Path(__file__).parent / "plugin_data" / "mixin_conflict"

#: ``a``'s mixin route does not collide; ``b``'s does (SHP301 in b/api.py, which needs
#: b/mixins.py). Both have SHP303 and SHP401.
A_MIXINS = (PLUGIN_DATA / "mixins.py").read_text(encoding="utf-8").replace(
    '@post("export")', '@post("export_csv")'
)
B_MIXINS = (PLUGIN_DATA / "mixins.py").read_text(encoding="utf-8")
API = (PLUGIN_DATA / "api.py").read_text(encoding="utf-8")


Found = Set[Tuple[str, int, str]]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository (``.git`` marks its top) holding two projects, ``a`` and ``b``."""
    top = tmp_path / "repo"
    (top / ".git").mkdir(parents=True)
    make_project(top / "a", {"api.py": API, "mixins.py": A_MIXINS})
    make_project(top / "b", {"api.py": API, "mixins.py": B_MIXINS})
    monkeypatch.chdir(top)
    return top


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def found(args: List[str]) -> Found:
    result = invoke(["check", "--format", "json", "--no-cache", *args])
    assert result.exit_code in (0, 1), result.output
    return {(item["path"], item["line"], item["code"]) for item in json.loads(result.stdout)}


def test_the_second_project_is_not_lost(repo: Path) -> None:
    alone = found(["b/api.py"])
    assert ("b/api.py", 8, "SHP301") in alone  # needs b/mixins.py, which was not named
    assert ("a/api.py", 8, "SHP301") not in found(["a"])
    together = found(["a/api.py", "a/mixins.py", "b/api.py", "b/mixins.py"])
    assert alone <= together


@pytest.mark.parametrize(
    "args",
    [
        ["a/api.py", "a/mixins.py", "b/api.py", "b/mixins.py"],
        ["b/mixins.py", "b/api.py", "a/mixins.py", "a/api.py"],
        ["a", "b"],
        ["b", "a"],
        ["a/api.py", "b"],
        ["b/api.py", "a"],
        ["."],
    ],
    ids=lambda args: " ".join(args),
)
def test_paths_in_two_projects_report_what_each_project_reports(
    repo: Path, args: List[str]
) -> None:
    each = found(["a"]) | found(["b"])
    assert {path for path, _, _ in each} == {"a/api.py", "b/api.py"}
    named_files = [arg for arg in args if arg.endswith(".py")]
    want = {f for f in each if f[0] in named_files or f[0].split("/")[0] in args or args == ["."]}
    assert found(args) == want


def test_output_is_sorted_whatever_the_order_of_the_paths(repo: Path) -> None:
    one = invoke(["check", "--no-cache", "b", "a"])
    other = invoke(["check", "--no-cache", "a", "b"])
    assert one.stdout == other.stdout
    paths = [line.split(":")[0] for line in one.stdout.splitlines() if ":" in line]
    assert paths == sorted(paths) and paths[0] == "a/api.py"


def test_each_project_uses_its_own_settings_file(repo: Path) -> None:
    write(repo / "a" / "pyproject.toml", '[tool.pkgcheck]\nignore = ["SHP401"]\n')
    write(repo / "b" / "setup.cfg", "[pkgcheck]\nextend-select = SHP202\n")
    own = found(["a"]) | found(["b"])
    assert not any(code == "SHP401" for path, _, code in own if path.startswith("a/"))
    assert ("b/api.py", 19, "SHP401") in own
    assert ("b/api.py", 18, "SHP202") in own
    assert not any(code == "SHP202" for path, _, code in own if path.startswith("a/"))
    for args in (["a", "b"], ["b", "a"], ["."], ["b/api.py", "a/api.py"]):
        assert found(args) == own, args


def test_the_command_line_overrides_every_projects_settings(repo: Path) -> None:
    write(repo / "a" / "pyproject.toml", '[tool.pkgcheck]\nextend-select = ["SHP202"]\n')
    write(repo / "b" / "pyproject.toml", '[tool.pkgcheck]\nignore = ["SHP303"]\n')
    # a's SHP303 stays (a's file does not ignore it); b's file ignores its SHP303
    assert found(["--ignore", "SHP202,SHP401", "a", "b"]) == {
        ("a/api.py", 8, "SHP303"),
        ("b/api.py", 8, "SHP301"),
    }
    # --select starts afresh, over every file's selection
    assert found(["--select", "SHP303", "a", "b"]) == {
        ("a/api.py", 8, "SHP303"),
        ("b/api.py", 8, "SHP303"),
    }
    assert found(["--isolated", "a", "b"]) == found(["--isolated", "a"]) | found(
        ["--isolated", "b"]
    )


def test_output_settings_come_from_the_file_above_all_paths(repo: Path) -> None:
    write(repo / "pyproject.toml", '[tool.pkgcheck]\nformat = "github"\n')
    write(repo / "a" / "pyproject.toml", '[tool.pkgcheck]\nexit-zero = true\n')
    both = invoke(["check", "--no-cache", "a", "b"])
    assert both.exit_code == 1  # a's exit-zero is a's, not the whole run's
    assert both.stdout.startswith("::error file=a/api.py")
    only_a = invoke(["check", "--no-cache", "a"])
    assert only_a.exit_code == 0 and only_a.stdout.startswith("a/api.py:")  # a's own, as before


def test_verbose_names_each_projects_settings_when_they_differ(repo: Path) -> None:
    write(repo / "a" / "pyproject.toml", '[tool.pkgcheck]\nignore = ["SHP401"]\n')
    result = invoke(["check", "-v", "--no-cache", "a", "b"])
    assert "pkgcheck: settings file for a: a/pyproject.toml" in result.stderr
    assert "pkgcheck: settings file for b: none" in result.stderr
    one = invoke(["check", "-v", "--no-cache", "a"])
    assert "pkgcheck: settings file: a/pyproject.toml" in one.stderr


def test_a_nested_projects_excludes_apply_to_its_files(repo: Path) -> None:
    write(repo / "b" / "generated" / "api.py", API)
    write(repo / "b" / "generated" / "mixins.py", B_MIXINS)
    assert any(path.startswith("b/generated/") for path, _, _ in found(["."]))
    write(repo / "b" / "pyproject.toml", '[tool.pkgcheck]\nextend-exclude = ["generated"]\n')
    for args in (["."], ["b"]):
        assert not any(path.startswith("b/generated/") for path, _, _ in found(args)), args
    # named explicitly, a file is always checked
    assert ("b/generated/api.py", 8, "SHP301") in found(["b/generated/api.py"])


def test_diff_and_fix_across_projects_use_each_projects_settings(repo: Path) -> None:
    make_project(repo / "c", {"api.py": FIXABLE})
    make_project(repo / "d", {"api.py": FIXABLE})
    write(repo / "d" / "pyproject.toml", '[tool.pkgcheck]\nignore = ["SHP404"]\n')
    shown = invoke(["check", "--diff", "d", "c"])
    assert shown.exit_code == 1, shown.output
    assert shown.stdout.index("--- a/c/api.py") < shown.stdout.index("--- a/d/api.py")
    c_part, d_part = shown.stdout.split("--- a/d/api.py")
    assert "verb=Verb.GET" in c_part and '@post("run")' in c_part
    assert "verb=Verb.GET" not in d_part and '@post("run")' in d_part  # d ignores SHP404
    fixed = invoke(["check", "--fix", "--no-cache", "d/api.py", "c/api.py"])
    assert fixed.exit_code == 0, fixed.output
    assert "verb=Verb.GET" in (repo / "c" / "api.py").read_text(encoding="utf-8")
    d_text = (repo / "d" / "api.py").read_text(encoding="utf-8")
    assert 'verb="GET"' in d_text and '@post("run")' in d_text


def test_spec_over_two_projects_keeps_both_packages(repo: Path) -> None:
    alone = json.loads(invoke(["spec", "b"]).stdout)
    assert list(alone) == ["api.Exporter"]  # one project: names as before
    result = invoke(["spec", "b", "a"])
    assert result.exit_code == 0, result.output
    both = json.loads(result.stdout)
    assert list(both) == ["a:api.Exporter", "b:api.Exporter"]
    assert both["b:api.Exporter"] == alone["api.Exporter"]
    assert both == json.loads(invoke(["spec", "."]).stdout)
    assert both == json.loads(invoke(["spec", "a/api.py", "b/api.py"]).stdout)
    ambiguous = invoke(["spec", "--package", "Exporter", "."])
    assert ambiguous.exit_code == 2 and "a:api.Exporter, b:api.Exporter" in ambiguous.stderr
    chosen = invoke(["spec", "--format", "openapi", "--package", "b:api.Exporter", "."])
    assert chosen.exit_code == 0, chosen.output
    assert json.loads(chosen.stdout)["x-steamship-package"] == "api.Exporter"


def test_group_by_project(tmp_path: Path) -> None:
    """Marked projects are found below a named directory; an unmarked tree stays the one
    project a run over its directory has always used (its named directory's)."""
    marked = make_project(tmp_path / "mono" / "one", {"api.py": "", "pkg/__init__.py": ""})
    make_project(tmp_path / "mono" / "two", {"api.py": ""})
    (tmp_path / "mono" / ".git").mkdir()
    files = list(engine.iter_python_files([tmp_path / "mono"], engine.DEFAULT_EXCLUDES))
    groups = engine.group_by_project([tmp_path / "mono"], files)
    assert [(g.root.name, [f.name for f in g.files]) for g in groups] == [
        ("one", ["api.py", "__init__.py"]),
        ("two", ["api.py"]),
    ]
    assert marked == groups[0].root

    loose = tmp_path / "loose"  # no marker anywhere above (tmp_path has none)
    for name in ("script.py", "pkg/__init__.py", "pkg/mod.py"):
        (loose / name).parent.mkdir(parents=True, exist_ok=True)
        (loose / name).write_text("", encoding="utf-8")
    if engine.find_project_root(loose) != loose:
        pytest.skip("a root marker above the temporary directory")
    files = list(engine.iter_python_files([loose], engine.DEFAULT_EXCLUDES))
    (group,) = engine.group_by_project([loose], files)
    assert group.root == loose and group.paths == [loose] and len(group.files) == 3
    (alone,) = engine.group_by_project([loose / "pkg" / "mod.py"], [loose / "pkg" / "mod.py"])
    assert alone.root == loose / "pkg" and alone.named == [loose / "pkg" / "mod.py"]


def test_a_projects_own_walk_leaves_out_the_projects_nested_in_it(repo: Path) -> None:
    """The repository's own analysis neither parses nor checks ``a``'s and ``b``'s files: each
    is its own project's, and a run over ``.`` analysed them three times before (0.7 s more
    on the benchmark's tree of 77 nested fixture projects)."""
    from linter.run.checker import analyse
    from linter.project.scope import project_files
    from rules import load_all

    write(repo / "tools" / "lint.py", "import steamship\n")
    top = engine.open_project([repo])
    assert project_files(top, engine.DEFAULT_EXCLUDES) == [repo / "tools" / "lint.py"]
    analysis = analyse(top, set(load_all()), engine.DEFAULT_EXCLUDES)
    assert analysis.analysed == [repo / "tools" / "lint.py"]
    assert not any(str(path).startswith(str(repo / "a")) for path in top.loaded_paths)
    # a nested project's files are still walked from a directory named above it
    everything = list(engine.iter_python_files([repo], engine.DEFAULT_EXCLUDES))
    assert repo / "a" / "api.py" in everything and repo / "b" / "mixins.py" in everything


def test_a_bad_settings_file_in_any_project_is_a_clear_error(repo: Path) -> None:
    write(repo / "b" / "pyproject.toml", '[tool.pkgcheck]\nextend-selekt = ["SHP202"]\n')
    result = invoke(["check", "--no-cache", "a", "b"])
    assert result.exit_code == 2
    assert result.stderr.startswith("pkgcheck: error: b/pyproject.toml: unknown key")
    assert "Traceback" not in result.output
    assert invoke(["check", "--no-cache", "a"]).exit_code == 1  # a's run never reads b's file
