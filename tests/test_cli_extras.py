"""The CLI surface of issue 7: ``spec --format openapi``, ``diff``, ``check --fix/--diff``."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest
from openapi_spec_validator import validate

from cli_support import FIXABLE, invoke, make_project
FIXTURES = Path(__file__).parent / "fixtures"

SOURCE = FIXABLE


def test_spec_openapi_one_package(tmp_path: Path) -> None:
    result = invoke(
        [
            "spec",
            "--format",
            "openapi",
            "--package",
            "TargetedTranslator",
            str(FIXTURES / "override_path_spelling"),
        ]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    validate(document)
    assert list(document["paths"]) == ["/translate"]
    every = json.loads(
        invoke(["spec", "--format", "openapi", str(FIXTURES / "override_path_spelling")]).stdout
    )
    assert sorted(every) == ["api.TargetedTranslator", "api.Translator"]
    unknown = invoke(["spec", "--package", "Nope", str(FIXTURES / "override_path_spelling")])
    assert unknown.exit_code == 2


def test_check_diff_then_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(tmp_path / "proj", {"api.py": SOURCE})
    monkeypatch.chdir(root)
    shown = invoke(["check", "--diff", "."])
    assert shown.exit_code == 1
    assert '+        self.invoke_later("report", verb=Verb.GET)' in shown.stdout
    assert (root / "api.py").read_text(encoding="utf-8") == SOURCE
    fixed = invoke(["check", "--fix", "."])
    assert fixed.exit_code == 0, fixed.output
    assert "verb=Verb.GET" in (root / "api.py").read_text(encoding="utf-8")
    assert invoke(["check", "--diff", "."]).exit_code == 0  # nothing left to fix


def test_diff_exit_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(tmp_path / "repo", {"api.py": SOURCE})
    run = lambda *args: subprocess.run(  # noqa: E731
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )
    run("init", "-q")
    run("add", "-A")
    run("commit", "-qm", "one")
    (root / "api.py").write_text(
        SOURCE.replace('@get("report")', '@post("report")'), encoding="utf-8"
    )
    run("commit", "-qam", "two")
    monkeypatch.chdir(root)
    breaking = invoke(["diff", "HEAD~1"])
    assert breaking.exit_code == 1
    assert "verb-changed" in invoke(["diff", "HEAD~1", "--format", "json"]).stdout
    assert invoke(["diff", "HEAD", "HEAD"]).exit_code == 0
    assert invoke(["diff", "no-such-revision"]).exit_code == 2


def file_hashes(root: Path) -> Dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("flags", [["--fix"], ["--fix", "--unsafe-fixes"]], ids=["safe", "unsafe"])
def test_fixing_the_fixtures_adds_no_finding_and_is_idempotent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: list
) -> None:
    """Done-when of issue 7: fixes leave the fixtures clean — no new finding — and a second
    --fix writes nothing."""
    root = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, root)
    originals = {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8", errors="replace")
        for p in root.rglob("*.py")
    }
    monkeypatch.chdir(root)
    report = invoke(["check", "--no-cache", "--format", "json", "."])
    assert report.exit_code == 1, report.output
    before = json.loads(report.stdout)

    fixing = invoke(["check", "--no-cache", "--format", "json", *flags, "."])
    assert fixing.exit_code == 1, fixing.output
    assert "Traceback" not in fixing.output
    after = json.loads(fixing.stdout)  # the re-check the --fix run makes
    count = re.search(r"fixed (\d+) problems? in \d+ files?", fixing.stderr)
    assert count is not None, fixing.stderr
    changed = {
        path for path, text in originals.items()
        if (root / path).read_text(encoding="utf-8", errors="replace") != text
    }  # fmt: skip

    def key(finding: dict) -> Tuple[str, str, Optional[int]]:
        # a fix that adds an import moves the lines below it: compare those files by code only
        path = finding["path"]
        moved = path in changed and len(originals[path].splitlines()) != len(
            (root / path).read_text(encoding="utf-8").splitlines()
        )
        return path, finding["code"], None if moved else finding["line"]

    added = Counter(map(key, after)) - Counter(map(key, before))
    removed = Counter(map(key, before)) - Counter(map(key, after))
    assert added == Counter(), "a fix added findings"
    assert sum(removed.values()) == int(count.group(1))
    wanted = {"SHP103", "SHP108", "SHP404"} | ({"SHP401"} if "--unsafe-fixes" in flags else set())
    assert {code for _, code, _ in removed} == wanted
    assert {path for path, _, _ in removed} == changed

    # idempotent: a second run writes no byte, and there is nothing left to fix
    hashes = file_hashes(root)
    again = invoke(["check", "--no-cache", *flags, "."])
    assert again.exit_code == 1
    assert "pkgcheck: fixed" not in again.stderr
    assert file_hashes(root) == hashes
    shown = invoke(["check", "--no-cache", "--diff", *flags[1:], "."])
    assert (shown.exit_code, shown.stdout) == (0, "")


def test_fix_says_why_an_unsafe_fix_was_not_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "shp401_unknown_route"
    shutil.copytree(FIXTURES / "shp401_unknown_route", root)
    monkeypatch.chdir(root)
    result = invoke(["check", "--no-cache", "--fix", "--unsafe-fixes", "."])
    assert result.exit_code == 1
    assert (
        "pkgcheck: not fixed: api.py:21:16: SHP401: POST /upload is the route this call is in"
        in result.stderr
    )
    assert "fixed 2 problems in 1 file" in result.stderr
