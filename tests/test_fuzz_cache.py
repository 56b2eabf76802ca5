"""Fuzzing the cache: random edit sequences, runs in between, runs side by side and runs killed.

A generated project (:func:`test_fuzz.packages`) is edited step by step — a module rewritten
with other generated code, one character changed without changing the file's size (so a cache
that trusted sizes or times would be fooled), a module added, deleted, broken so that it does not
parse, or written again unchanged — and after each step a run with the cache (facts, positions
and the module-by-module results of ``linter/run/incremental.py``) must report exactly what a
run without it reports.

Real processes, for what only processes can do to a cache directory:

- two ``pkgcheck check`` runs started at once on the same project, on a machine where pkgcheck
  never ran (both make the cache's signing key and fill the cache);
- a run killed with SIGKILL at a random moment (perhaps while writing an entry);

after which each run's findings, and a later cached run's, equal a cold run's.

Default run: a few dozen edit sequences and a few process races, the same every time. Slow
profile (``pytest -m slow -s tests/test_fuzz_cache.py``): 10,000 edit sequences on every core and
300 races of processes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz_shards import SUPPRESSED, assert_sharded
from linter.run import engine
from rules import default_codes, load_all
from test_fuzz import assert_no_internal_errors, module_source, packages

ALL_CODES = sorted(load_all())
SCALE_EXAMPLES = int(os.environ.get("PKGCHECK_FUZZ_EXAMPLES", "10000"))
RACES = int(os.environ.get("PKGCHECK_FUZZ_KILLS", "300"))

Edit = Tuple[str, str, str]  # (action, relative path, new text)


@pytest.fixture(autouse=True, scope="module")
def private_secret() -> Iterator[None]:
    """The cache's signing secret in a directory of this module's own (not the user's)."""
    old = os.environ.get("XDG_CACHE_HOME")
    with tempfile.TemporaryDirectory() as directory:
        os.environ["XDG_CACHE_HOME"] = directory
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("XDG_CACHE_HOME", None)
            else:
                os.environ["XDG_CACHE_HOME"] = old


def same_size_change(text: str, at: int) -> str:
    """``text`` with one character changed for another of the same UTF-8 length, near ``at``:
    a path, a name or a digit that the analysis sees."""
    swaps = {"x": "y", "y": "x", "0": "1", "1": "0", "a": "b", "b": "a", "A": "B", "B": "A", "p": "g", "g": "p"}
    positions = [i for i, char in enumerate(text) if char in swaps]
    if not positions:
        return text
    i = positions[at % len(positions)]
    return text[:i] + swaps[text[i]] + text[i + 1:]


@st.composite
def edit_sequences(draw) -> Tuple[Dict[str, str], List[Edit]]:
    """A project and the edits made to it, one run after each."""
    files = draw(packages())
    layout = "package" if any(path.startswith("pkg/") for path in files) else "flat"
    current = dict(files)
    edits: List[Edit] = []
    for _ in range(draw(st.integers(1, 3))):
        modules = sorted(path for path in current if not path.endswith("__init__.py"))
        action = draw(
            st.sampled_from(["rewrite", "rewrite", "same_size", "same_size", "add", "delete", "break", "touch"])
        )
        if action == "add" or not modules:
            path = "pkg/d.py" if layout == "package" else "d.py"
            others = [Path(p).stem for p in modules]
            text = draw(module_source("d", others, layout))
            action = "add" if path not in current else "rewrite"
        else:
            path = draw(st.sampled_from(modules))
            name = Path(path).stem
            others = [Path(p).stem for p in modules if p != path]
            if action == "rewrite":
                text = draw(module_source(name, others, layout))
            elif action == "same_size":
                text = same_size_change(current[path], draw(st.integers(0, 10_000)))
            elif action == "break":
                text = current[path] + "\ndef broken(:\n"
            elif action == "delete":
                text = ""
            else:
                text = current[path]
        edits.append((action, path, text))
        if action == "delete":
            current.pop(path, None)
        else:
            current[path] = text
    return files, edits


def write_project(root: Path, files: Dict[str, str]) -> None:
    (root / "steamship.json").write_text("{}\n", encoding="utf-8")
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def apply(root: Path, edit: Edit) -> None:
    action, relative, text = edit
    path = root / relative
    if action == "delete":
        path.unlink()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def findings(root: Path, cache: bool, codes: List[str] = ALL_CODES) -> List[Tuple[str, int, int, str, str]]:
    report = engine.check([root], codes, cache=cache)
    assert_no_internal_errors(report)
    rows = [(os.path.relpath(v.path, root), v.line, v.column, v.code, v.message) for v in report.violations]
    rows += [
        (os.path.relpath(f.path, root), *((f.span.line, f.span.column) if f.span else (0, 0)), "SHP001", f.message)
        for f in report.failures
    ]
    return sorted(rows)


def check_edit_sequence(drawn: Tuple[Dict[str, str], List[Edit]]) -> None:
    files, edits = drawn
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        write_project(root, files)
        assert findings(root, cache=True) == findings(root, cache=False), "the first cached run differs"
        for step, edit in enumerate(edits, 1):
            apply(root, edit)
            cold = findings(root, cache=False)
            assert findings(root, cache=True) == cold, f"after edit {step} ({edit[0]} {edit[1]}) the cache differs"


@settings(max_examples=40, deadline=None, suppress_health_check=SUPPRESSED)
@given(edit_sequences())
def test_edit_sequences(drawn: Tuple[Dict[str, str], List[Edit]]) -> None:
    check_edit_sequence(drawn)


@pytest.mark.slow
def test_edit_sequences_at_scale() -> None:
    assert_sharded("test_edit_sequences_at_scale", edit_sequences(), check_edit_sequence, SCALE_EXAMPLES)


# -- processes side by side, processes killed ---------------------------------------------------------


def cli_run(root: Path, xdg: Path) -> "subprocess.Popen[str]":
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", XDG_CACHE_HOME=str(xdg))
    return subprocess.Popen(
        [sys.executable, "-m", "linter", "check", "--format", "json", "."],
        cwd=str(root), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def cli_findings(process: "subprocess.Popen[str]") -> List[Tuple[str, int, int, str, str]]:
    out, err = process.communicate(timeout=300)
    assert process.returncode in (0, 1), f"exit {process.returncode}: {err[-2000:]}"
    assert "Traceback" not in err, err
    return sorted(
        (item["path"], item["line"], item["column"], item["code"], item["message"])
        for item in json.loads(out)
        if item["code"] != "SHP001"  # how a file that does not parse is told differs by front end
    )


def check_race(drawn: Tuple[Dict[str, str], List[Edit]], fraction: float) -> None:
    files, edits = drawn
    codes = sorted(default_codes())
    with tempfile.TemporaryDirectory() as directory, tempfile.TemporaryDirectory() as xdg:
        root = Path(directory)
        write_project(root, files)
        cold = [row for row in findings(root, cache=False, codes=codes) if row[3] != "SHP001"]
        # two runs at once, on a machine where pkgcheck never ran (no signing key yet) and an
        # empty cache: both make the key and write every entry
        start = time.monotonic()
        first, second = cli_run(root, Path(xdg)), cli_run(root, Path(xdg))
        assert cli_findings(first) == cold and cli_findings(second) == cold, "a run beside another differs"
        duration = time.monotonic() - start
        # an edit, then a run killed at a random moment, perhaps while it writes an entry
        for edit in edits[:1]:
            apply(root, edit)
        cold = [row for row in findings(root, cache=False, codes=codes) if row[3] != "SHP001"]
        killed = cli_run(root, Path(xdg))
        time.sleep(duration * fraction)
        killed.send_signal(signal.SIGKILL)
        killed.communicate(timeout=60)
        # whatever it left, the next runs (two at once again, and one here) report what a cold run does
        first, second = cli_run(root, Path(xdg)), cli_run(root, Path(xdg))
        assert cli_findings(first) == cold and cli_findings(second) == cold, "a run after a killed run differs"
        saved = os.environ["XDG_CACHE_HOME"]
        os.environ["XDG_CACHE_HOME"] = xdg  # the processes' key: their entries are read, not refused
        try:
            assert [row for row in findings(root, cache=True, codes=codes) if row[3] != "SHP001"] == cold
        finally:
            os.environ["XDG_CACHE_HOME"] = saved


MOMENTS = st.one_of(st.floats(0.0, 1.2), st.floats(0.6, 1.0))


@settings(max_examples=3, deadline=None, suppress_health_check=SUPPRESSED)
@given(edit_sequences(), MOMENTS)
def test_runs_side_by_side_and_killed(drawn: Tuple[Dict[str, str], List[Edit]], fraction: float) -> None:
    check_race(drawn, fraction)


@pytest.mark.slow
def test_runs_side_by_side_and_killed_at_scale() -> None:
    assert_sharded(
        "test_runs_side_by_side_and_killed_at_scale",
        st.tuples(edit_sequences(), MOMENTS),
        lambda drawn: check_race(*drawn),
        RACES,
    )


def test_cache_directory_is_written() -> None:
    """Guard for the harness: the cached runs above really use a cache (an entry is written)."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        write_project(root, {"a.py": "from steamship.invocable import PackageService\n"})
        findings(root, cache=True)
        assert any((root / ".pkgcheck_cache").rglob("*")), "no cache entry was written"
        shutil.rmtree(root / ".pkgcheck_cache")
