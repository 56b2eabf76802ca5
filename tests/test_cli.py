"""The ``pkgcheck`` command: subcommands, exit statuses, code selection, output destinations."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

import linter.run.engine
from cli_support import (
    BUGGY,
    REPO_ROOT,
    CLEAN,
    invoke,
    json_report,
    make_project,
    run_module,
    throwaway_rules,
)
from linter import __version__
from linter.frontends.cli.common import should_color, write_atomically
from linter.source.facts import ParseFailure
from linter.project.index import Project

LINE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>SHP\d{3}) (?P<message>.+)$"
)


@pytest.fixture
def temp_rules() -> Iterator[Callable[..., type]]:
    with throwaway_rules() as make:
        yield make


@pytest.fixture
def buggy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_project(tmp_path / "proj", {"api.py": BUGGY})
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_project(tmp_path / "proj", {"api.py": CLEAN})
    monkeypatch.chdir(root)
    return root


def findings(stdout: str) -> list:
    return [
        (m["path"], int(m["line"]), m["code"]) for m in map(LINE.match, stdout.splitlines()) if m
    ]


# -- subcommands ------------------------------------------------------------------------------


def test_help_lists_the_subcommands() -> None:
    result = invoke(["--help"])
    assert result.exit_code == 0
    for command in ("check", "rule", "rules", "spec"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), command


def test_no_arguments_print_the_help_as_a_usage_error() -> None:
    result = invoke([])
    assert result.exit_code == 2
    assert "check" in result.stdout and "rules" in result.stdout


def test_version() -> None:
    result = invoke(["--version"])
    assert result.exit_code == 0
    assert __version__ in result.stdout


def test_paths_without_subcommand_mean_check(buggy: Path) -> None:
    implicit = invoke(["."])
    explicit = invoke(["check", "."])
    assert implicit.exit_code == explicit.exit_code == 1
    assert implicit.stdout == explicit.stdout
    assert findings(implicit.stdout) == [("api.py", 5, "SHP101")]


def test_options_before_paths_mean_check(buggy: Path) -> None:
    result = invoke(["--format", "json", "api.py"])
    assert result.exit_code == 1
    assert [item["code"] for item in json_report(result)] == ["SHP101"]


def test_no_path_checks_the_working_directory(buggy: Path) -> None:
    result = invoke(["check"])
    assert result.exit_code == 1
    assert findings(result.stdout) == [("api.py", 5, "SHP101")]


def test_rules_lists_codes_names_and_defaults() -> None:
    result = invoke(["rules"])
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}
    assert rows["SHP101"][1:3] == ["duplicate-route", "on"]
    assert rows["SHP308"][2] == "off"  # opt-in
    assert "SHP001" in rows


def test_rule_prints_the_documentation() -> None:
    from rules import load_all

    result = invoke(["rule", "shp101"])  # any case
    assert result.exit_code == 0
    assert load_all()["SHP101"].documentation() in result.stdout
    assert "## Why is this bad?" in result.stdout


def test_rule_says_how_to_enable_an_opt_in_rule() -> None:
    result = invoke(["rule", "SHP308"])
    assert result.exit_code == 0
    assert "--extend-select SHP308" in result.stdout


def test_unknown_rule_is_a_usage_error() -> None:
    result = invoke(["rule", "SHP999"])
    assert result.exit_code == 2
    assert "SHP999" in result.stderr and "Traceback" not in result.output


def test_spec_still_prints_json(buggy: Path) -> None:
    result = invoke(["spec", "."])
    assert result.exit_code == 0
    specs = json.loads(result.stdout)
    assert any(name.endswith("Svc") for name in specs)


def test_spec_missing_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(["spec", "nothere"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "pkgcheck: error: nothere: no such file or directory"


# -- exit statuses ----------------------------------------------------------------------------


def test_clean_package_exits_0(clean: Path) -> None:
    result = invoke(["."])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "passed" in result.stderr


def test_findings_exit_1_with_a_summary_on_stderr(buggy: Path) -> None:
    result = invoke(["."])
    assert result.exit_code == 1
    assert "1 problem" in result.stderr
    assert "problem" not in result.stdout


def test_missing_path_is_a_finding_and_the_rest_is_checked(clean: Path) -> None:
    """As flake8's and ruff's E902: the typo is reported where it is, the run goes on."""
    result = invoke([".", "foo"])
    assert result.exit_code == 1
    assert result.stdout == "foo:1:1: SHP001 cannot read: No such file or directory; nothing in this file is checked\n"


def test_missing_path_without_shp001_is_an_error(clean: Path) -> None:
    """Deselecting SHP001 must not turn a typo into a clean run."""
    result = invoke(["--select", "SHP101", ".", "foo"])
    assert result.exit_code == 2
    assert "pkgcheck: error: foo: no such file or directory" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["--select", "SHP999"],
        ["--ignore", "SHP9"],
        ["--extend-select", "E501"],
        ["--select", "SHP101,bogus"],
        ["--per-file-ignores", "api.py:SHP999"],
        ["--per-file-ignores", "api.py"],
    ],
)
def test_unknown_codes_exit_2(buggy: Path, args: list) -> None:
    result = invoke([*args, "."])
    assert result.exit_code == 2
    assert result.stderr.startswith("pkgcheck: error: ")
    assert args[0] in result.stderr
    assert "Traceback" not in result.output


def test_bad_option_is_a_usage_error(buggy: Path) -> None:
    result = invoke(["--format", "xml", "."])
    assert result.exit_code == 2


def test_steamship_path_without_steamship_exits_2(buggy: Path, tmp_path: Path) -> None:
    result = invoke(["--steamship-path", str(tmp_path), "."])
    assert result.exit_code == 2
    assert "--steamship-path" in result.stderr


def test_directory_without_python_files_is_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path / "empty", {"README.md": "nothing here\n"})
    monkeypatch.chdir(tmp_path / "empty")
    result = invoke(["."])
    assert result.exit_code == 0
    assert "no Python files" in result.stderr
    assert result.stdout == ""
    as_json = invoke(["--format", "json", "."])
    assert as_json.exit_code == 0
    assert json_report(as_json) == []


def test_unparsable_file_is_a_finding_not_an_internal_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(
        tmp_path / "p", {"api.py": BUGGY, "broken.py": "from steamship import x\ndef f(:\n"}
    )
    monkeypatch.chdir(tmp_path / "p")
    result = invoke(["."])
    assert result.exit_code == 1
    assert ("broken.py", 2, "SHP001") in findings(result.stdout)
    assert ("api.py", 5, "SHP101") in findings(result.stdout)
    assert "bug" not in result.stderr
    ignored = invoke(["--ignore", "SHP001", "broken.py"])
    assert ignored.exit_code == 0


#: A file that mentions neither steamship nor invoke_later, and does not parse (or decode).
UNRELATED_BROKEN = {
    "syntax": b"def helper(:\n    return 1\n",
    "encoding": b"# notes\nTEXT = '\xff\xfe not utf-8'\n",
}


@pytest.mark.parametrize("problem", sorted(UNRELATED_BROKEN))
def test_a_file_named_explicitly_that_does_not_parse_is_reported_whatever_it_holds(
    clean: Path, problem: str
) -> None:
    """flake8 says E999 for it: the CLI must not say "All checks passed" because the file
    does not mention steamship (pre-commit names every staged file so)."""
    (clean / "helpers.py").write_bytes(UNRELATED_BROKEN[problem])
    result = invoke(["helpers.py"])
    assert result.exit_code == 1, result.output
    assert [(path, code) for path, _, code in findings(result.stdout)] == [("helpers.py", "SHP001")]
    together = invoke(["--format", "json", "api.py", "helpers.py"])
    assert [(r["path"], r["code"]) for r in json_report(together)] == [("helpers.py", "SHP001")]


def test_a_file_named_explicitly_that_parses_adds_no_findings(clean: Path) -> None:
    (clean / "helpers.py").write_text("def helper(x):\n    return x\n", encoding="utf-8")
    result = invoke(["helpers.py", "api.py"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_a_walk_still_parses_only_the_files_that_may_matter(clean: Path) -> None:
    """Directories are walked with the prefilter (README: files found by walking that do not
    mention steamship are not parsed): an unrelated broken file there is not read as Python."""
    (clean / "helpers.py").write_bytes(UNRELATED_BROKEN["syntax"])
    result = invoke(["--no-cache", "."])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_spec_of_a_directory_without_python_files_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path / "empty", {"README.md": "nothing here\n"})
    monkeypatch.chdir(tmp_path / "empty")
    for args in (["spec", "."], ["spec", "--format", "openapi", "."]):
        result = invoke(args)
        assert result.exit_code == 0
        assert json.loads(result.stdout) == {}  # stdout stays valid JSON
        assert result.stderr == "pkgcheck: note: no Python files to check in .\n"


def test_rule_crash_exits_2_names_the_rule_and_keeps_other_findings(
    buggy: Path, temp_rules
) -> None:
    temp_rules("SHP997", crash=True)
    result = invoke(["."])
    assert result.exit_code == 2
    assert findings(result.stdout) == [("api.py", 5, "SHP101")]
    errors = [line for line in result.stderr.splitlines() if "SHP997" in line]
    assert len(errors) == 1
    assert "report" in errors[0] and "ZeroDivisionError" in errors[0]
    assert "Traceback" not in result.output
    verbose = invoke(["-v", "."])
    assert verbose.exit_code == 2
    assert "Traceback" in verbose.stderr and "boom in a test rule" in verbose.stderr


def test_rule_crash_exits_2_even_with_exit_zero(buggy: Path, temp_rules) -> None:
    temp_rules("SHP997", crash=True)
    assert invoke(["--exit-zero", "."]).exit_code == 2


def test_internal_parse_failure_exits_2(buggy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Project.load_path

    def load_path(self: Project, path: Path, name=None):  # type: ignore[no-untyped-def]
        if Path(path).name == "api.py":
            return ParseFailure(
                str(Path(os.path.abspath(path))),
                "internal error while analysing this file",
                internal=True,
            )
        return real(self, path, name)

    monkeypatch.setattr(Project, "load_path", load_path)
    result = invoke(["."])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if "api.py" in line]
    assert len(lines) == 1 and "report" in lines[0]
    assert "Traceback" not in result.output


def test_unexpected_exception_is_one_line_traceback_only_with_verbose(
    buggy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(linter.run.engine, "check_group", explode)
    result = invoke(["."])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "engine exploded" in result.stderr and "report" in result.stderr
    assert "Traceback" not in result.output
    verbose = invoke(["-v", "."])
    assert verbose.exit_code == 2
    assert "Traceback" in verbose.stderr


def test_exit_zero(buggy: Path) -> None:
    result = invoke(["--exit-zero", "."])
    assert result.exit_code == 0
    assert findings(result.stdout) == [("api.py", 5, "SHP101")]


def test_quiet_prints_only_the_findings(buggy: Path) -> None:
    result = invoke(["-q", "."])
    assert result.exit_code == 1
    assert findings(result.stdout) == [("api.py", 5, "SHP101")]
    assert result.stderr == ""


# -- paths ------------------------------------------------------------------------------------


def test_paths_are_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path / "proj", {"pkg/api.py": BUGGY})
    monkeypatch.chdir(tmp_path)
    result = invoke(["proj"])
    assert findings(result.stdout) == [("proj/pkg/api.py", 5, "SHP101")]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    absolute = invoke([str(tmp_path / "proj")])
    assert findings(absolute.stdout) == [((tmp_path / "proj/pkg/api.py").as_posix(), 5, "SHP101")]


def test_only_named_files_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path / "p", {"one.py": BUGGY, "two.py": BUGGY})
    monkeypatch.chdir(tmp_path / "p")
    assert [f[0] for f in findings(invoke(["two.py"]).stdout)] == ["two.py"]
    assert [f[0] for f in findings(invoke(["."]).stdout)] == ["one.py", "two.py"]


def test_default_excludes_and_exclude_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path / "p", {"api.py": BUGGY, "build/gen.py": BUGGY, "legacy/old.py": BUGGY})
    monkeypatch.chdir(tmp_path / "p")
    assert {f[0] for f in findings(invoke(["."]).stdout)} == {"api.py", "legacy/old.py"}
    extended = invoke(["--extend-exclude", "legacy", "."])
    assert {f[0] for f in findings(extended.stdout)} == {"api.py"}
    anchored = invoke(["--extend-exclude", "./legacy/old.py", "."])
    assert {f[0] for f in findings(anchored.stdout)} == {"api.py"}
    replaced = invoke(["--exclude", "legacy", "."])  # build/ is no longer excluded
    assert {f[0] for f in findings(replaced.stdout)} == {"api.py", "build/gen.py"}


def test_cache_is_on_by_default_and_changes_nothing(buggy: Path) -> None:
    plain = invoke(["--no-cache", "."])
    assert not (buggy / ".pkgcheck_cache").exists()
    first = invoke(["."])
    assert (buggy / ".pkgcheck_cache" / "CACHEDIR.TAG").is_file()
    second = invoke(["."])
    assert plain.stdout == first.stdout == second.stdout
    assert plain.exit_code == first.exit_code == second.exit_code == 1


# -- code selection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, reported",
    [
        ([], True),
        (["--select", "SHP1"], True),
        (["--select", "SHP10"], True),
        (["--select", "shp101"], True),
        (["--select", "SHP"], True),
        (["--select", "ALL"], True),
        (["--select", "SHP3"], False),
        (["--select", "SHP3", "--select", "SHP101"], True),  # repeatable
        (["--select", "SHP3,SHP101"], True),
        (["--ignore", "SHP1"], False),
        (["--ignore", "SHP101"], False),
        (["--ignore", "ALL"], False),
        (["--ignore", "SHP3"], True),
        (["--select", "SHP101", "--ignore", "SHP1"], True),  # the more specific selector wins
        (["--select", "SHP1", "--ignore", "SHP101"], False),
        (["--select", "SHP101", "--ignore", "SHP101"], False),  # a tie: ignore wins
        (["--select", "SHP3", "--extend-select", "SHP1"], True),
    ],
)
def test_select_and_ignore_prefixes(buggy: Path, args: list, reported: bool) -> None:
    result = invoke([*args, "."])
    assert result.exit_code == (1 if reported else 0)
    assert bool(findings(result.stdout)) == reported


@pytest.mark.parametrize(
    "args, runs",
    [
        ([], False),
        (["--select", "SHP9"], False),
        (["--extend-select", "SHP99"], False),
        (["--select", "SHP"], False),
        (["--extend-select", "SHP991"], True),
        (["--select", "SHP991"], True),
        (["--select", "ALL"], True),
        (["--select", "ALL", "--ignore", "SHP9"], False),
        (["--extend-select", "SHP991", "--ignore", "SHP9"], True),
    ],
)
def test_opt_in_rules_need_their_exact_code_or_all(
    buggy: Path, temp_rules, args: list, runs: bool
) -> None:
    temp_rules("SHP991", opt_in=True)
    temp_rules("SHP992")  # a default rule of the same family, so the prefixes are valid
    result = invoke([*args, "."])
    codes = {f[2] for f in findings(result.stdout)}
    assert ("SHP991" in codes) == runs


def test_per_file_ignores_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path / "p", {"api.py": BUGGY, "sub/deep/api2.py": BUGGY, "other.py": BUGGY})
    monkeypatch.chdir(tmp_path / "p")

    def reported(*mapping: str) -> set:
        args = [item for value in mapping for item in ("--per-file-ignores", value)]
        return {f[0] for f in findings(invoke([*args, "."]).stdout)}

    everything = {"api.py", "sub/deep/api2.py", "other.py"}
    assert reported() == everything
    assert reported("api.py:SHP101") == everything - {"api.py"}
    assert reported("api*.py:SHP1") == {"other.py"}  # a bare pattern matches file names anywhere
    assert reported("sub/*:SHP101") == everything - {"sub/deep/api2.py"}
    assert reported("sub/:SHP101") == everything - {
        "sub/deep/api2.py"
    }  # a directory covers its files
    assert reported("other.py:SHP3") == everything  # other codes
    assert reported("api.py,other.py:SHP101 sub/*:ALL") == set()
    assert reported("api.py:SHP101", "other.py:SHP101") == {"sub/deep/api2.py"}


# -- output -----------------------------------------------------------------------------------


def test_statistics_in_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path / "p", {"one.py": BUGGY, "two.py": BUGGY})
    monkeypatch.chdir(tmp_path / "p")
    result = invoke(["--statistics", "."])
    assert result.exit_code == 1
    assert re.search(r"^2\s+SHP101\s+duplicate-route$", result.stdout, re.M)
    assert len(findings(result.stdout)) == 2


def test_statistics_keep_machine_output_valid(buggy: Path) -> None:
    result = invoke(["--statistics", "--format", "json", "."])
    assert [item["code"] for item in json_report(result)] == ["SHP101"]
    assert re.search(r"^1\s+SHP101\s+duplicate-route$", result.stderr, re.M)


def test_output_file(buggy: Path) -> None:
    target = buggy / "reports" / "pkgcheck.json"
    result = invoke(["--format", "json", "--output-file", str(target), "."])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "1 problem" in result.stderr
    assert [item["code"] for item in json.loads(target.read_text(encoding="utf-8"))] == ["SHP101"]
    assert sorted(p.name for p in target.parent.iterdir()) == ["pkgcheck.json"]  # no temp file left


def test_output_file_replaces_and_keeps_the_mode(buggy: Path) -> None:
    target = buggy / "report.txt"
    target.write_text("old report that is much longer than the new one\n" * 50, encoding="utf-8")
    target.chmod(0o640)
    invoke(["--output-file", "report.txt", "."])
    text = target.read_text(encoding="utf-8")
    assert findings(text) == [("api.py", 5, "SHP101")]
    assert "old report" not in text
    if os.name == "posix":
        assert target.stat().st_mode & 0o777 == 0o640


def test_output_file_never_partially_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.txt"
    target.write_text("previous\n", encoding="utf-8")

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_atomically(target, "new\n")
    assert target.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]


def test_unwritable_output_file_exits_2(buggy: Path) -> None:
    (buggy / "adir").mkdir()
    assert invoke(["--output-file", "adir", "."]).exit_code == 2  # a directory
    (buggy / "afile").write_text("", encoding="utf-8")
    result = invoke(["--output-file", "afile/report.txt", "."])  # a file where a directory must be
    assert result.exit_code == 2
    assert result.stderr.startswith("pkgcheck: error: ")
    assert "Traceback" not in result.output


def test_github_format(buggy: Path) -> None:
    result = invoke(["--format", "github", "."])
    assert result.exit_code == 1
    (line,) = result.stdout.splitlines()
    assert re.fullmatch(
        r"::error file=api\.py,line=5,col=5,endLine=5,endColumn=\d+,title=SHP101::POST /a .+", line
    )


def test_no_colour_when_not_a_terminal(buggy: Path) -> None:
    assert "\x1b[" not in invoke(["."]).output


def test_should_color(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal:
        def isatty(self) -> bool:
            return True

    class Pipe:
        def isatty(self) -> bool:
            return False

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert should_color(Terminal())
    assert not should_color(Pipe())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not should_color(Terminal())


# -- real processes ---------------------------------------------------------------------------


def test_subprocess_text_and_exit_status(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", {"api.py": BUGGY})
    result = run_module(["."], root)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[0].startswith("api.py:5:5: SHP101 ")
    assert "Traceback" not in result.stderr


def test_subprocess_json(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", {"api.py": BUGGY})
    result = run_module(["check", "--format", "json", "-q", "api.py"], root)
    assert result.returncode == 1, result.stderr
    (item,) = json.loads(result.stdout)
    assert (item["path"], item["line"], item["column"], item["code"]) == ("api.py", 5, 5, "SHP101")


def test_subprocess_usage_errors(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", {"api.py": CLEAN})
    missing = run_module(["foo"], root)
    assert missing.returncode == 1
    assert missing.stdout.startswith("foo:1:1: SHP001 cannot read: No such file or directory")
    unknown = run_module(["--select", "SHP999", "."], root)
    assert unknown.returncode == 2 and "SHP999" in unknown.stderr
    assert "Traceback" not in missing.stderr + unknown.stderr
    clean = run_module(["."], root)
    assert clean.returncode == 0 and clean.stdout == ""


def test_subprocess_version_and_help(tmp_path: Path) -> None:
    version = run_module(["--version"], tmp_path)
    assert version.returncode == 0 and __version__ in version.stdout
    usage = run_module(["--help"], tmp_path)
    assert usage.returncode == 0 and "pkgcheck" in usage.stdout


def test_the_console_entry_ends_with_the_status_and_the_whole_output(tmp_path: Path) -> None:
    """``python -m linter`` and the ``pkgcheck`` script end the process without Python's
    teardown (:func:`linter.frontends.cli.main.run`): the status is still the command's, and
    every line written reaches a pipe, however many."""
    many = make_project(tmp_path / "many", {"api.py": "\n".join(
        ["from steamship.invocable import PackageService, post", "class Svc(PackageService):"]
        + [f'    @post("r{n}")\n    def r{n}(self) -> str: return ""\n    @post("/r{n}")\n'
           f'    def s{n}(self) -> str: return ""' for n in range(400)]
    ) + "\n"})
    result = run_module(["--no-cache", "--format", "json", "."], many)
    assert result.returncode == 1, result.stderr
    assert [item["code"] for item in json.loads(result.stdout)] == ["SHP101"] * 400
    clean = make_project(tmp_path / "clean", {"api.py": CLEAN})
    assert run_module(["--no-cache", "."], clean).returncode == 0
    wrong = run_module(["--no-such-option", "."], clean)
    assert wrong.returncode == 2 and "No such option" in wrong.stderr
    assert run_module(["--version"], clean).stdout.strip() == f"pkgcheck, version {__version__}"


def test_the_console_entry_runs_the_command_with_the_analysis_collector_thresholds(tmp_path: Path) -> None:
    """The imports of the engine and LibCST, made while the command runs, are not slowed by
    CPython's default collections: :func:`linter.frontends.cli.main.run` raises the thresholds
    before the command starts."""
    script = (
        "import gc, linter.frontends.cli.main as cli\n"
        "from linter.run.collector import GC_THRESHOLDS\n"
        "print(gc.get_threshold()[0] < GC_THRESHOLDS[0])\n"
        "def command(**_):\n"
        "    print(all(now >= ours for now, ours in zip(gc.get_threshold(), GC_THRESHOLDS)))\n"
        "cli.main = command\n"
        "cli.run()\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-c", script], cwd=str(tmp_path), env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
