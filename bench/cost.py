"""Cost in proportion to the Steamship code: each goal of the cost issue, measured here.

Usage::

    python bench/cost.py [--runs N] [--out DIR] [--files 100000] [--quick]

Run it with the interpreter of the virtualenv that has pkgcheck, flake8 and ruff installed (ruff
is optional: its rows are skipped without it). flake8 "without pkgcheck" is the same interpreter
and site-packages with pkgcheck's entry point hidden (``bench/run.py``'s ``shadow_site``), so the
only difference between the two flake8 commands is the plugin. Every command is a whole process;
commands compared with each other run in turn (A B A B ...), and a ratio is the median of the
run-by-run ratios (the machine's drift between rounds cancels out; the ratio of the medians is
shown beside it).
Peak memory is the largest single process (``ru_maxrss``). Everything is built under ``--out``
(default: a new temporary directory), never in the repository.

The trees:

``stdlib``
    this Python's own library folder, in place (``asyncio``, ``email``, ``json``): whatever root
    marker lies above it (pyenv's ``.git``) makes a large tree around three small packages.
``plain``
    those three packages copied alone into a new git repository.
``big``
    the first 1,800 files of the standard library in a git repository; one of them is checked.
``steamship``
    steamship's own source (the ``steamship`` package of a 2.17.34 wheel or oracle venv).
``tree``
    ``--files`` (100,000) generated modules that never mention Steamship, in ``lib/``, under one
    ``pyproject.toml``, with three Steamship packages (each its own ``steamship.json``) in
    ``packages/``: one file of each kind is checked, as ``pkgcheck FILE`` and as the pre-commit
    hook runs it (``pkgcheck check FILE``).
``mixed``
    a copy of the standard library (no tests) plus 31 fixture packages; ``small30``: 30 fixture
    packages alone, beside its floors (``bench/floor.py``: Python, LibCST and parsing its files,
    without and with pkgcheck's engine loaded) and its warm-cache time.
``generated``
    ``bench/generate.py``'s project of 520 Steamship modules (memory).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from run import Command, Timing, copy_stdlib, find_steamship, flake8_argv, measure_subprocess, shadow_site  # noqa: E402


#: plain modules per directory of the big tree
PER_DIRECTORY = 500


def sh(argv: Sequence[str], cwd: Path) -> None:
    subprocess.run(list(argv), cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def git_init(root: Path) -> None:
    sh(["git", "init", "-q", "."], root)


def build_tree(root: Path, files: int) -> Tuple[Path, Path]:
    """``files`` plain modules in ``lib/`` plus three packages; (a plain file, a package file)."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "big"\nversion = "0"\n', encoding="utf-8")
    per_directory = PER_DIRECTORY
    lib = root / "lib"
    for index in range(files):
        directory = lib / f"d{index // per_directory:04d}"
        if index % per_directory == 0:
            directory.mkdir(parents=True)
            (directory / "__init__.py").write_text("", encoding="utf-8")
        neighbour = f"m{(index + 1) % per_directory:03d}"
        (directory / f"m{index % per_directory:03d}.py").write_text(
            f"import os\nfrom . import {neighbour}\n\n\ndef value_{index}(x: int) -> int:\n"
            f"    return x + len(os.sep) + {index}\n",
            encoding="utf-8",
        )
    (lib / "__init__.py").write_text("", encoding="utf-8")
    for number in range(4):
        package = root / "packages" / f"bot{number}"
        package.mkdir(parents=True)
        if number == 3:  # a package without a manifest of its own: its project is the whole tree
            (package / "__init__.py").write_text("", encoding="utf-8")
            (package / "mixin.py").write_text(
                "from steamship.invocable.package_mixin import PackageMixin\n\n\n"
                "class Tools(PackageMixin):\n    pass\n",
                encoding="utf-8",
            )
            (package / "api.py").write_text(
                "from steamship.invocable import PackageService, post\n\nfrom .mixin import Tools\n\n\n"
                "class Bot(PackageService):\n    USED_MIXIN_CLASSES = [Tools]\n\n"
                '    @post("go")\n    def go(self) -> str:\n        self.invoke_later("og")\n        return "g"\n',
                encoding="utf-8",
            )
            continue
        (package / "steamship.json").write_text(
            json.dumps({"type": "package", "handle": f"bot{number}", "version": "0.0.1", "public": False,
                        "steamshipRegistry": {"tags": []}}),
            encoding="utf-8",
        )
        (package / "mixin.py").write_text(
            "from steamship.invocable import post\nfrom steamship.invocable.package_mixin import PackageMixin\n\n\n"
            "class Tools(PackageMixin):\n"
            '    @post("tool")\n    def tool(self) -> str:\n        return "t"\n',
            encoding="utf-8",
        )
        (package / "api.py").write_text(
            "from steamship.invocable import PackageService, post\n\nfrom mixin import Tools\n\n\n"
            "class Bot(PackageService):\n    USED_MIXIN_CLASSES = [Tools]\n\n"
            "    def __init__(self, **kwargs):\n        super().__init__(**kwargs)\n"
            "        self.add_mixin(Tools())\n\n"
            '    @post("go")\n    def go(self) -> str:\n'
            '        self.invoke_later("tool")\n        self.invoke_later("tol")\n        return "g"\n',
            encoding="utf-8",
        )
    return tree_files(root, files)


def tree_files(root: Path, files: int) -> Tuple[Path, Path]:
    """(a plain module in the middle of the tree, the package file of bot1) of ``build_tree``."""
    middle = files // 2
    plain = root / "lib" / f"d{middle // PER_DIRECTORY:04d}" / f"m{middle % PER_DIRECTORY:03d}.py"
    return plain, root / "packages" / "bot1" / "api.py"


def fixtures(count: int) -> List[Path]:
    found = sorted(p for p in (REPO / "tests" / "fixtures").iterdir() if (p / "api.py").is_file())
    return found[:count]


def copy_fixtures(target: Path, count: int) -> None:
    for fixture in fixtures(count):
        shutil.copytree(fixture, target / fixture.name)


def paired_ratio(a: Timing, b: Timing) -> float:
    """The median of A's time over B's, run by run (the runs are paired: measured in turn)."""
    return statistics.median(x / y for x, y in zip(a.times, b.times))


def peak_mb(timing: Optional[Timing]) -> Optional[float]:
    return timing.maxrss_kb / 1024 if timing is not None and timing.maxrss_kb else None


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="3 runs, 10,000 generated files")
    options = parser.parse_args(argv)
    if options.quick:
        options.runs, options.files = 3, 10_000
    work = options.out or Path(tempfile.mkdtemp(prefix="pkgcheck-cost-"))
    work.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    bindir = Path(python).parent
    pkgcheck = str(bindir / "pkgcheck")
    ruff = shutil.which("ruff", path=str(bindir)) or shutil.which("ruff")
    site = Path(sysconfig.get_paths()["purelib"])
    bare = work / "site-without-pkgcheck"
    if not bare.exists():
        shadow_site(site, bare)
    env = dict(os.environ, PYTHONPYCACHEPREFIX=str(work / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    rows: List[Tuple[str, str, str, str]] = []  # (figure, measured, goal, verdict)

    def run(commands: Sequence[Command]) -> Dict[str, Timing]:
        return measure_subprocess(commands, options.runs, options.warmup, env)

    def row(figure: str, value: Optional[float], limit: float, unit: str, extra: str = "") -> None:
        if value is None:
            rows.append((figure, "not measured", f"≤ {limit:g}{unit}", "-"))
            return
        shown = f"{value:.3f}{unit}" if unit in ("×", " s") else f"{value:.0f}{unit}"
        verdict = "met" if value <= limit else "MISSED"
        rows.append((figure, shown + (f" ({extra})" if extra else ""), f"≤ {limit:g}{unit}", verdict))

    def flake8_pair(name: str, cwd: Path, args: Sequence[str]) -> Dict[str, Timing]:
        return run([
            Command(f"{name}: flake8 + pkgcheck", flake8_argv(python, site, args), cwd),
            Command(f"{name}: flake8", flake8_argv(python, bare, args), cwd),
        ])

    def compare(figure: str, timings: Dict[str, Timing], a: str, b: str, wall: float, memory: Optional[float]) -> None:
        ta, tb = timings[a], timings[b]
        # The commands ran in turn (round-robin): the ratio is taken run by run and its median
        # kept, so the machine's drift between rounds (a few percent) cancels out.
        extra = f"{ta.median:.3f} s vs {tb.median:.3f} s medians, ratio of medians {ta.median / tb.median:.3f}"
        row(f"{figure}: wall", paired_ratio(ta, tb), wall, "×", extra)
        if memory is not None and peak_mb(ta) and peak_mb(tb):
            row(f"{figure}: peak", peak_mb(ta) / peak_mb(tb), memory, "×",  # type: ignore[operator]
                f"{peak_mb(ta):.0f} MB vs {peak_mb(tb):.0f} MB")

    # 1. the flake8 plugin on code without Steamship
    three = ["asyncio", "email", "json"]
    t = flake8_pair("stdlib", stdlib, three)
    compare("1 flake8, asyncio/email/json in the library folder", t, "stdlib: flake8 + pkgcheck", "stdlib: flake8",
            1.03, 1.1)
    plain = work / "plain"
    if not plain.exists():
        plain.mkdir()
        for package in three:
            shutil.copytree(stdlib / package, plain / package, ignore=shutil.ignore_patterns("__pycache__"))
        git_init(plain)
    t = flake8_pair("plain", plain, three)
    compare("1 flake8, the same copied into a git repository", t, "plain: flake8 + pkgcheck", "plain: flake8",
            1.03, 1.1)
    big = work / "big"
    if not big.exists():
        big.mkdir()
        copied = sorted(p for p in stdlib.rglob("*.py") if "site-packages" not in p.parts and "test" not in p.parts)
        for source in copied[:1800]:
            target = big / source.relative_to(stdlib)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        git_init(big)
    one = "json/decoder.py" if (big / "json" / "decoder.py").exists() else str(next(big.rglob("*.py")).relative_to(big))
    t = flake8_pair("one", big, [one])
    added = (t["one: flake8 + pkgcheck"].median - t["one: flake8"].median) * 1000
    row("1 flake8, one plain file in a 1,800-file repository: added", added, 20, " ms",
        f"{t['one: flake8 + pkgcheck'].median:.3f} s vs {t['one: flake8'].median:.3f} s")

    # 2. the flake8 plugin on Steamship code
    steamship = find_steamship(None)
    if steamship is not None:
        source = work / "steamship-source"
        if not source.exists():
            shutil.copytree(steamship, source / "steamship", ignore=shutil.ignore_patterns("__pycache__"))
            git_init(source)
        t = flake8_pair("steamship", source, ["steamship"])
        compare("2 flake8, steamship's own source", t, "steamship: flake8 + pkgcheck", "steamship: flake8", 1.30, None)
    else:
        row("2 flake8, steamship's own source", None, 1.30, "×")

    # 3. one file in a big tree
    tree = work / f"tree{options.files}"
    marker = tree / ".built"
    if not marker.exists():
        shutil.rmtree(tree, ignore_errors=True)
        build_tree(tree, options.files)
        git_init(tree)
        marker.write_text("", encoding="utf-8")
    plain_file, package_file = tree_files(tree, options.files)
    inline_file = tree / "packages" / "bot3" / "api.py"
    cache_dirs = [tree / ".pkgcheck_cache", package_file.parent / ".pkgcheck_cache"]
    clear = [sys.executable, "-c", "import shutil, sys; [shutil.rmtree(p, True) for p in sys.argv[1:]]",
             *map(str, cache_dirs)]
    t = run([
        Command("tree: pkgcheck plain file", [pkgcheck, str(plain_file)], tree, prepare=clear),
        Command("tree: pkgcheck package file", [pkgcheck, str(package_file)], tree, prepare=clear),
        Command("tree: hook, package file", [pkgcheck, "check", str(package_file.relative_to(tree))], tree,
                prepare=clear),
        Command("tree: package in the tree's project", [pkgcheck, str(inline_file)], tree, prepare=clear),
    ])
    warm = run([Command("tree: package in the tree's project, warm", [pkgcheck, str(inline_file)], tree)])
    files = f"{options.files:,}"
    for name, label, timing in (
        ("tree: pkgcheck plain file", f"3 pkgcheck FILE (plain), {files} files, cold", t),
        ("tree: pkgcheck package file", f"3 pkgcheck FILE (package), {files} files, cold", t),
        ("tree: hook, package file", f"3 pre-commit hook, one staged package file, {files} files", t),
        ("tree: package in the tree's project", f"3 pkgcheck FILE (package, no manifest), {files} files, cold", t),
        ("tree: package in the tree's project, warm", "3 the same, warm cache", warm),
    ):
        row(f"{label}: wall", timing[name].median, 1.0, " s")
        row(f"{label}: peak", peak_mb(timing[name]), 150, " MB")

    # 4. whole trees
    mixed = work / "mixed"
    if not (mixed / ".built").exists():
        shutil.rmtree(mixed, ignore_errors=True)
        mixed.mkdir()
        copy_stdlib(mixed / "stdlib", None)
        copy_fixtures(mixed / "packages", 31)
        (mixed / "pyproject.toml").write_text('[project]\nname = "mixed"\nversion = "0"\n', encoding="utf-8")
        (mixed / ".built").write_text("", encoding="utf-8")
    commands = [Command("mixed: pkgcheck", [pkgcheck, "--no-cache", "."], mixed)]
    if ruff:
        ruff_argv = [ruff, "check", "--no-cache", "--isolated", "--exit-zero", "."]
        commands.append(Command("mixed: ruff", ruff_argv, mixed))
    t = run(commands)
    if ruff:
        compare("4 standard library + 31 packages, pkgcheck against ruff", t, "mixed: pkgcheck", "mixed: ruff",
                1.0, None)
    else:
        row("4 standard library + 31 packages against ruff", None, 1.0, "×")
    small = work / "small30"
    if not small.exists():
        copy_fixtures(small, 30)
    floor = [python, str(HERE / "floor.py"), "."]
    t = run([
        Command("small30", [pkgcheck, "--no-cache", "."], small),
        Command("small30: LibCST floor", floor, small),
        Command("small30: pkgcheck's floor", [*floor, "--engine"], small),
    ])
    warm = run([Command("small30, warm", [pkgcheck, "."], small)])
    bare, own = t["small30: LibCST floor"].median, t["small30: pkgcheck's floor"].median
    row("4 30 small packages (--no-cache)", t["small30"].median, 0.25, " s",
        f"floors: Python + LibCST + parsing its files on {os.cpu_count()} processes {bare:.3f} s; "
        f"with pkgcheck's engine, rules and catalogue loaded first {own:.3f} s; "
        f"warm cache {warm['small30, warm'].median:.3f} s")

    # 5. start-up
    t = run([
        Command("version", [pkgcheck, "--version"], REPO),
        Command("first finding", [pkgcheck, "--no-cache", "examples/support_bot"], REPO),
        Command("python", [python, "-c", "pass"], REPO),
        Command("python + import libcst", [python, "-c", "import libcst"], REPO),
    ])
    row("5 pkgcheck --version", t["version"].median, 0.060, " s", f"python -c pass: {t['python'].median:.3f} s")
    row("5 first finding of examples/support_bot (--no-cache)", t["first finding"].median, 0.3, " s",
        f"python -c 'import libcst' alone: {t['python + import libcst'].median:.3f} s")

    # 6. memory on 500 Steamship modules
    generated = work / "generated"
    if not generated.exists():
        subprocess.run([python, str(HERE / "generate.py"), str(generated), "--modules", "520"], check=True,
                       stdout=subprocess.DEVNULL)
    t = run([Command("generated", [pkgcheck, "--no-cache", "."], generated)])
    row("6 peak memory, 520 generated Steamship modules", peak_mb(t["generated"]), 300, " MB",
        f"{t['generated'].median:.3f} s")

    lines = ["| figure | measured | goal | |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lines.append("")
    lines.append(f"{options.runs} runs each (medians), load average at the end {load}, trees in {work}")
    text = "\n".join(lines)
    print(text)
    (work / "cost.md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
