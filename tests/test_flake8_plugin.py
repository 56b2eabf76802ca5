"""The flake8 plugin, run through real flake8 subprocesses, against the engine's own findings.

Needs pkgcheck installed in the interpreter running the tests (``pip install -e .``): flake8 finds
the ``SHP`` plugin through the package's entry point. Every flake8 run is ``--isolated`` (no
config file is read: the repository's setup.cfg excludes tests/fixtures) unless the test is about
a config file, which then lives in a temporary project.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, Optional, Sequence, Set, Tuple

import pytest

from linter.run.engine import DEFAULT_EXCLUDES, check

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib
from linter.project.files import iter_python_files
from rules import default_codes, load_all

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures"
PLUGIN_DATA = REPO_ROOT / "tests" / "plugin_data"
CONFLICT = PLUGIN_DATA / "mixin_conflict"
TIMEOUT_S = 300

# Tab-separated so messages (which hold ':' and spaces) parse unambiguously.
FORMAT = "%(path)s\t%(row)d\t%(col)d\t%(code)s\t%(text)s"

#: (relative path, line, column, code, message)
Finding = Tuple[str, int, int, str, str]


def fixture_dirs() -> List[Path]:
    if not FIXTURES_DIR.is_dir():
        return []
    return sorted(p for p in FIXTURES_DIR.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def flake8(
    args: Sequence[str],
    cwd: Path,
    stdin: Optional[str] = None,
    isolated: bool = True,
    select: Optional[str] = "SHP",
) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "flake8", "--format", FORMAT]
    if isolated:
        command.append("--isolated")
    if select is not None:
        command += ["--select", select]
    command += list(args)
    return subprocess.run(
        command,
        cwd=str(cwd),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


def parse(result: subprocess.CompletedProcess, base: Path, cwd: Path) -> Set[Finding]:
    """Findings of a flake8 run, with paths relative to ``base``; fails on crashes."""
    assert "Traceback" not in result.stderr, result.stderr
    assert "critical error" not in result.stdout, result.stdout
    assert result.returncode in (0, 1), (result.returncode, result.stdout, result.stderr)
    found = set()
    for line in result.stdout.splitlines():
        if not line.strip():
            continue
        path, row, col, code, text = line.split("\t", 4)
        full = Path(os.path.normpath(cwd / path))
        try:
            shown = full.relative_to(base).as_posix()
        except ValueError:
            shown = path
        found.add((shown, int(row), int(col), code, text))
    assert (result.returncode == 1) == bool(found), (result.returncode, result.stdout)
    return found


def expected(root: Path, enabled: Optional[Sequence[str]] = None) -> Set[Finding]:
    """What the engine reports for ``root``, as flake8 shows it (the plugin never emits SHP001)."""
    registry = load_all()
    report = check([root], enabled=list(enabled) if enabled is not None else default_codes())
    return {
        (
            Path(v.path).relative_to(root).as_posix(),
            v.line,
            v.column,
            v.code,
            " ".join(v.message.split()),
        )
        for v in report.violations
        # flake8 sees Python files only: findings in steamship.json are the CLI's
        if registry[v.code].only != "cli" and v.path.endswith(".py")
    }


def codes(found: Set[Finding]) -> Set[Tuple[str, int, str]]:
    return {(path, line, code) for path, line, _, code, _ in found}


def marked(directory: Path) -> Set[Tuple[str, int, str]]:
    """The ``# expect: CODE, CODE`` markers under ``directory``."""
    found = set()
    for path in iter_python_files([directory], DEFAULT_EXCLUDES):
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = re.search(r"#\s*expect:\s*([A-Z0-9, ]+)", text)
            if match:
                for code in re.split(r"[,\s]+", match.group(1).strip()):
                    found.add((path.relative_to(directory).as_posix(), number, code))
    return found


def copy_package(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.md"))
    return target


@pytest.fixture(scope="session", autouse=True)
def plugin_registered() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--version"], capture_output=True, text=True, timeout=TIMEOUT_S
    )
    if "pkgcheck" not in result.stdout:
        pytest.fail(
            "flake8 does not list the pkgcheck plugin: install the package into the test "
            f"interpreter first ({sys.executable} -m pip install -e {REPO_ROOT})\n{result.stdout}",
            pytrace=False,
        )


# -- the fixtures: flake8 reports what the engine reports ----------------------------------------


def test_every_fixture_is_its_own_project() -> None:
    dirs = fixture_dirs()
    assert dirs, f"no fixture directories under {FIXTURES_DIR}"
    missing = [d.name for d in dirs if not (d / "steamship.json").is_file()]
    assert not missing, f"fixtures without steamship.json (their project root would be the repo): {missing}"


@pytest.mark.parametrize("jobs", ["1", "2", "auto"])
def test_all_fixtures_in_one_run_match_the_engine(jobs: str) -> None:
    dirs = fixture_dirs()
    result = flake8(["-j", jobs, *[d.name for d in dirs]], cwd=FIXTURES_DIR)
    got = parse(result, FIXTURES_DIR, FIXTURES_DIR)
    want = {(f"{d.name}/{path}", *rest) for d in dirs for path, *rest in expected(d)}
    assert want, "the engine reports nothing on the fixtures: the comparison would be vacuous"
    assert got == want


def fixture_files(fixture: Path) -> List[str]:
    return [p.relative_to(fixture).as_posix() for p in iter_python_files([fixture], DEFAULT_EXCLUDES)]


def multi_file_fixtures() -> List[Path]:
    return [d for d in fixture_dirs() if len(fixture_files(d)) > 1]


def one_by_one(fixture: Path, files: Sequence[str]) -> Set[Finding]:
    """Findings of one flake8 process per file, each handed only that file."""
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool:
        runs = list(pool.map(lambda name: flake8(["-j1", name], cwd=fixture), files))
    got: Set[Finding] = set()
    for run in runs:
        got |= parse(run, fixture, fixture)
    return got


#: Runs flake8 once per job, each in a child forked from one interpreter that has imported
#: flake8, pkgcheck's plugin and LibCST but analysed nothing: every child starts as a fresh
#: ``python -m flake8`` would (no project analysed, nothing memoised), without paying the
#: imports again. Reads the jobs (cwd, argv) as JSON on stdin, prints the results as JSON.
FORKED_FLAKE8 = """
import importlib, json, os, shutil, sys, tempfile, traceback
import flake8.main.cli

# what a run imports (importing is not analysing: no module keeps state from it)
for name in (
    "concurrent.futures", "flake8.formatting.default", "flake8.plugins.pycodestyle",
    "flake8.plugins.pyflakes", "libcst", "libcst.native", "linter.run.checker", "linter.run.engine",
    "linter.frontends.flake8_plugin", "linter.sdk.pins", "linter.project.scope", "linter.semantic.builder",
    "mccabe", "packaging.requirements", "rules",
):
    importlib.import_module(name)
sys.modules["rules"].load_all()  # imports the rule modules (they register on import)

jobs = json.load(sys.stdin)
parallel = max(1, min(int(sys.argv[1]), len(jobs)))
scratch = tempfile.mkdtemp(prefix="pkgcheck-forked-flake8-")
codes, running = {}, {}
sys.stdout.flush()
sys.stderr.flush()

def start(index):
    cwd, argv = jobs[index]
    pid = os.fork()
    if pid:
        running[pid] = index
        return
    code = 3
    try:
        for fd, name in ((1, "out"), (2, "err")):
            target = os.open(os.path.join(scratch, f"{index}.{name}"), os.O_WRONLY | os.O_CREAT)
            os.dup2(target, fd)
            os.close(target)
        os.chdir(cwd)
        code = flake8.main.cli.main(argv)
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

def reap():
    pid, status = os.wait()
    codes[running.pop(pid)] = os.waitstatus_to_exitcode(status)

for index in range(len(jobs)):
    while len(running) >= parallel:
        reap()
    start(index)
while running:
    reap()

def read(index, name):
    with open(os.path.join(scratch, f"{index}.{name}"), encoding="utf-8") as handle:
        return handle.read()

results = [[codes[i], read(i, "out"), read(i, "err")] for i in range(len(jobs))]
shutil.rmtree(scratch)
print(json.dumps(results))
"""


def flake8_each_alone(jobs: Sequence[Tuple[Path, Sequence[str]]]) -> List[subprocess.CompletedProcess]:
    """One flake8 run per ``(cwd, args)``, each in a process of its own that starts with
    nothing analysed (see :data:`FORKED_FLAKE8`); the arguments are those of :func:`flake8`."""
    if not hasattr(os, "fork"):  # pragma: no cover - a fresh interpreter per job instead
        return [flake8(list(args), cwd=cwd) for cwd, args in jobs]
    argv = [["--format", FORMAT, "--isolated", "--select", "SHP", *args] for _, args in jobs]
    result = subprocess.run(
        [sys.executable, "-c", FORKED_FLAKE8, str(min(4, os.cpu_count() or 2))],
        input=json.dumps([[str(cwd), a] for (cwd, _), a in zip(jobs, argv)]),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 0, result.stderr
    return [
        subprocess.CompletedProcess(["flake8", *a], code, out, err)
        for a, (code, out, err) in zip(argv, json.loads(result.stdout))
    ]


@pytest.fixture(scope="module")
def every_file_alone() -> dict:
    """For each multi-file fixture, the findings of flake8 handed each of its files alone
    (with the fixture's opt-in codes), gathered in one batch."""
    jobs = []
    for fixture in multi_file_fixtures():
        opt_ins = fixture_opt_ins(fixture)
        extra = ["--pkgcheck-extend-select", ",".join(opt_ins)] if opt_ins else []
        jobs += [(fixture, ["-j1", *extra, name]) for name in fixture_files(fixture)]
    found: dict = {}
    for (fixture, _), run in zip(jobs, flake8_each_alone(jobs)):
        found.setdefault(fixture.name, set()).update(parse(run, fixture, fixture))
    return found


@pytest.mark.parametrize("fixture", multi_file_fixtures(), ids=lambda p: p.name)
def test_every_file_of_a_multi_file_fixture_alone_matches_the_full_run(
    fixture: Path, every_file_alone: dict
) -> None:
    """flake8 handed one file of a package still sees the rest of it (loaded from disk), and
    reports for that file exactly what the whole run reports: no finding lost, none added in a
    file that is clean in the full run. Every file of every fixture with more than one, each in
    a fresh flake8 process (forked, see :func:`flake8_each_alone`; ``-m slow`` also runs every
    fixture with a fresh interpreter per file)."""
    want = expected(fixture, [*default_codes(), *fixture_opt_ins(fixture)])
    assert every_file_alone[fixture.name] == want


@pytest.mark.slow
@pytest.mark.parametrize("fixture", fixture_dirs(), ids=lambda p: p.name)
def test_fixture_file_by_file_matches_the_engine(fixture: Path) -> None:
    files = fixture_files(fixture)
    assert files
    assert one_by_one(fixture, files) == expected(fixture)


def fixture_opt_ins(fixture: Path) -> Tuple[str, ...]:
    """The opt-in codes a fixture enables in its own ``[tool.pkgcheck]`` (as test_fixtures
    reads them): the CLI reads them itself, flake8 is handed them per fixture."""
    pyproject = fixture / "pyproject.toml"
    if not pyproject.is_file():
        return ()
    section = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("pkgcheck", {})
    assert set(section) <= {"extend-select"}, f"{fixture.name}: settings flake8 is not handed"
    return tuple(sorted(section.get("extend-select", [])))


def test_one_cli_run_over_every_fixture_matches_flake8() -> None:
    """pre-commit hands the hook every staged file at once: one ``pkgcheck`` run over the
    fixtures directory (78 projects, some enabling opt-in rules in their own pyproject.toml)
    reports what flake8 reports for each fixture with that fixture's opt-in codes; the files
    the CLI reports as SHP001 are those flake8 reports as E999."""
    result = subprocess.run(
        [sys.executable, "-m", "linter", "check", "--format", "json", "--no-cache", "."],
        cwd=str(FIXTURES_DIR),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    cli = {(item["path"], item["line"], item["code"]) for item in json.loads(result.stdout)}
    by_opt_ins: dict = {}
    for fixture in fixture_dirs():
        by_opt_ins.setdefault(fixture_opt_ins(fixture), []).append(fixture.name)
    assert len(by_opt_ins) > 1, "no fixture opts in: the per-project settings go untested"
    flake8_found: Set[Finding] = set()
    for opt_ins, names in sorted(by_opt_ins.items()):
        args = ["-j2", *(["--pkgcheck-extend-select", ",".join(opt_ins)] if opt_ins else []), *names]
        flake8_found |= parse(flake8(args, cwd=FIXTURES_DIR, select="SHP,E999"), FIXTURES_DIR, FIXTURES_DIR)
    want = {(path, line, "SHP001" if code == "E999" else code) for path, line, code in codes(flake8_found)}
    assert any(code == "SHP001" for _, _, code in want), "no unparsable fixture: E999 untested"
    assert any(code in ("SHP202", "SHP308", "SHP406") for _, _, code in want), "no opt-in finding"
    assert cli == want, f"CLI only: {sorted(cli - want)}\nflake8 only: {sorted(want - cli)}"


def test_fixture_directory_run_from_inside_matches_the_engine() -> None:
    fixture = FIXTURES_DIR / "class_route_conflict"
    assert parse(flake8(["-j2", "."], cwd=fixture), fixture, fixture) == expected(fixture)


def test_plugin_data_markers_and_engine_agree() -> None:
    """The package the other tests lean on: its markers, the engine and flake8 agree."""
    want = expected(CONFLICT)
    assert codes(want) == marked(CONFLICT), "rules SHP301/SHP303/SHP401 not (yet) all present?"
    assert parse(flake8(["-j2", "."], cwd=CONFLICT), CONFLICT, CONFLICT) == want


def test_one_file_of_a_multi_file_package() -> None:
    got = parse(flake8(["api.py"], cwd=CONFLICT), CONFLICT, CONFLICT)
    assert got == {f for f in expected(CONFLICT) if f[0] == "api.py"}
    assert ("api.py", 8, "SHP301") in codes(got)  # needs mixins.py, which flake8 was not given


def test_project_with_many_steamship_files_under_parallel_flake8(tmp_path: Path) -> None:
    """Enough in-scope files that the engine would parse them in parallel: inside flake8's
    (daemonic) worker processes it must not try to start processes of its own."""
    root = tmp_path / "many"
    root.mkdir()
    (root / "steamship.json").write_text("{}", encoding="utf-8")
    (root / "base.py").write_text(
        "from steamship.invocable import PackageService, post\n\n\n"
        "class Base(PackageService):\n"
        "    @post(\"ping\")\n"
        "    def ping(self) -> str:\n"
        "        return \"\"\n",
        encoding="utf-8",
    )
    for index in range(60):
        (root / f"service_{index}.py").write_text(
            "from steamship.invocable import post\n\n"
            "from base import Base\n\n\n"
            f"class Service{index}(Base):\n"
            "    @post(\"a\")\n"
            "    def a(self) -> str:\n"
            "        return \"\"\n\n"
            "    @post(\"a\")\n"
            "    def b(self) -> str:\n"
            "        return \"\"\n\n"
            "    @post(\"ping\")\n"
            "    def pong(self) -> str:\n"
            "        return \"\"\n",
            encoding="utf-8",
        )
    want = expected(root)
    assert len({path for path, *_ in want}) == 60
    for jobs in ("2", "1"):
        result = flake8(["-j", jobs, "."], cwd=root)
        assert parse(result, root, root) == want, result.stderr


# -- stdin --------------------------------------------------------------------------------------


def test_stdin_with_display_name_gives_that_files_findings() -> None:
    source = (CONFLICT / "api.py").read_text(encoding="utf-8")
    got = parse(flake8(["--stdin-display-name", "api.py", "-"], cwd=CONFLICT, stdin=source), CONFLICT, CONFLICT)
    assert got == {f for f in expected(CONFLICT) if f[0] == "api.py"}


def test_stdin_without_display_name() -> None:
    source = (CONFLICT / "api.py").read_text(encoding="utf-8")
    got = parse(flake8(["-"], cwd=CONFLICT, stdin=source), CONFLICT, CONFLICT)
    want = {("stdin", *rest) for path, *rest in expected(CONFLICT) if path == "api.py"}
    assert codes(got) == codes(want)  # messages may name the file ("api.py:13" vs "stdin:13")


def test_stdin_text_wins_over_the_file_on_disk() -> None:
    """An editor's unsaved buffer: two lines added on top move every finding down by two."""
    source = "# edited\n# in the editor\n" + (CONFLICT / "api.py").read_text(encoding="utf-8")
    got = parse(flake8(["--stdin-display-name", "api.py", "-"], cwd=CONFLICT, stdin=source), CONFLICT, CONFLICT)
    assert codes(got) == {(p, line + 2, c) for p, line, c in codes(expected(CONFLICT)) if p == "api.py"}


# -- flake8's own selection and suppression -----------------------------------------------------


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return copy_package(CONFLICT, tmp_path / "proj")


def edit(path: Path, line: int, comment: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line - 1] = lines[line - 1].split("  #")[0].rstrip("\n") + f"  {comment}\n"
    path.write_text("".join(lines), encoding="utf-8")


def test_noqa_with_code(project: Path) -> None:
    edit(project / "api.py", 8, "# noqa: SHP301")
    got = codes(parse(flake8(["."], cwd=project), project, project))
    assert ("api.py", 8, "SHP301") not in got
    assert {("api.py", 8, "SHP303"), ("api.py", 19, "SHP401")} <= got


def test_bare_noqa_and_disable_noqa(project: Path) -> None:
    edit(project / "api.py", 8, "# noqa")
    got = codes(parse(flake8(["."], cwd=project), project, project))
    assert not {c for c in got if c[1] == 8}
    assert ("api.py", 19, "SHP401") in got
    # The plugin hands flake8 every finding; only flake8 applies noqa.
    unsuppressed = codes(parse(flake8(["--disable-noqa", "."], cwd=project), project, project))
    assert {("api.py", 8, "SHP301"), ("api.py", 8, "SHP303")} <= unsuppressed


def test_file_level_noqa(project: Path) -> None:
    api = project / "api.py"
    api.write_text("# flake8: noqa\n" + api.read_text(encoding="utf-8"), encoding="utf-8")
    assert parse(flake8(["."], cwd=project), project, project) == set()


def test_extend_ignore(project: Path) -> None:
    got = codes(parse(flake8(["--extend-ignore", "SHP3", "."], cwd=project), project, project))
    assert got == {("api.py", 19, "SHP401")}


def test_select_prefix(project: Path) -> None:
    got = codes(parse(flake8(["."], cwd=project, select="SHP4"), project, project))
    assert got == {("api.py", 19, "SHP401")}


def test_per_file_ignores(project: Path) -> None:
    got = codes(parse(flake8(["--per-file-ignores", "api.py:SHP301,SHP401", "."], cwd=project), project, project))
    assert got == {("api.py", 8, "SHP303")}


# -- options and config files -------------------------------------------------------------------

OPT_IN = ("api.py", 18, "SHP202")  # `scope` has no annotation


@pytest.fixture()
def opt_in_rule() -> None:
    if "SHP202" not in load_all() or not load_all()["SHP202"].opt_in:
        pytest.fail("these tests use SHP202 as the opt-in rule; it is missing or not opt-in")


def write_config(directory: Path, name: str, body: str) -> None:
    (directory / name).write_text(textwrap.dedent(body), encoding="utf-8")


def test_opt_in_rule_is_off_by_default(project: Path, opt_in_rule: None) -> None:
    assert OPT_IN not in codes(parse(flake8(["."], cwd=project), project, project))


@pytest.mark.parametrize("config", ["setup.cfg", "tox.ini", ".flake8"])
def test_opt_in_rule_from_config_file(project: Path, opt_in_rule: None, config: str) -> None:
    write_config(project, config, "[flake8]\nselect = SHP\npkgcheck-extend-select = SHP202\n")
    got = parse(flake8(["."], cwd=project, isolated=False, select=None), project, project)
    assert codes(got) == codes(expected(project)) | {OPT_IN}
    assert got == expected(project, default_codes() + ["SHP202"])


def test_opt_in_rule_from_config_file_underscore_spelling(project: Path, opt_in_rule: None) -> None:
    write_config(project, "setup.cfg", "[flake8]\nselect = SHP\npkgcheck_extend_select =\n    SHP202,\n")
    assert OPT_IN in codes(parse(flake8(["."], cwd=project, isolated=False, select=None), project, project))


def test_opt_in_rule_from_command_line_all(project: Path, opt_in_rule: None) -> None:
    got = codes(parse(flake8(["--pkgcheck-extend-select", "ALL", "."], cwd=project), project, project))
    assert OPT_IN in got


@pytest.mark.parametrize("option", ["--select", "--extend-select"])
def test_exact_code_in_flake8_selection_enables_opt_in_rule(project: Path, opt_in_rule: None, option: str) -> None:
    args = ["--extend-select", "SHP202", "."] if option == "--extend-select" else ["."]
    select = "SHP,SHP202" if option == "--select" else "SHP"
    assert OPT_IN in codes(parse(flake8(args, cwd=project, select=select), project, project))


def test_exact_code_in_flake8_config_selection_enables_opt_in_rule(project: Path, opt_in_rule: None) -> None:
    write_config(project, "setup.cfg", "[flake8]\nselect = SHP\nextend-select = SHP202\n")
    assert OPT_IN in codes(parse(flake8(["."], cwd=project, isolated=False, select=None), project, project))


def test_prefix_in_flake8_selection_does_not_enable_opt_in_rule(project: Path, opt_in_rule: None) -> None:
    got = codes(parse(flake8(["--extend-select", "SHP2", "."], cwd=project, select="SHP"), project, project))
    assert OPT_IN not in got


@pytest.mark.parametrize(
    "value, complaint",
    [("SHP999", "unknown pkgcheck rules: SHP999"), ("SHP2", "exact codes"), ("shp202", "exact codes")],
)
def test_bad_extend_select_is_one_clear_error(project: Path, value: str, complaint: str) -> None:
    result = flake8(["--pkgcheck-extend-select", value, "."], cwd=project)
    assert result.returncode == 1
    assert complaint in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_bad_steamship_path_is_one_clear_error(project: Path) -> None:
    result = flake8(["--pkgcheck-steamship-path", str(project / "nowhere"), "."], cwd=project)
    assert result.returncode == 1
    assert "no steamship package there" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_steamship_path_in_config_is_relative_to_the_config_file(project: Path) -> None:
    """``./vendor`` in the project's setup.cfg works when flake8 starts in a subdirectory."""
    fake = project / "vendor" / "steamship" / "invocable"
    fake.mkdir(parents=True)
    for init in (project / "vendor" / "steamship" / "__init__.py", fake / "__init__.py", fake / "invocable.py"):
        init.write_text("", encoding="utf-8")
    (project / "sub").mkdir()
    write_config(project, "setup.cfg", "[flake8]\nselect = SHP\npkgcheck-steamship-path = ./vendor\n")
    result = flake8(["../api.py"], cwd=project / "sub", isolated=False, select=None)
    assert "no steamship package there" not in result.stdout + result.stderr
    parse(result, project, project / "sub")
    assert "SHP000" not in result.stdout


# -- robustness -------------------------------------------------------------------------------


def test_syntax_error_is_flake8s_e999_and_other_files_are_still_checked(project: Path) -> None:
    (project / "broken.py").write_text("from steamship import post\ndef f(:\n", encoding="utf-8")
    got = parse(flake8(["."], cwd=project, select="SHP,E999"), project, project)
    assert {c for c in codes(got) if c[0] == "broken.py"} == {("broken.py", 2, "E999")}
    assert codes(got) - {("broken.py", 2, "E999")} == codes(expected(project))


def test_syntax_error_in_a_context_file_does_not_crash(project: Path) -> None:
    (project / "mixins.py").write_text("from steamship import post\nclass ExportMixin(:\n", encoding="utf-8")
    result = flake8(["api.py"], cwd=project)
    found = parse(result, project, project)
    assert "SHP000" not in {c for _, _, _, c, _ in found}
    assert codes(found) == {c for c in codes(expected(project)) if c[0] == "api.py"}


def test_crlf_file_gives_the_same_findings(project: Path) -> None:
    api = project / "api.py"
    api.write_bytes(api.read_bytes().replace(b"\n", b"\r\n"))
    got = parse(flake8(["-j2", "."], cwd=project), project, project)
    assert got == expected(project)
    assert got == parse(flake8(["api.py"], cwd=project), project, project)


def test_file_pkgcheck_cannot_parse_is_reported_not_silently_passed(tmp_path: Path) -> None:
    """Python parses it but LibCST does not: SHP000 at line 1 and one line on stderr."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "steamship.json").write_text("{}", encoding="utf-8")
    strings = " ".join(['"x"'] * 20000)
    (root / "data.py").write_text(f"import steamship\nTABLE = {strings}\n", encoding="utf-8")
    result = flake8(["data.py"], cwd=root)
    found = parse(result, root, root)
    assert {(p, line, col, c) for p, line, col, c, _ in found} == {("data.py", 1, 1, "SHP000")}
    assert "could not analyse" in next(iter(found))[4]
    assert [line for line in result.stderr.splitlines() if line.startswith("pkgcheck: ")] == [
        next(line for line in result.stderr.splitlines() if "data.py" in line)
    ]


def test_no_exception_escapes_run(capsys: pytest.CaptureFixture[str]) -> None:
    """A crash inside pkgcheck becomes one SHP000 result and one stderr line, never a raise."""
    from linter.frontends.flake8_plugin import Plugin

    plugin = Plugin(None, filename=str(CONFLICT / "api.py"), lines=[b"not text\n"])  # type: ignore[list-item]
    results = list(plugin.run())
    assert len(results) == 1
    line, column, text, kind = results[0]
    assert (line, column, kind) == (1, 0, Plugin)
    assert text.startswith("SHP000 internal error in pkgcheck (TypeError")
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and str(CONFLICT / "api.py") in err[0]


def test_plugin_reports_zero_based_columns() -> None:
    from linter.frontends.flake8_plugin import Plugin

    source = (CONFLICT / "api.py").read_text(encoding="utf-8")
    plugin = Plugin(None, filename=str(CONFLICT / "api.py"), lines=source.splitlines(keepends=True))
    got = {(line, column + 1, text.split(" ", 1)[0]) for line, column, text, _ in plugin.run()}
    assert got == {(line, column, code) for path, line, column, code, _ in expected(CONFLICT) if path == "api.py"}


# -- cost -----------------------------------------------------------------------------------------


def run_snippet(code: str, cwd: Optional[Path] = None) -> subprocess.CompletedProcess:
    """``python -c code`` in a fresh interpreter (optionally in ``cwd``), its output as text."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=str(cwd) if cwd is not None else None,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def test_importing_the_plugin_is_cheap() -> None:
    code = (
        "import sys, linter.frontends.flake8_plugin\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('libcst', 'rules', 'click')"
        " or m.startswith(('linter.run', 'linter.source.collect', 'linter.project', 'linter.semantic')))\n"
        "print(heavy)\n"
    )
    result = run_snippet(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_flake8_on_a_tree_without_steamship_never_imports_libcst(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = plain\n", encoding="utf-8")
    for index in range(5):
        (tmp_path / f"m{index}.py").write_text(f"import os\n\nVALUE = {index}\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from flake8.main.application import Application\n"
        "app = Application()\n"
        "app.run(['--isolated', '--select', 'SHP', '-j1', '.'])\n"
        "print(app.result_count, 'libcst' in sys.modules, 'linter.run.engine' in sys.modules)\n"
    )
    result = run_snippet(code, tmp_path)
    assert result.returncode == 0, result.stderr
    # decided from the files' text (and their imports'): not even the engine is loaded
    assert result.stdout.split() == ["0", "False", "False"]


def test_flake8_selection_without_shp_codes_does_not_run_pkgcheck() -> None:
    """With pkgcheck installed, ``flake8 --select E,F`` on a Steamship package costs nothing."""
    code = (
        "import sys\n"
        "from flake8.main.application import Application\n"
        "app = Application()\n"
        "app.run(['--isolated', '--select', 'E9,F', '-j1', '.'])\n"
        "print(app.result_count, 'libcst' in sys.modules, 'linter.run.engine' in sys.modules)\n"
    )
    result = run_snippet(code, CONFLICT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "False", "False"]


# -- one analysis in flake8's main process, inherited by the workers -----------------------------

#: Runs flake8's command in this process with the engine instrumented: every project analysis
#: and every per-file check is logged with the process id, so a test can tell which process did
#: what. With "fail", the main process's head start raises.
HARNESS = r"""
import json, os, sys

log_path, mode, argv = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
from linter.run import engine


def record(**entry):
    with open(log_path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"pid": os.getpid(), **entry}) + "\n")


real_analyse = engine.analyse


def analyse(project, enabled, excludes, extra_files=(), prefilter=True):
    record(call="analyse", root=str(project.root), extra=[os.path.basename(p) for p in extra_files])
    return real_analyse(project, enabled, excludes, extra_files, prefilter)


real_check_source = engine.check_source


def check_source(filename, *args, **kwargs):
    record(call="check_source", file=str(filename))
    return real_check_source(filename, *args, **kwargs)


def failing_prepare(*args, **kwargs):
    record(call="prepare")
    raise RuntimeError("planted failure of the head start")


engine.analyse = analyse
engine.check_source = check_source
if mode == "fail":
    engine.prepare = failing_prepare
record(call="main", libcst_before="libcst" in sys.modules)
from flake8.main.cli import main

code = main(argv)
record(call="end", libcst_after="libcst" in sys.modules)
raise SystemExit(code)
"""


def instrumented_flake8(
    args: Sequence[str], cwd: Path, log: Path, mode: str = ""
) -> Tuple[subprocess.CompletedProcess, List[dict]]:
    import json

    argv = ["--isolated", "--format", FORMAT, "--select", "SHP", *args]
    result = subprocess.run(
        [sys.executable, "-c", HARNESS, str(log), mode, json.dumps(argv)],
        cwd=str(cwd),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    log.unlink()
    return result, entries


@pytest.fixture()
def split_project(tmp_path: Path) -> Path:
    """The buggy package plus files outside pkgcheck's walk (flake8 checks ``build/``): one in
    scope through its marks, one only through an import, one never."""
    root = copy_package(CONFLICT, tmp_path / "proj")
    (root / "build").mkdir()
    (root / "build" / "copy.py").write_text((root / "api.py").read_text(encoding="utf-8"), encoding="utf-8")
    (root / "build" / "sub.py").write_text(
        "from api import Exporter, post\n\n\nclass Sub(Exporter):\n"
        '    @post("a")\n    def a(self) -> str:\n        return ""\n\n'
        '    @post("a")\n    def b(self) -> str:\n        return ""\n',
        encoding="utf-8",
    )
    (root / "build" / "plain.py").write_text("import os\n\nVALUE = os.sep\n", encoding="utf-8")
    return root


SPLIT_FILES = ["api.py", "mixins.py", "build/copy.py", "build/sub.py", "build/plain.py"]


def test_flake8_main_process_analyses_the_project_once_for_its_workers(split_project: Path, tmp_path: Path) -> None:
    root = split_project
    result, log = instrumented_flake8(["-j", "2", "."], root, tmp_path / "log.jsonl")
    got = parse(result, root, root)
    main = next(entry["pid"] for entry in log if entry["call"] == "main")
    analyses = [(entry["pid"] == main, entry["extra"]) for entry in log if entry["call"] == "analyse"]
    # The project's own analysis: once, in the main process, before the workers existed.
    assert [extra for in_main, extra in analyses if not extra] == [[]]
    assert (True, []) in analyses
    # Only the files outside the walk that can be in scope are analysed again, once each.
    assert sorted(extra for in_main, extra in analyses if extra) == [["copy.py"], ["sub.py"]]
    checkers = {entry["pid"] for entry in log if entry["call"] == "check_source"}
    assert checkers and main not in checkers, "flake8 did not check the files in worker processes"
    # The same findings as flake8 run serially, and as one flake8 process per file.
    assert got == parse(flake8(["-j", "1", "."], cwd=root), root, root) == one_by_one(root, SPLIT_FILES)
    assert codes(got) == {
        *(
            (path, line, code)
            for path in ("api.py", "build/copy.py")
            for line, code in ((8, "SHP301"), (8, "SHP303"), (19, "SHP401"))
        ),
        ("build/sub.py", 9, "SHP101"),
    }


def test_flake8_falls_back_to_each_worker_analysing_when_the_head_start_fails(
    split_project: Path, tmp_path: Path
) -> None:
    root = split_project
    result, log = instrumented_flake8(["-j", "2", "-vv", "."], root, tmp_path / "log.jsonl", mode="fail")
    # At -vv flake8's log shows why, with the traceback; it is not a crash.
    assert "pkgcheck: no analysis before the workers start" in result.stderr
    assert "RuntimeError: planted failure of the head start" in result.stderr
    result.stderr = ""
    got = parse(result, root, root)
    main = next(entry["pid"] for entry in log if entry["call"] == "main")
    assert [entry["pid"] for entry in log if entry["call"] == "prepare"] == [main]
    project_analyses = {entry["pid"] for entry in log if entry["call"] == "analyse" and not entry["extra"]}
    assert project_analyses and main not in project_analyses  # the workers did it themselves
    assert "SHP000" not in result.stdout
    assert got == parse(flake8(["-j", "2", "."], cwd=root), root, root) == one_by_one(root, SPLIT_FILES)


def test_flake8_with_the_cache_reports_the_same_and_a_warm_run_parses_nothing(
    split_project: Path, tmp_path: Path
) -> None:
    root = split_project
    plain = parse(flake8(["-j", "2", "."], cwd=root), root, root)
    assert not (root / ".pkgcheck_cache").exists()  # off unless asked for
    cold, _ = instrumented_flake8(["-j", "2", "--pkgcheck-cache", "."], root, tmp_path / "log.jsonl")
    assert (root / ".pkgcheck_cache" / "CACHEDIR.TAG").is_file()
    warm, log = instrumented_flake8(["-j", "1", "--pkgcheck-cache", "."], root, tmp_path / "log.jsonl")
    assert parse(cold, root, root) == parse(warm, root, root) == plain
    # Every analysis of the warm run (the project's, and those of build/copy.py and
    # build/sub.py) came from the cache: LibCST was never imported.
    assert [entry["libcst_after"] for entry in log if entry["call"] == "end"] == [False]


def test_flake8_cache_option_from_config_and_never_for_unmarked_projects(tmp_path: Path) -> None:
    root = copy_package(CONFLICT, tmp_path / "proj")
    (root / "steamship.json").unlink()
    write_config(root, "tox.ini", "[flake8]\nselect = SHP\npkgcheck-cache = true\n")
    got = parse(flake8(["."], cwd=root, isolated=False, select=None), root, root)
    assert codes(got) == codes(expected(root))
    assert (root / ".pkgcheck_cache").is_dir()  # tox.ini marks the project root
    (root / "tox.ini").unlink()
    shutil.rmtree(root / ".pkgcheck_cache")
    parse(flake8(["--pkgcheck-cache", "."], cwd=root), root, root)
    assert not (root / ".pkgcheck_cache").exists()


def test_flake8_legacy_api_does_not_analyse_before_it_is_given_files(tmp_path: Path) -> None:
    """get_style_guide parses options with no paths: analysing the working directory's project
    then would be wasted, so nothing is analysed until check_files names what to check."""
    code = (
        "import sys\n"
        "from linter.run import engine\n"
        "calls = []\n"
        "real = engine.analyse\n"
        "engine.analyse = lambda *a, **k: calls.append(1) or real(*a, **k)\n"
        "from flake8.api import legacy\n"
        "guide = legacy.get_style_guide(select=['SHP'])\n"
        "print(len(calls))\n"
        "report = guide.check_files(['api.py'])\n"
        "print(len(calls), report.total_errors)\n"
    )
    result = run_snippet(code, CONFLICT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "0" and lines[-1] == f"1 {len(expected_for(CONFLICT, 'api.py'))}"


def expected_for(root: Path, name: str) -> Set[Finding]:
    return {f for f in expected(root) if f[0] == name}
