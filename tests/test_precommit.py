"""The pre-commit hook (``.pre-commit-hooks.yaml``), run by real pre-commit on a real git repo.

The hook repository is a fresh git repository holding a snapshot of this working tree (tracked
and untracked files, minus what .gitignore ignores), so uncommitted work is what gets tested.
pre-commit installs it the way users get it (``language: python``: a virtualenv and ``pip
install`` of the snapshot, which needs PyPI or a pip cache): ``pre-commit try-repo`` into a
fresh store on every call (one test), ``pre-commit run`` with a ``.pre-commit-config.yaml`` once
per test session into a temporary ``PRE_COMMIT_HOME``. Each install measured about 12-15 s here
with a warm pip cache.

The repository under test holds a buggy two-file package (tests/plugin_data/mixin_conflict):
its findings in api.py need mixins.py, so the hook must read unstaged and untracked files of
the project from disk while reporting only for the files pre-commit hands it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

from linter.run.engine import check
from rules import default_codes, load_all

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = REPO_ROOT / "tests" / "plugin_data" / "mixin_conflict"
HOOKS_FILE = REPO_ROOT / ".pre-commit-hooks.yaml"
INSTALL_TIMEOUT_S = 900
FINDING = re.compile(r"^(?P<path>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): (?P<code>SHP\d{3}) ", re.MULTILINE)

FIXED_API = '''\
"""The same package, fixed: the mixin is added, its route not shadowed, invoke_later right."""
from steamship.invocable import PackageService, post

from mixins import ExportMixin


class Exporter(PackageService):
    USED_MIXIN_CLASSES = [ExportMixin]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_mixin(ExportMixin())

    @post("export_json")
    def export_json(self, fmt: str = "json") -> str:
        return fmt

    @post("refresh")
    def refresh(self, scope: str) -> str:
        self.invoke_later("export_json", arguments={"fmt": scope})
        return "queued"
'''


def git_env(home: Path) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME="pkgcheck tests",
        GIT_AUTHOR_EMAIL="tests@pkgcheck.invalid",
        GIT_COMMITTER_NAME="pkgcheck tests",
        GIT_COMMITTER_EMAIL="tests@pkgcheck.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,  # no user hooks, signing or templates
        PRE_COMMIT_HOME=str(home),
        PRE_COMMIT_COLOR="never",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def git(env: Dict[str, str], cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=str(cwd), env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout


def working_tree_files() -> List[str]:
    """This repository's files as a commit of the working tree would hold them."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=str(REPO_ROOT), capture_output=True, timeout=120, check=True,
        ).stdout.decode("utf-8", "surrogateescape")
        names = [name for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (an sdist)
        names = [
            p.relative_to(REPO_ROOT).as_posix()
            for p in REPO_ROOT.rglob("*")
            if p.is_file() and not any(part in ("__pycache__", ".git") for part in p.parts)
        ]
    return [name for name in names if (REPO_ROOT / name).is_file()]


@pytest.fixture(scope="session")
def precommit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, precommit_home: Path) -> Path:
    """A git repository holding the working tree's current state, committed."""
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pytest.fail("pre-commit is not installed in the test interpreter (pip install -e '.[test]')", pytrace=False)
    snapshot = tmp_path_factory.mktemp("pkgcheck-snapshot")
    for name in working_tree_files():
        target = snapshot / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, target)
    env = git_env(precommit_home)
    git(env, snapshot, "init", "-q")
    git(env, snapshot, "add", "-A")
    git(env, snapshot, "commit", "-q", "--no-verify", "-m", "working tree snapshot")
    return snapshot


@pytest.fixture()
def project(tmp_path: Path, precommit_home: Path) -> Tuple[Path, Dict[str, str]]:
    """A git repository holding the buggy package's files, nothing staged yet."""
    root = tmp_path / "project"
    shutil.copytree(PACKAGE, root, ignore=shutil.ignore_patterns("__pycache__", "*.md"))
    env = git_env(precommit_home)
    git(env, root, "init", "-q")
    return root, env


def try_repo(hook_repo: Path, root: Path, env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``pre-commit try-repo``: what a hook author runs; it installs into a fresh store each time."""
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "pkgcheck", "--verbose", *args],
        cwd=str(root), env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S,
    )


def run_hook(hook_repo: Path, root: Path, env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``pre-commit run`` with the hook in .pre-commit-config.yaml, as users set it up; the hook's
    environment is installed once into the session's PRE_COMMIT_HOME."""
    rev = git(env, hook_repo, "rev-parse", "HEAD").strip()
    config = root / ".pre-commit-config.yaml"
    config.write_text(
        f"repos:\n  - repo: {hook_repo.as_posix()}\n    rev: {rev}\n    hooks:\n      - id: pkgcheck\n",
        encoding="utf-8",
    )
    git(env, root, "add", config.name)  # pre-commit refuses an unstaged config
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--verbose", *args],
        cwd=str(root), env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S,
    )


def findings(output: str) -> Set[Tuple[str, int, str]]:
    return {(m["path"], int(m["line"]), m["code"]) for m in FINDING.finditer(output)}


def engine_findings(root: Path, name: str) -> Set[Tuple[str, int, str]]:
    registry = load_all()
    report = check([root], enabled=default_codes())
    return {
        (Path(v.path).name, v.line, v.code)
        for v in report.violations
        if Path(v.path) == root / name and registry[v.code].only != "cli"
    }


def test_hook_manifest_is_valid() -> None:
    from pre_commit.clientlib import load_manifest

    hooks = load_manifest(str(HOOKS_FILE))
    assert [hook["id"] for hook in hooks] == ["pkgcheck"]
    hook = hooks[0]
    assert hook["name"] == "pkgcheck"
    # "check" explicitly: a staged file named like a subcommand (rules, spec) is still a path
    assert hook["entry"] == "pkgcheck check"
    assert hook["language"] == "python"
    # steamship.json is checked too (SHP5xx); other staged JSON files are passed and ignored
    assert hook["types_or"] == ["python", "json"]
    assert hook["require_serial"] is True
    assert hook["description"]
    assert hook["pass_filenames"] is True


def test_only_the_staged_file_is_reported_with_context_from_untracked_files(
    hook_repo: Path, project: Tuple[Path, Dict[str, str]]
) -> None:
    root, env = project
    git(env, root, "add", "api.py")  # mixins.py and steamship.json stay untracked
    result = try_repo(hook_repo, root, env)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "pkgcheck" in output and "Failed" in output, output
    got = findings(output)
    assert got == engine_findings(root, "api.py"), output
    assert {("api.py", 8, "SHP301"), ("api.py", 19, "SHP401")} <= got, output


def test_files_option_reports_that_file_only(hook_repo: Path, project: Tuple[Path, Dict[str, str]]) -> None:
    root, env = project
    git(env, root, "add", "-A")
    git(env, root, "commit", "-q", "--no-verify", "-m", "buggy package")
    result = run_hook(hook_repo, root, env, "--files", "api.py")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert findings(output) == engine_findings(root, "api.py"), output
    # mixins.py alone: its own findings only, though it is part of a buggy package.
    other = run_hook(hook_repo, root, env, "--files", "mixins.py")
    want = engine_findings(root, "mixins.py")
    assert findings(other.stdout + other.stderr) == want, other.stdout + other.stderr
    assert other.returncode == (1 if want else 0), other.stdout + other.stderr


def test_staged_text_is_checked_not_the_unstaged_fix(hook_repo: Path, project: Tuple[Path, Dict[str, str]]) -> None:
    """pre-commit stashes unstaged edits: the buggy staged api.py is what gets checked."""
    root, env = project
    buggy = (root / "api.py").read_text(encoding="utf-8")
    (root / "api.py").write_text(FIXED_API, encoding="utf-8")
    git(env, root, "add", "-A")
    git(env, root, "commit", "-q", "--no-verify", "-m", "fixed package")
    (root / "api.py").write_text(buggy, encoding="utf-8")
    git(env, root, "add", "api.py")
    (root / "api.py").write_text(FIXED_API, encoding="utf-8")  # fixed again, not staged
    result = run_hook(hook_repo, root, env)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert {("api.py", 8, "SHP301"), ("api.py", 19, "SHP401")} <= findings(output), output
    assert (root / "api.py").read_text(encoding="utf-8") == FIXED_API  # pre-commit restored it


def test_fixed_package_passes(hook_repo: Path, project: Tuple[Path, Dict[str, str]]) -> None:
    root, env = project
    (root / "api.py").write_text(FIXED_API, encoding="utf-8")
    git(env, root, "add", "-A")
    result = run_hook(hook_repo, root, env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Passed" in output and not findings(output), output


def test_flake8_hook_with_the_plugin_reports_the_staged_file_in_context(
    hook_repo: Path, project: Tuple[Path, Dict[str, str]]
) -> None:
    """The README's other set-up: flake8 under pre-commit with pkgcheck installed beside it."""
    root, env = project
    config = root / ".pre-commit-config.yaml"
    config.write_text(
        "repos:\n"
        "  - repo: local\n"
        "    hooks:\n"
        "      - id: flake8-pkgcheck\n"
        "        name: flake8 (pkgcheck)\n"
        "        entry: flake8 --select SHP\n"
        "        language: python\n"
        "        types: [python]\n"
        "        require_serial: true\n"
        f"        additional_dependencies: ['{hook_repo.as_posix()}']\n",
        encoding="utf-8",
    )
    git(env, root, "add", "api.py", config.name)  # mixins.py stays untracked
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--verbose"],
        cwd=str(root), env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert findings(output) == engine_findings(root, "api.py"), output


def test_staged_files_of_two_packages_are_each_checked_in_their_own_project(
    hook_repo: Path, tmp_path: Path, precommit_home: Path
) -> None:
    """pre-commit hands the hook every staged file at once, from anywhere in the repository:
    each package is analysed as its own project (its steamship.json marks it), so b's mixin
    conflict is reported though a's files come first; and a staged helper that does not parse
    fails the hook whether or not it mentions steamship."""
    root = tmp_path / "packages"
    for name in ("a", "b"):
        shutil.copytree(PACKAGE, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.md"))
    mixins = root / "a" / "mixins.py"  # a's mixin route no longer collides: no SHP301 in a
    mixins.write_text(mixins.read_text(encoding="utf-8").replace('"export"', '"export_csv"'), encoding="utf-8")
    (root / "tools").mkdir()
    (root / "tools" / "helper.py").write_text("def helper(:\n    return 1\n", encoding="utf-8")
    env = git_env(precommit_home)
    git(env, root, "init", "-q")
    git(env, root, "add", "-A")
    result = run_hook(hook_repo, root, env)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    registry = load_all()
    want = {("tools/helper.py", 1, "SHP001")}
    for name in ("a", "b"):
        report = check([root / name], enabled=default_codes())
        want |= {
            (Path(v.path).relative_to(root).as_posix(), v.line, v.code)
            for v in report.violations
            if registry[v.code].only != "cli"
        }
    assert ("b/api.py", 8, "SHP301") in want and ("a/api.py", 8, "SHP301") not in want
    assert findings(output) == want, output
