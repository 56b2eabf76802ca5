"""The README's two set-up commands are the ones CI and users run: keep them true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = setup_commands()
    assert len(commands) == 2
    assert "examples/support_bot" in commands[0] and "pkgcheck" in commands[0]
    assert "pytest" in commands[1]
    assert (ROOT / "examples" / "support_bot").is_dir()


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert setup_commands()[1] in ci


def test_readme_shows_what_pkgcheck_prints_on_the_example(monkeypatch) -> None:
    from cli_support import invoke

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```text\n$ pkgcheck examples/support_bot\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(ROOT)
    result = invoke(["--no-cache", "examples/support_bot"])
    assert result.exit_code == 1
    printed = result.stdout + result.stderr  # the findings, then the summary
    assert block.splitlines() == [line for line in printed.splitlines() if line.strip()]
