"""Settings files: discovery, precedence, validation, and paths relative to the file."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from cli_support import BUGGY, invoke, json_report, make_project
from linter.frontends.config import ConfigError, find_config, load_config, parse_per_file_ignores
from linter.run.selection import RuleSelection, resolve_codes
from rules import load_all


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_project(tmp_path / "proj", {"api.py": BUGGY})
    monkeypatch.chdir(root)
    return root


def codes(result) -> list:  # type: ignore[no-untyped-def]
    return re.findall(r":\d+:\d+: (SHP\d{3}) ", result.stdout)


# -- discovery --------------------------------------------------------------------------------


def test_pyproject_section_applies(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.pkgcheck]\nignore = ["SHP101"]\n')
    assert invoke(["."]).exit_code == 0


def test_setup_cfg_section_applies(project: Path) -> None:
    write(project / "setup.cfg", "[pkgcheck]\nignore = SHP101\n")
    assert invoke(["."]).exit_code == 0


def test_pyproject_wins_over_setup_cfg_in_one_directory(project: Path) -> None:
    write(project / "pyproject.toml", "[tool.pkgcheck]\nexit-zero = true\n")
    write(project / "setup.cfg", "[pkgcheck]\nignore = SHP101\n")
    result = invoke(["."])
    assert result.exit_code == 0
    assert codes(result) == ["SHP101"]  # setup.cfg's ignore was not read


def test_nearest_file_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "pyproject.toml", '[tool.pkgcheck]\nignore = ["SHP101"]\n')
    inner = make_project(tmp_path / "inner", {"api.py": BUGGY})
    write(inner / "setup.cfg", "[pkgcheck]\nstatistics = true\n")
    outer = make_project(tmp_path / "outer", {"api.py": BUGGY})
    monkeypatch.chdir(tmp_path)
    assert codes(invoke(["inner"])) == ["SHP101"]  # inner/setup.cfg, not the parent's ignore
    assert invoke(["outer"]).exit_code == 0  # no file in outer: the parent's applies
    assert invoke([str(outer / "api.py")]).exit_code == 0  # a file path: from its directory


def test_files_without_the_section_are_skipped(tmp_path: Path) -> None:
    write(tmp_path / "setup.cfg", "[pkgcheck]\nignore = SHP101\n")
    write(tmp_path / "proj" / "pyproject.toml", '[project]\nname = "x"\n')
    write(tmp_path / "proj" / "setup.cfg", "[flake8]\nmax-line-length = 100\n")
    assert find_config(tmp_path / "proj") == tmp_path / "setup.cfg"
    assert find_config(tmp_path / "proj" / "api.py") == tmp_path / "setup.cfg"


def test_isolated_and_explicit_config(project: Path, tmp_path: Path) -> None:
    write(project / "pyproject.toml", '[tool.pkgcheck]\nignore = ["SHP101"]\n')
    assert invoke(["."]).exit_code == 0
    assert invoke(["--isolated", "."]).exit_code == 1
    other = write(tmp_path / "elsewhere" / "setup.cfg", "[pkgcheck]\nexit-zero = true\n")
    result = invoke(["--config", str(other), "."])
    assert result.exit_code == 0 and codes(result) == ["SHP101"]
    assert invoke(["--config", "missing.toml", "."]).exit_code == 2


# -- precedence -------------------------------------------------------------------------------


def test_command_line_overrides_the_file(project: Path) -> None:
    write(
        project / "pyproject.toml",
        """
        [tool.pkgcheck]
        format = "json"
        exit-zero = true
        ignore = ["SHP101"]
        """,
    )
    assert invoke(["."]).stdout.strip() == "[]"
    assert (
        invoke(["--select", "SHP101", "."]).exit_code == 0
    )  # select starts afresh; exit-zero stays
    assert json_report(invoke(["--select", "SHP1", "."]))[0]["code"] == "SHP101"
    assert invoke(["--select", "SHP1", "--no-exit-zero", "."]).exit_code == 1
    text = invoke(["--select", "SHP1", "--format", "text", "."])
    assert codes(text) == ["SHP101"]


def test_command_line_ignore_adds_to_the_file(project: Path) -> None:
    write(project / "setup.cfg", "[pkgcheck]\nselect = SHP1\n")
    assert invoke(["."]).exit_code == 1
    assert invoke(["--ignore", "SHP101", "."]).exit_code == 0
    write(project / "setup.cfg", "[pkgcheck]\nignore = SHP1\n")
    assert invoke(["--extend-select", "SHP101", "."]).exit_code == 1  # a later layer re-enables


def test_booleans_from_the_file(project: Path) -> None:
    write(project / "setup.cfg", "[pkgcheck]\nstatistics = yes\nquiet = on\n")
    result = invoke(["."])
    assert "duplicate-route" in result.stdout
    assert result.stderr == ""
    assert "duplicate-route" not in invoke(["--no-statistics", "."]).stdout


def test_per_file_ignores_in_pyproject_are_relative_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path / "proj", {"pkg/api.py": BUGGY, "other/api.py": BUGGY})
    write(root / "pyproject.toml", '[tool.pkgcheck.per-file-ignores]\n"pkg/*" = ["SHP101"]\n')
    monkeypatch.chdir(root / "other")  # started from elsewhere: the pattern still means proj/pkg
    result = invoke([str(root)])
    assert result.exit_code == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["api.py"]  # other/api.py


def test_per_file_ignores_in_setup_cfg_use_flake8_syntax(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(
        tmp_path / "proj", {"pkg/api.py": BUGGY, "other/api.py": BUGGY, "x.py": BUGGY}
    )
    write(
        root / "setup.cfg",
        """
        [pkgcheck]
        per-file-ignores =
            pkg/*: SHP101
            x.py,unused.py:SHP1
        """,
    )
    monkeypatch.chdir(root)
    result = invoke(["."])
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["other/api.py"]
    assert invoke(["--per-file-ignores", "other/*:SHP101", "."]).stdout.startswith("pkg/api.py")


def test_excludes_in_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(
        tmp_path / "proj", {"api.py": BUGGY, "legacy/old.py": BUGGY, "build/gen.py": BUGGY}
    )
    write(root / "pyproject.toml", '[tool.pkgcheck]\nextend-exclude = ["legacy/"]\n')
    monkeypatch.chdir(root / "legacy")
    result = invoke([".."])
    assert [Path(line.split(":")[0]).name for line in result.stdout.splitlines()] == ["api.py"]
    write(root / "pyproject.toml", '[tool.pkgcheck]\nexclude = ["legacy"]\n')
    result = invoke([".."])
    assert sorted(Path(line.split(":")[0]).name for line in result.stdout.splitlines()) == [
        "api.py",
        "gen.py",
    ]


def test_underscored_keys_are_accepted(project: Path) -> None:
    write(project / "setup.cfg", "[pkgcheck]\nexit_zero = true\n")
    assert invoke(["."]).exit_code == 0


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, text, key",
    [
        ("pyproject.toml", "[tool.pkgcheck]\nselekt = ['SHP1']\n", "selekt"),
        ("setup.cfg", "[pkgcheck]\nignores = SHP101\n", "ignores"),
        ("pyproject.toml", "[tool.pkgcheck]\nignore = ['SHP999']\n", "ignore"),
        ("setup.cfg", "[pkgcheck]\nextend-select = SHP101, XYZ1\n", "extend-select"),
        ("pyproject.toml", "[tool.pkgcheck]\nstatistics = 'yes'\n", "statistics"),
        ("setup.cfg", "[pkgcheck]\nexit-zero = maybe\n", "exit-zero"),
        ("pyproject.toml", "[tool.pkgcheck]\nformat = 'xml'\n", "format"),
        ("pyproject.toml", "[tool.pkgcheck]\nselect = 3\n", "select"),
        (
            "pyproject.toml",
            "[tool.pkgcheck.per-file-ignores]\n'a.py' = ['SHP999']\n",
            "per-file-ignores",
        ),
        ("setup.cfg", "[pkgcheck]\nper-file-ignores = a.py\n", "per-file-ignores"),
        ("pyproject.toml", "[tool.pkgcheck]\nsteamship-path = 'nowhere'\n", "nowhere"),
        ("pyproject.toml", "[tool.pkgcheck\nselect = ['SHP1']\n", "pyproject.toml"),
    ],
)
def test_bad_settings_exit_2_naming_file_and_key(
    project: Path, name: str, text: str, key: str
) -> None:
    write(project / name, text)
    result = invoke(["."])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("pkgcheck: error: ")
    assert name in line and key in line
    assert "Traceback" not in result.output


def test_load_config_values(tmp_path: Path) -> None:
    path = write(
        tmp_path / "pyproject.toml",
        """
        [tool.pkgcheck]
        select = "SHP1, SHP3"
        extend-select = ["shp308"]
        output-file = "out/report.sarif"
        per-file-ignores = "tests/*:SHP101"
        """,
    )
    settings = load_config(path, load_all())
    assert settings.select == ("SHP1", "SHP3")
    assert settings.extend_select == ("SHP308",)
    assert settings.output_file == tmp_path / "out" / "report.sarif"
    assert settings.per_file_ignores == [(str(tmp_path / "tests" / "*"), ("SHP101",))]
    with pytest.raises(ConfigError):
        load_config(write(tmp_path / "setup.cfg", "[pkgcheck]\nbogus = 1\n"), load_all())


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", []),
        ("a.py:SHP1", [(["a.py"], ["SHP1"])]),
        ("a.py,b/*.py:SHP1,SHP201", [(["a.py", "b/*.py"], ["SHP1", "SHP201"])]),
        ("a.py: SHP1 b.py:SHP2", [(["a.py"], ["SHP1"]), (["b.py"], ["SHP2"])]),
        (
            "\n  a.py:\n    SHP1,\n    SHP2\n  TESTS:ALL\n",
            [(["a.py"], ["SHP1", "SHP2"]), (["TESTS"], ["ALL"])],
        ),
    ],
)
def test_parse_per_file_ignores(text: str, expected: list) -> None:
    assert parse_per_file_ignores(text) == expected


@pytest.mark.parametrize("text", ["a.py", "a.py:", ":SHP1", "a.py::SHP1", "a.py:SHP1 b.py"])
def test_parse_per_file_ignores_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_per_file_ignores(text)


def test_exclude_patterns_may_hold_spaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path / "proj", {"api.py": BUGGY, "old code/x.py": BUGGY})
    monkeypatch.chdir(tmp_path / "proj")
    assert codes(invoke(["."])) == ["SHP101", "SHP101"]
    assert codes(invoke(["--extend-exclude", "old code", "."])) == ["SHP101"]
    write(
        tmp_path / "proj" / "setup.cfg", "[pkgcheck]\nextend-exclude =\n    old code\n    build\n"
    )
    assert codes(invoke(["."])) == ["SHP101"]


# -- selection layers -------------------------------------------------------------------------

CODES = {"SHP101": False, "SHP102": False, "SHP301": False, "SHP308": True}


@pytest.mark.parametrize(
    "layers, expected",
    [
        ([], {"SHP101", "SHP102", "SHP301"}),
        ([RuleSelection(select=("SHP1",))], {"SHP101", "SHP102"}),
        ([RuleSelection(select=("ALL",))], {"SHP101", "SHP102", "SHP301", "SHP308"}),
        ([RuleSelection(select=("SHP3",))], {"SHP301"}),
        ([RuleSelection(extend_select=("SHP308",))], {"SHP101", "SHP102", "SHP301", "SHP308"}),
        ([RuleSelection(ignore=("SHP1",)), RuleSelection(ignore=("SHP3",))], set()),
        ([RuleSelection(ignore=("SHP1",)), RuleSelection(select=("SHP101",))], {"SHP101"}),
        (
            [RuleSelection(ignore=("SHP1",)), RuleSelection(extend_select=("SHP102",))],
            {"SHP102", "SHP301"},
        ),
        ([RuleSelection(select=("SHP308",)), RuleSelection(ignore=("SHP3",))], set()),
        (
            [RuleSelection(select=("SHP308", "SHP1"), ignore=("SHP3",))],
            {"SHP101", "SHP102", "SHP308"},
        ),
        ([RuleSelection(select=())], set()),
    ],
)
def test_resolve_codes_layers(layers: list, expected: set) -> None:
    assert resolve_codes(layers, CODES) == expected
