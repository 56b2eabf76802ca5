"""The worker processes change where modules are parsed, never what is found.

With enough files in scope the engine parses them on a pool of processes, has the pool parse the
project modules their classes and annotations import names from (before the rules ask), and
computes the positions of the reported modules there. A run with the pool must report exactly
what a run in one process reports.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import List

import pytest

from linter.run import workers

from linter.run import engine
from linter.project.index import Project
from rules import load_all

CODES = ["SHP101", "SHP105", "SHP201", "SHP301", "SHP303", "SHP401", "SHP402", "SHP403"]

SERVICE = '''
from typing import Optional, Dict
from abc import ABC

from helpers.kinds import Kind, Base
from helpers import decorators
from steamship.invocable import PackageService, post


class Service{i}(PackageService, Base):
    @post("run")
    def run(self, kind: Optional[Kind] = None, extra: Dict[str, int] = None) -> dict:
        return {{}}

    @post("run")
    def run_again(self, *values) -> dict:
        self.invoke_later("rn", arguments={{}})
        return {{}}

    @decorators.traced
    def helper(self) -> None:
        pass


class Plain{i}(ABC):
    @post("nowhere")
    def nowhere(self) -> None:
        pass
'''

FILES = {
    # context modules: no mark, never in scope, reached only through names the services use
    "typing.py": "Optional = object()\nDict = object()\n",
    "abc.py": "class ABCMeta(type):\n    pass\n\n\nclass ABC(metaclass=ABCMeta):\n    pass\n",
    "helpers/__init__.py": "",
    "helpers/kinds.py": (
        "import enum\n\n\nclass Kind(str, enum.Enum):\n    A = 'a'\n\n\n"
        "class Base:\n    def __init__(self, value=None):\n        self.value = value\n"
    ),
    "helpers/decorators.py": "def traced(function):\n    return function\n",
    "enum.py": "class Enum:\n    pass\n",
}


def make_project(root: Path, services: int) -> None:
    (root / "steamship.json").write_text("{}", encoding="utf-8")
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for i in range(services):
        (root / f"service_{i:02}.py").write_text(textwrap.dedent(SERVICE.format(i=i)), encoding="utf-8")


def found(report: engine.Report) -> List[tuple]:
    return [
        (v.path, v.line, v.column, v.end_line, v.end_column, v.code, v.message, v.related)
        for v in report.violations
    ]


def test_the_pool_reports_what_one_process_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    services = workers.PARALLEL_MIN + 6
    make_project(tmp_path, services)
    started: List[str] = []
    prefetched: List[str] = []
    original_start = workers.Workers.start
    original_prefetch = Project.prefetch

    def start(self: workers.Workers) -> bool:
        running = original_start(self)
        started.append("yes" if running else "no")
        return running

    def prefetch(self: Project, name: str, near: object, workers: object, scheduled: object = frozenset()) -> None:
        before = len(self._prefetched)
        original_prefetch(self, name, near, workers, scheduled)  # type: ignore[arg-type]
        if len(self._prefetched) > before:
            prefetched.append(name)

    monkeypatch.setattr(workers.Workers, "start", start)
    monkeypatch.setattr(Project, "prefetch", prefetch)
    pooled = engine.check([tmp_path], CODES)
    if started != ["yes"]:
        pytest.skip("no worker processes on this machine")
    assert sorted(prefetched) == ["abc", "helpers", "helpers.kinds", "typing"]
    assert not pooled.project._prefetched, "every module parsed ahead was used"

    monkeypatch.setattr(workers, "PARALLEL_MIN", 10**9)
    serial = engine.check([tmp_path], CODES)
    assert found(pooled) == found(serial)
    assert pooled.failures == serial.failures
    codes = {v.code for v in serial.violations}
    assert {"SHP101", "SHP105", "SHP201", "SHP401"} <= codes, codes
    # positions from the workers, in several modules
    assert len({v.path for v in pooled.violations}) == services


FIXTURES = Path(__file__).parent / "fixtures"
ALL_CODES = sorted(load_all())


def _everything(report: engine.Report) -> tuple:
    return (report.violations, report.failures, report.internal_errors, report.notices, report.targets)


def test_projects_checked_side_by_side_report_what_one_process_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Over tests/fixtures (one project each), the small projects are checked on a pool of
    processes: the report is the serial run's, to the order of findings and notices."""
    pools: List[object] = []
    original = engine._project_pool

    def project_pool(jobs: int, parses: bool) -> object:
        pools.append(original(jobs, parses))
        return pools[-1]

    monkeypatch.setattr(engine, "_project_pool", project_pool)
    monkeypatch.setattr(engine, "PROJECT_POOL_MIN_FILES", 0)
    pooled = engine.check([FIXTURES], ALL_CODES)
    if pools != [] and pools[0] is None:
        pytest.skip("no worker processes on this machine")
    assert len(pools) == 1 and len(pooled.projects) > 50
    monkeypatch.setattr(engine, "PROJECT_POOL_MIN", 10**9)
    serial = engine.check([FIXTURES], ALL_CODES)
    assert len(pools) == 1  # no pool this time
    assert _everything(pooled) == _everything(serial)
    assert {v.code for v in serial.violations} >= {"SHP301", "SHP401"} and serial.failures
    assert [p.root for p in pooled.projects] == [p.root for p in serial.projects]


def test_a_project_the_pool_fails_on_is_checked_here(monkeypatch: pytest.MonkeyPatch) -> None:
    serial = engine.check([FIXTURES], ALL_CODES)
    monkeypatch.setattr(engine, "PROJECT_POOL_MIN_FILES", 0)

    def broken(group: object, options: object) -> object:
        raise MemoryError("a pool process died")

    monkeypatch.setattr(engine, "_check_group_remote", broken)  # forked processes inherit it
    assert _everything(engine.check([FIXTURES], ALL_CODES)) == _everything(serial)


def test_the_pools_libcst_is_loaded_while_a_large_projects_walk_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large project beside small ones: its split scan hands both halves to children while
    this process loads what the small projects' pool needs; the report is the serial run's."""
    import shutil

    from linter.project import scan

    for fixture in sorted(p for p in FIXTURES.iterdir() if p.is_dir())[:6]:
        shutil.copytree(fixture, tmp_path / fixture.name)
    big = tmp_path / "big"
    (big / "lib").mkdir(parents=True)
    (big / "steamship.json").write_text("{}\n", encoding="utf-8")
    for n in range(30):
        (big / "lib" / f"m{n}.py").write_text(f"import os\nfrom lib import m{n + 1}\n", encoding="utf-8")
    (big / "api.py").write_text(
        "from steamship.invocable import PackageService, post\n\n\nclass Bot(PackageService):\n"
        '    @post("go")\n    def go(self) -> str:\n        self.invoke_later("og")\n        return "g"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(engine, "SMALL_PROJECT", 25)
    monkeypatch.setattr(engine, "PROJECT_POOL_MIN_FILES", 0)
    monkeypatch.setattr(scan, "SPLIT_MIN", 10)
    loads: List[bool] = []
    splits: List[bool] = []
    original_load, original_split = workers.load_for_workers, scan._scan_split

    def load(parses: bool) -> None:
        loads.append(parses)
        original_load(parses)

    def split(*args: object) -> object:
        splits.append(args[3] is not None)  # handed work to do meanwhile
        return original_split(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(workers, "load_for_workers", load)
    monkeypatch.setattr(scan, "_scan_split", split)
    pooled = engine.check([tmp_path], ALL_CODES)
    assert splits[:1] == [True] and loads[:1] == [True]
    assert scan._preload == []
    monkeypatch.setattr(engine, "PROJECT_POOL_MIN", 10**9)
    serial = engine.check([tmp_path], ALL_CODES)
    assert _everything(pooled) == _everything(serial)
    assert "SHP401" in {v.code for v in serial.violations if "big" in v.path}


def test_only_projects_without_kept_results_go_to_the_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the cache, a small project whose results an earlier run kept is checked here (it
    mostly reads them; forking costs more); the cold ones still go to the pool. The report is
    the same either way."""
    import shutil

    from linter.run.cache import DIRECTORY

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    tree = tmp_path / "tree"
    fixtures = [p for p in sorted(FIXTURES.iterdir()) if (p / "steamship.json").is_file()][:6]
    for fixture in fixtures:
        shutil.copytree(fixture, tree / fixture.name)
    monkeypatch.setattr(engine, "PROJECT_POOL_MIN_FILES", 0)
    pools: List[int] = []
    original = engine._project_pool

    def project_pool(jobs: int, parses: bool) -> object:
        pools.append(jobs)
        return original(jobs, parses)

    monkeypatch.setattr(engine, "_project_pool", project_pool)
    cold = engine.check([tree], ALL_CODES, cache=True)
    assert pools == [len(fixtures)]
    assert all((tree / fixture.name / DIRECTORY).is_dir() for fixture in fixtures)
    warm = engine.check([tree], ALL_CODES, cache=True)
    assert pools == [len(fixtures)], "every project warm: no pool"
    shutil.rmtree(tree / fixtures[0].name / DIRECTORY)
    monkeypatch.setattr(engine, "PROJECT_POOL_MIN", 1)
    one_cold = engine.check([tree], ALL_CODES, cache=True)
    assert pools == [len(fixtures), 1]
    assert _everything(cold) == _everything(warm) == _everything(one_cold)
    assert cold.violations


def test_few_collections_raises_the_thresholds_and_restores_them() -> None:
    import gc

    from linter.run.collector import GC_THRESHOLDS, few_collections

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with few_collections():
            assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_threshold() == (700, 10, 10)
        gc.set_threshold(0, 10, 10)  # collection switched off: left so
        with few_collections():
            assert gc.get_threshold()[0] == 0
        gc.set_threshold(200_000, 10, 10)  # a larger threshold is kept
        with few_collections():
            assert gc.get_threshold() == (200_000, 50, 100)
    finally:
        gc.set_threshold(*before)
