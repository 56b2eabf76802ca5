"""Benchmark pkgcheck against the targets of the performance issue, on trees built here.

Usage::

    python bench/run.py [--runs N] [--quick] [--out DIR] [--runner hyperfine|subprocess]

Run it with the interpreter of the virtualenv that has pkgcheck installed (``flake8``, ``ruff``
and ``libcst`` are taken from the same environment; a tool that is missing is skipped, and the
report says so). Everything is built under ``--out`` (default: a new temporary directory), never
inside the repository:

``large``
    a copy of this Python's standard library (``test/``, ``tests/``, ``idle_test/`` and
    ``site-packages`` left out: 836 files on CPython 3.11) plus every ``tests/fixtures/*`` package
    as a sub-directory — a big tree with little Steamship code.
``plain``
    the same standard library copy alone — no Steamship code at all (flake8 plugin overhead).
``generated``
    ``bench/generate.py``'s project of 520 modules (packages, mixins, helpers importing each
    other, with planted bugs) plus steamship's own source copied in as ``steamship/``.
``steamship``
    steamship's own source alone (the ``steamship`` package of the 2.17.34 wheel).

Each group of commands is measured side by side in one go: with ``hyperfine`` (``--export-json``)
when it is installed, else (or with ``--runner subprocess``) by this script, which runs the
commands round-robin and times them with ``time.perf_counter``. The printed markdown table gives
medians, the ratio each target names, and whether it is met; ``results.json`` and ``results.md``
in the output directory keep everything. Peak RSS is ``ru_maxrss`` of the command as
``/usr/bin/time -v`` reports it (its largest single process), and the sum over its process tree
sampled from ``/proc``.

Python byte-code: the subprocesses run with ``PYTHONPYCACHEPREFIX`` in the output directory and
``PYTHONDONTWRITEBYTECODE`` removed, so every tool starts from compiled modules after the warm-up
run, as an installed tool does (an editable install compiles nothing at install time).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DRIVE = HERE / "drive.py"
GENERATE = HERE / "generate.py"
#: Left out of the standard library copy: its test suites and third-party packages. This is the
#: selection of the issue's measurement (836 files on CPython 3.11).
STDLIB_SKIP_TOP = {"test", "site-packages"}
STDLIB_SKIP_ANYWHERE = {"tests", "idle_test", "__pycache__"}
MARKER = '[project]\nname = "bench-tree"\nversion = "0"\n'


# -- commands and measurement -----------------------------------------------------------------


@dataclass
class Command:
    name: str
    argv: List[str]
    cwd: Path
    prepare: Optional[List[str]] = None


@dataclass
class Timing:
    name: str
    times: List[float] = field(default_factory=list)
    #: user + system seconds, children included: per run (subprocess runner) or hyperfine's mean
    cpu_times: List[float] = field(default_factory=list)
    maxrss_kb: int = 0
    cpu: float = 0.0  # user + system seconds of the last measured run, children included
    wall: float = 0.0
    exit_codes: List[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_times) if self.cpu_times else float("nan")

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "median": self.median,
            "min": min(self.times) if self.times else None,
            "max": max(self.times) if self.times else None,
            "times": self.times,
            "cpu_times": self.cpu_times,
            "maxrss_kb": self.maxrss_kb,
            "cpu_s": self.cpu,
            "wall_s": self.wall,
        }


def run_once(command: Command, env: Dict[str, str]) -> Tuple[float, int, object]:
    """Run ``command`` (after its prepare step); return (seconds, exit code, rusage)."""
    if command.prepare:
        subprocess.run(
            command.prepare,
            cwd=command.cwd,
            env=env,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    start = time.perf_counter()
    process = subprocess.Popen(
        command.argv, cwd=command.cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return seconds, process.returncode, usage


def measure_subprocess(
    commands: Sequence[Command], runs: int, warmup: int, env: Dict[str, str]
) -> Dict[str, Timing]:
    """Round-robin: every run of every command in turn, so load changes hit all of them alike."""
    timings = {c.name: Timing(c.name) for c in commands}
    for round_ in range(warmup + runs):
        for command in commands:
            seconds, code, usage = run_once(command, env)
            if round_ < warmup:
                continue
            timing = timings[command.name]
            timing.times.append(seconds)
            timing.exit_codes.append(code)
            timing.maxrss_kb = max(timing.maxrss_kb, usage.ru_maxrss)  # type: ignore[attr-defined]
            timing.cpu = usage.ru_utime + usage.ru_stime  # type: ignore[attr-defined]
            timing.cpu_times.append(timing.cpu)
            timing.wall = seconds
    return timings


def measure_hyperfine(
    commands: Sequence[Command], runs: int, warmup: int, env: Dict[str, str], out: Path
) -> Dict[str, Timing]:
    """One hyperfine call per directory, its commands side by side; JSON exported to ``out``."""
    timings: Dict[str, Timing] = {}
    by_cwd: Dict[Path, List[Command]] = {}
    for command in commands:
        by_cwd.setdefault(command.cwd, []).append(command)
    for cwd, group in by_cwd.items():
        export = out / f"hyperfine-{len(list(out.glob('hyperfine-*.json'))):02d}.json"
        argv = [
            "hyperfine",
            "-N",
            "-i",
            "--style",
            "basic",
            "--runs",
            str(runs),
            "--warmup",
            str(warmup),
            "--export-json",
            str(export),
        ]
        if any(c.prepare for c in group):
            for command in group:
                argv += ["--prepare", shlex.join(command.prepare) if command.prepare else "true"]
        for command in group:
            argv += ["-n", command.name, shlex.join(command.argv)]
        subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
        data = json.loads(export.read_text(encoding="utf-8"))
        for command, result in zip(group, data["results"]):
            timing = Timing(
                command.name, list(result["times"]), [result["user"] + result["system"]]
            )
            timing.exit_codes = list(result.get("exit_codes") or [])
            timings[command.name] = timing
    return timings


class TreeRss:
    """Peak of the summed RSS of a process and its descendants, sampled from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "TreeRss":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, self._sample())
            time.sleep(0.01)

    def _sample(self) -> int:
        parents: Dict[int, int] = {}
        rss: Dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as handle:
                    text = handle.read()
            except OSError:
                continue
            ppid = re.search(r"^PPid:\s+(\d+)", text, re.M)
            vmrss = re.search(r"^VmRSS:\s+(\d+)", text, re.M)
            if ppid:
                parents[int(entry)] = int(ppid.group(1))
            if vmrss:
                rss[int(entry)] = int(vmrss.group(1))
        total = 0
        for pid, kb in rss.items():
            walk = pid
            while walk and walk != self.pid:
                walk = parents.get(walk, 0)
            if walk == self.pid:
                total += kb
        return total


def measure_memory(command: Command, env: Dict[str, str]) -> Dict[str, float]:
    """ru_maxrss (largest single process, as /usr/bin/time -v) and the process-tree peak."""
    if command.prepare:
        subprocess.run(command.prepare, cwd=command.cwd, env=env, check=False)
    start = time.perf_counter()
    process = subprocess.Popen(
        command.argv, cwd=command.cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    sampler = TreeRss(process.pid) if os.path.isdir("/proc") else None
    if sampler is not None:
        with sampler:
            _, _, usage = os.wait4(process.pid, 0)
    else:
        _, _, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    return {
        "maxrss_mb": usage.ru_maxrss / 1024,
        "tree_peak_mb": (sampler.peak_kb / 1024) if sampler else float("nan"),
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": wall,
    }


# -- trees --------------------------------------------------------------------------------------


def copy_stdlib(target: Path, limit: Optional[int]) -> int:
    """Copy the standard library's .py files (no tests, no site-packages) to ``target``.

    With ``limit``, only that many files of under 8 kB (a quick, small tree)."""
    source = Path(sysconfig.get_paths()["stdlib"])
    copied = 0
    for directory, subdirs, files in os.walk(source):
        top = Path(directory) == source
        subdirs[:] = sorted(
            d
            for d in subdirs
            if d not in STDLIB_SKIP_ANYWHERE and not (top and d in STDLIB_SKIP_TOP)
        )
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            if limit is not None:
                if copied >= limit:
                    return copied
                if Path(directory, name).stat().st_size > 8192:
                    continue
            relative = Path(directory, name).relative_to(source)
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(directory, name), destination)
            copied += 1
    return copied


def find_steamship(explicit: Optional[str]) -> Optional[Path]:
    """The ``steamship`` package directory to copy: explicit, a wheel, or a known location."""
    candidates: List[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    if os.environ.get("PKGCHECK_BENCH_STEAMSHIP"):
        candidates.append(Path(os.environ["PKGCHECK_BENCH_STEAMSHIP"]))
    candidates.append(Path("/work/ss/wheel/steamship"))
    candidates.extend(
        sorted(
            Path.home().glob(
                ".cache/pkgcheck/oracle-venv-steamship-2.17.34-*/lib/python3*/site-packages/steamship"
            )
        )
    )
    for candidate in candidates:
        if candidate.is_file() and candidate.suffix == ".whl":
            unpacked = Path(tempfile.mkdtemp(prefix="bench-wheel-"))
            with zipfile.ZipFile(candidate) as wheel:
                wheel.extractall(unpacked)
            candidate = unpacked
        if (candidate / "steamship" / "invocable" / "invocable.py").is_file():
            candidate = candidate / "steamship"
        if (candidate / "invocable" / "invocable.py").is_file():
            return candidate
    return None


def build_trees(work: Path, quick: bool, steamship: Optional[Path], log) -> Dict[str, dict]:
    trees: Dict[str, dict] = {}
    limit = 25 if quick else None
    for name in ("plain", "large"):
        root = work / "trees" / name
        root.mkdir(parents=True)
        (root / "pyproject.toml").write_text(MARKER, encoding="utf-8")
        count = copy_stdlib(root, limit)
        info = {"path": str(root), "stdlib_files": count}
        if name == "large":
            fixtures = sorted(p for p in (REPO / "tests" / "fixtures").iterdir() if p.is_dir())
            for fixture in fixtures:
                shutil.copytree(
                    fixture,
                    root / f"fixture_{fixture.name}",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                )
            info["fixture_packages"] = len(fixtures)
        trees[name] = info
        log(f"tree {name}: {info}")
    generated = work / "trees" / "generated"
    sys.path.insert(0, str(HERE))
    import generate  # bench/generate.py

    counts = generate.generate(
        generated, modules=30 if quick else 520, seed=1, steamship=None if quick else steamship
    )
    trees["generated"] = {"path": str(generated), **counts}
    log(f"tree generated: {trees['generated']}")
    source = work / "trees" / "steamship"
    source.mkdir(parents=True)
    (source / "pyproject.toml").write_text(MARKER, encoding="utf-8")
    if steamship is not None and not quick:
        shutil.copytree(
            steamship, source / "steamship", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        kind = "steamship 2.17.34 source"
    else:  # quick mode, or no steamship here: a small stand-in with real Steamship code
        shutil.copytree(REPO / "examples" / "support_bot", source / "support_bot")
        kind = "stand-in: examples/support_bot" + (
            "" if steamship is not None else " (no steamship source found)"
        )
    trees["steamship"] = {
        "path": str(source),
        "kind": kind,
        "files": sum(1 for _ in source.rglob("*.py")),
    }
    log(f"tree steamship: {trees['steamship']}")
    for info in trees.values():
        files = list(Path(info["path"]).rglob("*.py"))
        info["py_files"] = len(files)
        info["lines"] = sum(p.read_bytes().count(b"\n") for p in files)
    return trees


# -- tools ---------------------------------------------------------------------------------------


def probe(python: str, code: str, env: Dict[str, str]) -> Optional[str]:
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env)
    return done.stdout.strip() if done.returncode == 0 else None


def shadow_site(site: Path, target: Path) -> Path:
    """A copy of ``site`` (symlinks) without pkgcheck: flake8 there runs without the plugin."""
    target.mkdir(parents=True)
    for entry in site.iterdir():
        if "pkgcheck" in entry.name.lower():
            continue
        (target / entry.name).symlink_to(entry)
    return target


def flake8_argv(python: str, site: Path, args: Sequence[str]) -> List[str]:
    # Both variants start the same way (-S, then the one site directory), so the only
    # difference between them is whether pkgcheck's entry point is visible.
    code = (
        "import site, sys; site.addsitedir(sys.argv[1]); sys.argv = ['flake8'] + sys.argv[2:]; "
        "from flake8.main.cli import main; raise SystemExit(main())"
    )
    return [python, "-S", "-c", code, str(site), *args]


# -- the report ----------------------------------------------------------------------------------


def ratio(a: Optional[Timing], b: Optional[Timing], cpu: bool = False) -> Optional[float]:
    """Ratio of medians: wall-clock, or with ``cpu`` user + system time (children included)."""
    if a is None or b is None:
        return None
    x, y = (a.cpu_median, b.cpu_median) if cpu else (a.median, b.median)
    if x != x or y != y or y == 0:  # NaN: not measured
        return None
    return x / y


def verdict(value: Optional[float], limit: float) -> str:
    if value is None:
        return "not measured"
    return "met" if value <= limit else f"MISSED ({value / limit:.2f}x over)"


def fmt(value: Optional[float], unit: str = "s") -> str:
    if value is None or value != value:  # NaN
        return "-"
    return f"{value:.3f} {unit}" if unit == "s" else f"{value:.2f}{unit}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs per command (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured runs first (default 1)")
    parser.add_argument(
        "--quick", action="store_true", help="tiny trees (a smoke test, not a benchmark)"
    )
    parser.add_argument("--out", type=Path, help="work directory (default: a new temporary one)")
    parser.add_argument("--runner", choices=("auto", "hyperfine", "subprocess"), default="auto")
    parser.add_argument(
        "--python", default=sys.executable, help="interpreter with pkgcheck installed"
    )
    parser.add_argument(
        "--steamship", help="steamship package dir, or a wheel, to copy into the trees"
    )
    parser.add_argument(
        "--skip", default="", help="comma-separated groups to skip: large,generated,steamship,plain"
    )
    args = parser.parse_args(argv)

    work = (args.out or Path(tempfile.mkdtemp(prefix="pkgcheck-bench-"))).resolve()
    if work == REPO or REPO in work.parents:
        parser.error(f"--out must be outside the repository ({REPO})")
    if work.exists() and any(work.iterdir()):
        parser.error(f"--out {work} exists and is not empty")
    work.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(f"[bench] {message}", file=sys.stderr, flush=True)

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    python = args.python
    skipped = set(filter(None, args.skip.split(",")))
    notes: List[str] = []

    # What is installed.
    tools = {
        "pkgcheck": probe(python, "import linter; print(linter.__version__)", env),
        "libcst": probe(python, "import importlib.metadata as m; print(m.version('libcst'))", env),
        "flake8": probe(python, "import flake8; print(flake8.__version__)", env),
    }
    if tools["pkgcheck"] is None:
        parser.error(f"{python} cannot import pkgcheck (linter); run it with pkgcheck's virtualenv")
    bindir = Path(python).parent
    ruff = shutil.which("ruff") or (str(bindir / "ruff") if (bindir / "ruff").exists() else None)
    tools["ruff"] = (
        subprocess.run([ruff, "--version"], capture_output=True, text=True).stdout.strip()
        if ruff
        else None
    )
    hyperfine = shutil.which("hyperfine")
    runner = args.runner if args.runner != "auto" else ("hyperfine" if hyperfine else "subprocess")
    if runner == "hyperfine" and not hyperfine:
        parser.error("--runner hyperfine: hyperfine is not installed")
    tools["hyperfine"] = (
        subprocess.run(["hyperfine", "--version"], capture_output=True, text=True).stdout.strip()
        if hyperfine
        else None
    )
    for tool, version in tools.items():
        if version is None:
            notes.append(f"{tool} is not installed: the measurements that need it are skipped")
    cli_help = subprocess.run(
        [python, "-m", "linter", "check", "--help"], capture_output=True, text=True, env=env
    ).stdout
    cli_no_cache = "--no-cache" in cli_help
    if not cli_no_cache:
        notes.append(
            "the CLI has no --no-cache option (and so no cache): cache runs use bench/drive.py "
            "(the engine API, `check(..., cache=True)`)"
        )

    steamship = find_steamship(args.steamship)
    if steamship is None:
        notes.append(
            "no steamship source found (--steamship DIR|WHEEL): the steamship tree is a stand-in"
        )
    trees = build_trees(work, args.quick, steamship, log)
    runs, warmup = (1, 0) if args.quick else (args.runs, args.warmup)
    nproc = os.cpu_count() or 1

    def tree(name: str) -> Path:
        return Path(trees[name]["path"])

    # The command users run, the console script beside the interpreter: ``python -m linter``
    # would put the tree itself first on sys.path, and in the large tree (a copy of the standard
    # library) the copy's threading.py, json/ and concurrent/ would be imported instead of the
    # interpreter's own.
    script = Path(python).parent / "pkgcheck"
    entry = [str(script)] if script.is_file() else [python, "-m", "linter"]

    def pkgcheck_cli(cwd: Path, name: str = "pkgcheck") -> Command:
        argv = [*entry, "check", "-q", "--exit-zero", "."]
        if cli_no_cache:
            argv.insert(len(entry) + 1, "--no-cache")
        return Command(name, argv, cwd)

    def drive(cwd: Path, name: str, *extra: str, prepare: Optional[List[str]] = None) -> Command:
        return Command(name, [python, str(DRIVE), *extra], cwd, prepare)

    def flake8(cwd: Path, name: str, site: Path, *extra: str) -> Command:
        return Command(name, flake8_argv(python, site, ["-j", str(nproc), *extra, "."]), cwd)

    site = Path(
        probe(
            python,
            "import flake8, os; print(os.path.dirname(os.path.dirname(flake8.__file__)))",
            env,
        )
        or "."
    )
    no_plugin_site = shadow_site(site, work / "site-without-pkgcheck") if tools["flake8"] else site

    def measure(commands: List[Command]) -> Dict[str, Timing]:
        if not commands:
            return {}
        log(
            "measuring "
            + ", ".join(c.name for c in commands)
            + f" in {commands[0].cwd.name} ({runner})"
        )
        if runner == "hyperfine":
            result = measure_hyperfine(commands, runs, warmup, env, work)
            for command in commands:  # one more run for CPU time and ru_maxrss
                seconds, _, usage = run_once(command, env)
                result[command.name].wall = seconds
                result[command.name].maxrss_kb = usage.ru_maxrss  # type: ignore[attr-defined]
                cpu = usage.ru_utime + usage.ru_stime  # type: ignore[attr-defined]
                result[command.name].cpu = cpu
            return result
        return measure_subprocess(commands, runs, warmup, env)

    def relevant(name: str) -> Path:
        listing = work / f"relevant-{name}.txt"
        subprocess.run(
            [python, str(DRIVE), "relevant", ".", str(listing)], cwd=tree(name), env=env, check=True
        )
        trees[name]["relevant_files"] = len(listing.read_text(encoding="utf-8").splitlines())
        return listing

    results: Dict[str, Dict[str, Timing]] = {}
    checks: Dict[str, object] = {}
    memory: Dict[str, Dict[str, float]] = {}

    # 1. a large tree with little Steamship code
    if "large" not in skipped:
        cwd = tree("large")
        listing = relevant("large")
        group = [pkgcheck_cli(cwd)]
        if ruff:
            group.append(
                Command(
                    "ruff",
                    [ruff, "check", "--isolated", "--no-cache", "--exit-zero", "-q", "."],
                    cwd,
                )
            )
        if tools["flake8"]:
            group.append(flake8(cwd, "flake8", no_plugin_site))
        all_files = work / "all-large.txt"
        all_files.write_text("".join(f"{p}\n" for p in sorted(cwd.rglob("*.py"))), encoding="utf-8")
        group.append(drive(cwd, "ast.parse all", "parse", str(all_files), "--ast"))
        group.append(drive(cwd, "libcst parse relevant", "parse", str(listing)))
        results["large"] = measure(group)

    # 2 and 3. the Steamship-heavy generated project: cold, warm, one edit; the parse floor
    if "generated" not in skipped:
        cwd = tree("generated")
        listing = relevant("generated")
        cache_dir = cwd / ".pkgcheck_cache"
        edited = pick_mixin(cwd)
        trees["generated"]["edited_file"] = str(edited.relative_to(cwd))
        group = [pkgcheck_cli(cwd, "pkgcheck cold")]
        if tools["libcst"]:
            group += [
                drive(cwd, "libcst parse (1 process)", "parse", str(listing)),
                drive(
                    cwd,
                    f"libcst parse ({nproc} processes)",
                    "parse",
                    str(listing),
                    "--jobs",
                    str(nproc),
                ),
            ]
        group.append(drive(cwd, "ast.parse relevant", "parse", str(listing), "--ast"))
        if ruff:
            group.append(
                Command(
                    "ruff",
                    [ruff, "check", "--isolated", "--no-cache", "--exit-zero", "-q", "."],
                    cwd,
                )
            )
        results["generated"] = measure(group)
        cache_group = [
            drive(
                cwd,
                "engine cold, cache written",
                "check",
                ".",
                "--cache",
                prepare=["rm", "-rf", str(cache_dir)],
            ),
            drive(cwd, "engine warm (cache)", "check", ".", "--cache"),
            drive(
                cwd,
                "engine one-edit (cache)",
                "check",
                ".",
                "--cache",
                prepare=[python, str(DRIVE), "edit", str(edited)],
            ),
        ]
        results["generated-cache"] = measure(cache_group)
        checks.update(cache_stats(python, cwd, edited, env))
        checks.update(determinism(python, cwd, work, env))
        checks.update(planted(python, cwd, work, env))
        memory["pkgcheck cold (generated)"] = measure_memory(pkgcheck_cli(cwd), env)
        if tools["libcst"] and not args.quick:
            memory["pkgcheck cold serial (generated)"] = measure_memory(
                drive(cwd, "serial", "check", ".", "--serial"), env
            )
            memory["libcst parse (1 process)"] = measure_memory(
                drive(cwd, "p", "parse", str(listing)), env
            )

    # 2 and 5. steamship's own source: pkgcheck vs flake8, flake8 with and without the plugin
    if "steamship" not in skipped:
        cwd = tree("steamship")
        listing = relevant("steamship")
        group = [pkgcheck_cli(cwd)]
        if tools["flake8"]:
            group += [
                flake8(cwd, "flake8", no_plugin_site),
                flake8(cwd, "flake8 + pkgcheck plugin", site),
            ]
            # One job: flake8 checks in its main process, where the engine may start its own pool.
            group += (
                []
                if args.quick
                else [
                    Command(
                        "flake8 -j1", flake8_argv(python, no_plugin_site, ["-j", "1", "."]), cwd
                    ),
                    Command(
                        "flake8 -j1 + pkgcheck plugin",
                        flake8_argv(python, site, ["-j", "1", "."]),
                        cwd,
                    ),
                ]
            )
        if tools["libcst"]:
            group += [
                drive(cwd, "libcst parse (1 process)", "parse", str(listing)),
                drive(
                    cwd,
                    f"libcst parse ({nproc} processes)",
                    "parse",
                    str(listing),
                    "--jobs",
                    str(nproc),
                ),
            ]
        if ruff:
            group.append(
                Command(
                    "ruff",
                    [ruff, "check", "--isolated", "--no-cache", "--exit-zero", "-q", "."],
                    cwd,
                )
            )
        results["steamship"] = measure(group)
        if tools["flake8"]:
            checks["plugin SHP000 lines (steamship)"] = plugin_internal_errors(
                python, site, cwd, nproc, env
            )
            if not args.quick:
                checks["plugin SHP000 lines (steamship, -j1)"] = plugin_internal_errors(
                    python, site, cwd, 1, env
                )

    # 5. no Steamship code: flake8 with and without the plugin
    if "plain" not in skipped and tools["flake8"]:
        cwd = tree("plain")
        group = [
            flake8(cwd, "flake8", no_plugin_site),
            flake8(cwd, "flake8 + pkgcheck plugin", site),
        ]
        results["plain"] = measure(group)
        checks["plugin SHP000 lines (plain)"] = plugin_internal_errors(
            python, site, cwd, nproc, env
        )

    facts = machine(python, env)
    report = render(results, trees, tools, checks, memory, notes, runner, runs, warmup, args.quick)
    report += "Machine: " + ", ".join(f"{key} {value}" for key, value in facts.items()) + "\n"
    (work / "results.md").write_text(report, encoding="utf-8")
    (work / "results.json").write_text(
        json.dumps(
            {
                "machine": facts,
                "tools": tools,
                "trees": trees,
                "runner": runner,
                "runs": runs,
                "timings": {
                    group: {name: t.as_dict() for name, t in timings.items()}
                    for group, timings in results.items()
                },
                "checks": checks,
                "memory": memory,
                "notes": notes,
            },
            indent=1,
            default=str,
        ),
        encoding="utf-8",
    )
    print(report, end="")
    log(f"results in {work}")
    return 0


def pick_mixin(root: Path) -> Path:
    """The module of the first mixin that the first generated package uses."""
    first = sorted((root / "app" / "packages").rglob("p*.py"))[0]
    match = re.search(r"Mixin(\d+)", first.read_text(encoding="utf-8"))
    index = int(match.group(1)) if match else 0
    found = sorted((root / "app" / "mixins").rglob(f"m{index:03d}.py"))
    return found[0]


def cache_stats(python: str, cwd: Path, edited: Path, env: Dict[str, str]) -> Dict[str, object]:
    """How much a warm run and a one-edit run re-read and re-check, from the cache's own
    counters: facts read from the cache or parsed, modules loaded, in-scope modules whose
    rules ran (``checked``) of all in scope."""
    code = (
        "import sys, json; from pathlib import Path; sys.path.insert(0, sys.argv[2]);"
        "import drive; from linter.run import checker, engine;"
        "p = engine.open_project([Path('.').resolve()], cache=True);"
        "a = checker.analyse(p, drive.default_codes(), engine.DEFAULT_EXCLUDES);"
        "c = p.cache; print(json.dumps({'facts_hits': c.hits, 'facts_misses': c.misses,"
        " 'loaded': len(p.loaded_paths), 'checked': len(a.checked), 'in_scope': len(a.analysed)}))"
    )
    out: Dict[str, object] = {}
    for label, prepare in (("warm", None), ("one-edit", [python, str(DRIVE), "edit", str(edited)])):
        if prepare:
            subprocess.run(prepare, cwd=cwd, env=env, check=True)
        done = subprocess.run(
            [python, "-c", code, ".", str(HERE)], cwd=cwd, env=env, capture_output=True, text=True
        )
        out[f"cache counters, {label} run"] = done.stdout.strip() or done.stderr.strip()[-300:]
    return out


def determinism(python: str, cwd: Path, work: Path, env: Dict[str, str]) -> Dict[str, object]:
    """Parallel and serial runs, and two CLI runs, must print the same findings."""
    outputs = {}
    for label, extra in (("parallel", []), ("serial", ["--serial"])):
        target = work / f"findings-{label}.json"
        subprocess.run(
            [python, str(DRIVE), "check", ".", "--json", str(target), *extra],
            cwd=cwd,
            env=env,
            check=True,
        )
        outputs[label] = target.read_text(encoding="utf-8")
    cli = []
    for number in range(2):
        done = subprocess.run(
            [python, "-m", "linter", "check", "--format", "json", "--exit-zero", "-q", "."],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
        )
        cli.append(done.stdout)
    count = len(json.loads(outputs["parallel"]))
    return {
        "parallel == serial (engine JSON)": outputs["parallel"] == outputs["serial"],
        "CLI JSON identical over two runs": cli[0] == cli[1] and bool(cli[0]),
        "findings in generated tree": count,
    }


def planted(python: str, cwd: Path, work: Path, env: Dict[str, str]) -> Dict[str, object]:
    """The generator's ``# expect:`` markers against what pkgcheck reports in the generated code."""
    expected = set()
    for path in sorted((cwd / "app").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = re.search(r"# expect: (SHP\d{3})", line)
            if match:
                expected.add((str(path), number, match.group(1)))
    found_data = json.loads((work / "findings-parallel.json").read_text(encoding="utf-8"))
    found = {(f["path"], f.get("line"), f["code"]) for f in found_data if "/app/" in f["path"]}
    return {
        "planted bugs found": f"{len(expected & found)}/{len(expected)}",
        "unplanted findings in generated app/": len(found - expected),
    }


def plugin_internal_errors(
    python: str, site: Path, cwd: Path, nproc: int, env: Dict[str, str]
) -> int:
    done = subprocess.run(
        flake8_argv(python, site, ["-j", str(nproc), "--select", "SHP", "."]),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    return sum(1 for line in done.stdout.splitlines() if " SHP000 " in line)


def machine(python: str, env: Dict[str, str]) -> Dict[str, str]:
    model = ""
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    git = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        check=False,
        capture_output=True,
        text=True,
    )
    return {
        "pkgcheck commit": git.stdout.strip(),
        "nproc": str(os.cpu_count()),
        "cpu": model or platform.processor(),
        "python": probe(python, "import sys; print(sys.version.split()[0])", env) or "",
        "platform": platform.platform(),
        "load average (1, 5, 15 min) at the end": " ".join(f"{x:.2f}" for x in os.getloadavg())
        if hasattr(os, "getloadavg")
        else "",
    }


def render(results, trees, tools, checks, memory, notes, runner, runs, warmup, quick) -> str:
    get = lambda group, name: results.get(group, {}).get(name)  # noqa: E731
    nproc = os.cpu_count() or 1
    lines = ["# pkgcheck benchmark", ""]
    if quick:
        lines += [
            "**--quick: tiny trees, one run. A smoke test of this script, not a measurement.**",
            "",
        ]
    lines += [
        f"Runner: {runner}, {runs} measured run(s) after {warmup} warm-up run(s); medians.",
        "",
    ]
    lines += ["| tree | files | lines | relevant (prefilter) |", "| --- | ---: | ---: | ---: |"]
    for name, info in trees.items():
        lines.append(
            f"| {name} | {info.get('py_files')} | {info.get('lines')} "
            f"| {info.get('relevant_files', '-')} |"
        )
    lines += [
        "",
        "| group | command | median | min | max | CPU (median) | max RSS |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for group, timings in results.items():
        for name, t in timings.items():
            low, high = (min(t.times), max(t.times)) if t.times else (None, None)
            lines.append(
                f"| {group} | {name} | {fmt(t.median)} | {fmt(low)} | {fmt(high)} "
                f"| {fmt(t.cpu_median)} | {t.maxrss_kb / 1024:.0f} MB |"
            )
    cold = get("generated", "pkgcheck cold")
    broken = {
        "plain": int(checks.get("plugin SHP000 lines (plain)", 0) or 0),
        "steamship": int(checks.get("plugin SHP000 lines (steamship)", 0) or 0),
        "steamship-j1": int(checks.get("plugin SHP000 lines (steamship, -j1)", 0) or 0),
    }
    pairs = [
        ("1", "large tree: pkgcheck / ruff", ("large", "pkgcheck"), ("large", "ruff"), 1.0, 0),
        ("1", "large tree: pkgcheck / flake8", ("large", "pkgcheck"), ("large", "flake8"), 0.02, 0),
        (
            "2",
            f"generated: pkgcheck cold / libcst parse on {nproc} processes",
            ("generated", "pkgcheck cold"),
            ("generated", f"libcst parse ({nproc} processes)"),
            1.3,
            0,
        ),
        (
            "2",
            "generated: pkgcheck cold / libcst parse on 1 process",
            ("generated", "pkgcheck cold"),
            ("generated", "libcst parse (1 process)"),
            1.3,
            0,
        ),
        (
            "2",
            "steamship source: pkgcheck / flake8",
            ("steamship", "pkgcheck"),
            ("steamship", "flake8"),
            0.35,
            0,
        ),
        (
            "3",
            "generated: warm / cold (both with the cache on)",
            ("generated-cache", "engine warm (cache)"),
            ("generated-cache", "engine cold, cache written"),
            0.10,
            0,
        ),
        (
            "3",
            "generated: one-edit / cold (the issue names no bound)",
            ("generated-cache", "engine one-edit (cache)"),
            ("generated-cache", "engine cold, cache written"),
            float("inf"),
            0,
        ),
        (
            "5",
            "plain tree: flake8 + plugin / flake8",
            ("plain", "flake8 + pkgcheck plugin"),
            ("plain", "flake8"),
            1.03,
            broken["plain"],
        ),
        (
            "5",
            f"steamship source: flake8 + plugin / flake8 (-j {nproc})",
            ("steamship", "flake8 + pkgcheck plugin"),
            ("steamship", "flake8"),
            1.30,
            broken["steamship"],
        ),
        (
            "5",
            "steamship source: flake8 + plugin / flake8 (-j 1)",
            ("steamship", "flake8 -j1 + pkgcheck plugin"),
            ("steamship", "flake8 -j1"),
            1.30,
            broken["steamship-j1"],
        ),
    ]
    lines += [
        "",
        "| target | measure | ratio (wall) | ratio (CPU) | bound | verdict (wall) |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for target, label, a, b, limit, errors in pairs:
        wall, cpu = ratio(get(*a), get(*b)), ratio(get(*a), get(*b), cpu=True)
        bound = "-" if limit == float("inf") else f"≤ {limit:g}"
        if limit == float("inf"):
            shown = "reported" if wall is not None else "not measured"
        else:
            shown = verdict(wall, limit)
        if errors and wall is not None:
            shown = f"INVALID: the plugin reported SHP000 (internal error) on {errors} files"
        lines.append(
            f"| {target} | {label} | {fmt(wall, 'x')} | {fmt(cpu, 'x')} | {bound} | {shown} |"
        )
    if cold is not None and cold.wall:
        utilisation = cold.cpu / cold.wall if cold.cpu else None
        met = utilisation is not None and utilisation >= 0.75 * nproc
        lines.append(
            f"| 4 | generated: CPU seconds / wall seconds of one cold run ({nproc} cores) | "
            f"{fmt(utilisation, 'x')} | | ≥ {0.75 * nproc:g} | {'met' if met else 'MISSED'} |"
        )
    for name, value in memory.items():
        lines.append(
            f"| 6 | peak RSS, {name}: largest process / process tree | "
            f"{value['maxrss_mb']:.0f} MB / {value['tree_peak_mb']:.0f} MB | | ≤ 300 MB | "
            f"{'met' if value['maxrss_mb'] <= 300 else 'MISSED'} |"
        )
    if checks:
        lines += ["", "| check | result |", "| --- | --- |"]
        lines += [f"| {name} | {value} |" for name, value in checks.items()]
    if notes:
        lines += ["", "Notes:"] + [f"- {note}" for note in notes]
    lines += ["", "Tools: " + ", ".join(f"{k} {v or 'missing'}" for k, v in tools.items())]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
