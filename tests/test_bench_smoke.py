"""The benchmark scripts run end to end on tiny trees, so they cannot rot (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def test_generator_is_deterministic_and_plants_the_bugs(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import generate
    finally:
        sys.path.remove(str(BENCH))
    counts = generate.generate(tmp_path / "a", modules=60, seed=3)
    generate.generate(tmp_path / "b", modules=60, seed=3)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*"))
    assert files_a == files_b
    for relative in files_a:
        if (tmp_path / "a" / relative).is_file():
            assert (tmp_path / "a" / relative).read_bytes() == (
                tmp_path / "b" / relative
            ).read_bytes()
    assert counts["generated_modules"] == 60
    assert counts["planted_bugs"] > 0


def test_quick_run_prints_the_tables(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    # The subprocess runner: it needs nothing but Python, so the fallback path is the one kept
    # alive here (hyperfine, when installed, is used by default).
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "run.py"),
            "--quick",
            "--runner",
            "subprocess",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = done.stdout
    assert "| target | measure |" in report
    for target in ("| 1 |", "| 2 |", "| 3 |", "| 6 |"):
        assert target in report
    assert (out / "results.md").read_text(encoding="utf-8") == report
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert data["runs"] == 1
    assert {"large", "generated", "generated-cache"} <= set(data["timings"])
    # The correctness checks the benchmark makes on the side.
    assert data["checks"]["parallel == serial (engine JSON)"] is True
    planted, total = data["checks"]["planted bugs found"].split("/")
    assert planted == total
    assert data["checks"]["unplanted findings in generated app/"] == 0


def test_phase_breakdown_runs(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import generate
    finally:
        sys.path.remove(str(BENCH))
    generate.generate(tmp_path / "tree", modules=30, seed=1)
    done = subprocess.run(
        [sys.executable, str(BENCH / "phases.py"), str(tmp_path / "tree")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "libcst.parse_module of the kept files" in done.stdout
    assert "package summaries for the project-wide indexes" in done.stdout
    assert "rules, one module at a time (" in done.stdout


def test_dependants_counts_what_an_edit_can_touch(tmp_path: Path) -> None:
    (tmp_path / "steamship.json").write_text("{}", encoding="utf-8")
    files = {
        "mixin.py": "from steamship.invocable import PackageMixin, post\n\n\n"
        "class Greeter(PackageMixin):\n    @post('greet')\n    def greet(self) -> str:\n        return 'hi'\n",
        "a.py": "from steamship.invocable import PackageService\nfrom mixin import Greeter\n\n\n"
        "class A(PackageService):\n    USED_MIXIN_CLASSES = [Greeter]\n",
        "b.py": "from steamship.invocable import PackageService\n\n\nclass B(PackageService):\n    pass\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    edited = ("mixin.py", "b.py")
    done = subprocess.run(
        [sys.executable, str(BENCH / "dependants.py"), str(tmp_path), *(str(tmp_path / f) for f in edited)],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "3 project modules in scope"
    assert lines[1].endswith("(mixin): importers 2, may change 2, to check 2 of 3"), lines
    assert lines[2].endswith("(b): importers 1, may change 1, to check 1 of 3"), lines


def test_cost_tree_has_the_shape_the_cost_benchmark_measures(tmp_path: Path) -> None:
    """bench/cost.py's big tree: plain modules that never reach Steamship, packages with their
    own manifest, and one without (its project is the whole tree); each package's planted
    invoke_later typo is found whichever way the file is named."""
    sys.path.insert(0, str(BENCH))
    try:
        import cost
    finally:
        sys.path.remove(str(BENCH))
    from linter.project.marks import Concerns
    from linter.run import engine
    from rules import default_codes

    plain, package = cost.build_tree(tmp_path / "tree", 1200)
    assert len(list((tmp_path / "tree" / "lib").rglob("*.py"))) == 1200 + 4  # with four __init__.py
    concerns = Concerns()
    assert not concerns(plain) and concerns(package)
    inline = tmp_path / "tree" / "packages" / "bot3" / "api.py"
    for path in (package, inline):
        report = engine.check([path], default_codes())
        assert [v.code for v in report.violations] == ["SHP401"], report.violations
    assert engine.check([plain], default_codes()).violations == []


def test_cost_ratios_are_taken_run_by_run() -> None:
    """A slow round slows both commands of it: the run-by-run ratio ignores it, the ratio of
    the medians would not."""
    sys.path.insert(0, str(BENCH))
    try:
        import cost
        from run import Timing
    finally:
        sys.path.remove(str(BENCH))
    a = Timing("a", times=[1.0, 1.3, 1.3, 1.3, 1.0])
    b = Timing("b", times=[1.0, 1.3, 1.3, 1.0, 0.96])
    assert cost.paired_ratio(a, b) == 1.0
    assert a.median / b.median == 1.3


def test_the_floor_parses_every_file_on_each_process_once(tmp_path: Path) -> None:
    """bench/floor.py deals the files out over its processes; with pkgcheck's engine loaded, too.
    The process that prints parses its share; a file LibCST refuses is counted, not fatal."""
    for n in range(5):
        (tmp_path / f"m{n}.py").write_text(f"x = {n}\n", encoding="utf-8")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "broken.py").write_text("def (:\n", encoding="utf-8")
    for args, line in (
        (["--processes", "1"], "6 files, 1 processes, parsed by this one 5, refused 1"),
        (["--processes", "2", "--engine"], "6 files, 2 processes, parsed by this one 3, refused 0"),
    ):
        done = subprocess.run([sys.executable, str(BENCH / "floor.py"), str(tmp_path), *args],
                              capture_output=True, text=True, timeout=300, cwd=str(ROOT))
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.strip() == line
