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


def _blocks(language: str):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def test_readme_configuration_is_accepted_as_pasted(tmp_path: Path) -> None:
    from linter.frontends.config import load_config
    from rules import load_all

    (toml,) = [block for block in _blocks("toml") if "[tool.pkgcheck]" in block]
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8")
    settings = load_config(tmp_path / "pyproject.toml", set(load_all()))
    assert settings is not None


def test_readme_flake8_configuration_is_accepted_as_pasted(tmp_path: Path) -> None:
    import subprocess
    import sys

    (ini,) = [block for block in _blocks("ini") if "[flake8]" in block]
    (tmp_path / "setup.cfg").write_text(ini, encoding="utf-8")
    (tmp_path / "ok.py").write_text("x = 1\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "ok.py"], cwd=str(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
