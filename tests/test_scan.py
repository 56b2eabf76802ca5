"""The prefilter's record in the on-disk cache (:mod:`linter.project.scan`): a file whose status
(size, mtime, ctime, inode) is what the record holds is not read again, any other file is, and a
file changed just before a scan is never recorded — so a scan with the record always decides
what a scan without it decides."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from linter.project import scan, scope
from linter.project.index import Project
from linter.run import engine
from linter.run.cache import Cache
from linter.sdk.locate import locate_steamship
from rules import default_codes

FILES = {
    "steamship.json": "{}\n",
    "bot/__init__.py": "from .mixins import Health\n",
    "bot/mixins.py": "from steamship.invocable import PackageMixin\nclass Health(PackageMixin): pass\n",
    "app.py": "from bot import Health\n",
    "tool.py": "import json\n",
    "other.py": "import app as application\n",
    "plain.py": "VALUE = 1\n",
}


@pytest.fixture(autouse=True)
def private_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


def make(root: Path, files: Dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def run(root: Path, cached: bool = True) -> Tuple[List[str], scan.Scanned]:
    """The in-scope files of a scan of ``root`` (relative), and the scan itself."""
    project = Project(root, locate_steamship(project_root=root), None, Cache(root) if cached else None)
    names = scope.project_file_names(project, engine.DEFAULT_EXCLUDES)
    seen: List[scan.Scanned] = []
    original = scope.scan

    def keeping(*args: object) -> scan.Scanned:
        seen.append(original(*args))  # type: ignore[arg-type]
        return seen[-1]

    scope.scan = keeping  # type: ignore[assignment]
    try:
        kept = scope.in_scope_names(project, names)
    finally:
        scope.scan = original  # type: ignore[assignment]
    return sorted(Path(names[i]).relative_to(root).as_posix() for i in kept), seen[0]


@pytest.fixture
def old_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file counts as old enough to record (as a file untouched for a while would)."""
    monkeypatch.setattr(scan, "RACY_NS", -(10**18))


def test_unchanged_files_are_not_read_again(tmp_path: Path, old_enough: None) -> None:
    make(tmp_path, FILES)
    cold, first = run(tmp_path)
    assert first.read == 6
    warm, second = run(tmp_path)
    assert (warm, second.read) == (cold, 0)
    assert cold == run(tmp_path, cached=False)[0] == ["app.py", "bot/__init__.py", "bot/mixins.py", "other.py"]


def test_a_changed_file_is_read_again(tmp_path: Path, old_enough: None) -> None:
    make(tmp_path, FILES)
    run(tmp_path)
    tool = tmp_path / "tool.py"
    status = tool.stat()
    # the same size and the same mtime, the mark added: ctime (which no one can set) tells
    tool.write_text("import jsox\n", encoding="utf-8")
    os.utime(tool, ns=(status.st_atime_ns, status.st_mtime_ns))
    if tool.stat().st_ctime_ns == status.st_ctime_ns:
        pytest.skip("timestamps coarser than a run here: the case RACY_NS keeps out of the record")
    assert run(tmp_path)[1].read == 1
    tool.write_text("import app  \n", encoding="utf-8")  # same size, now importing a file in scope
    kept, found = run(tmp_path)
    assert found.read == 1 and "tool.py" in kept
    assert kept == run(tmp_path, cached=False)[0]


def test_a_replaced_file_is_read_again(tmp_path: Path, old_enough: None) -> None:
    make(tmp_path, FILES)
    run(tmp_path)
    plain = tmp_path / "plain.py"
    status = plain.stat()
    replacement = tmp_path / "plain.tmp"
    replacement.write_text("VALUE = 2\n", encoding="utf-8")
    os.utime(replacement, ns=(status.st_atime_ns, status.st_mtime_ns))
    os.replace(replacement, plain)  # an editor's save: another inode
    assert run(tmp_path)[1].read == 1


def test_files_changed_just_before_a_scan_are_never_recorded(tmp_path: Path) -> None:
    make(tmp_path, FILES)
    old = time.time_ns() - 3600 * 10**9
    for name in FILES:
        os.utime(tmp_path / name, ns=(old, old))  # mtime an hour ago, ctime now
    run(tmp_path)
    record = Cache(tmp_path).get_scan()
    assert record is None or record["files"] == {}
    assert run(tmp_path)[1].read == 6  # nothing to trust


def test_the_recorded_status_is_taken_before_the_read(tmp_path: Path, old_enough: None) -> None:
    make(tmp_path, FILES)
    run(tmp_path)
    entries = Cache(tmp_path).get_scan()["files"]
    for name, entry in entries.items():
        status = (tmp_path / name).stat()
        assert entry[:4] == [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino]
    assert entries["bot/mixins.py"][4] is None  # a mark: nothing else kept
    assert entries["app.py"][4] == "from bot import Health"
    assert entries["plain.py"][4] == ""


def test_a_record_not_signed_here_is_not_trusted(tmp_path: Path, old_enough: None) -> None:
    make(tmp_path, FILES)
    run(tmp_path)
    (entry,) = (tmp_path / ".pkgcheck_cache").rglob("scan.json")
    signature, _, text = entry.read_bytes().partition(b"\n")
    body = json.loads(text)
    body["files"]["bot/mixins.py"][4] = ""  # "no mark": would drop the package from scope
    entry.write_bytes(signature + b"\n" + json.dumps(body).encode("utf-8"))  # the old signature
    kept, found = run(tmp_path)
    assert found.read == 6 and "bot/mixins.py" in kept


def test_a_record_of_another_root_is_not_used(tmp_path: Path, old_enough: None) -> None:
    make(tmp_path, FILES)
    run(tmp_path)
    cache = Cache(tmp_path)
    cache.put_scan({"root": "/elsewhere", "files": cache.get_scan()["files"]})
    assert run(tmp_path)[1].read == 6


def test_a_fifo_is_never_recorded(tmp_path: Path, old_enough: None) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    make(tmp_path, FILES)
    os.mkfifo(tmp_path / "pipe.py")
    first, _ = run(tmp_path)
    second, found = run(tmp_path)
    assert "pipe.py" in first and first == second and found.read == 0
    assert "pipe.py" not in Cache(tmp_path).get_scan()["files"]


def test_the_cli_reports_the_same_with_the_record(tmp_path: Path, old_enough: None) -> None:
    make(tmp_path, FILES)
    codes = default_codes()
    fresh = engine.check([tmp_path], codes, cache=False)
    cached = [engine.check([tmp_path], codes, cache=True) for _ in range(2)]
    for report in cached:
        assert report.violations == fresh.violations and report.targets == fresh.targets


def scanned(found: scan.Scanned) -> Tuple[List[int], Dict[int, bytes], Dict[int, bytes], int]:
    return sorted(found.marked), found.imports, found.texts, found.read


def record_of(root: Path) -> scan.Record:
    return scan.Record(Cache(root), str(root))


@pytest.mark.parametrize("preloaded", [False, True], ids=["half-here", "both-halves-in-children"])
def test_a_split_scan_answers_and_records_what_one_scan_does(tmp_path: Path, old_enough: None, preloaded: bool) -> None:
    files = {f"lib/d{n // 7}/m{n}.py": f"import os\nfrom . import m{n + 1}\n" for n in range(40)}
    files.update(FILES)
    files["lib/d2/m15.py"] = "from steamship import Steamship\n"
    files["lib/d5/m38.py"] = "x = 1  # no import at all\n"
    make(tmp_path, files)
    project = Project(tmp_path, locate_steamship(project_root=tmp_path), None, None)
    names = scope.project_file_names(project, engine.DEFAULT_EXCLUDES)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for name in names:  # the same tree twice, one record each
        for copy in ("a", "b"):
            target = tmp_path / copy / Path(name).relative_to(tmp_path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(Path(name).read_bytes())
    one_names = [str(tmp_path / "a" / Path(n).relative_to(tmp_path)) for n in names]
    two_names = [str(tmp_path / "b" / Path(n).relative_to(tmp_path)) for n in names]
    for state in ("cold", "warm"):
        one, two = record_of(tmp_path / "a"), record_of(tmp_path / "b")
        whole = scan._scan(one_names, {}, one)
        ran: List[int] = []
        split = scan._scan_split(two_names, {}, two, (lambda: ran.append(os.getpid())) if preloaded else None)
        assert split is not None
        assert ran == ([os.getpid()] if preloaded else [])  # the work, once, in this process
        assert scanned(split) == scanned(whole), state
        assert two.added == one.added, state
        one.save()
        two.save()
        written = {copy: Cache(tmp_path / copy).get_scan()["files"] for copy in ("a", "b")}
        assert {k: (e[0], e[4]) for k, e in written["b"].items()} == {k: (e[0], e[4]) for k, e in written["a"].items()}
        for key, entry in written["b"].items():  # the copies' own status
            status = (tmp_path / "b" / key).stat()
            assert entry[:4] == [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino]
        assert len(written["a"]) == len(names)
    assert scanned(whole)[3] == 0  # the warm scans read nothing


def test_a_split_scan_whose_child_fails_is_finished_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tmp_path, {f"m{n}.py": ("import steamship\n" if n % 3 else "import os\n") for n in range(12)})
    names = sorted(str(p) for p in tmp_path.glob("*.py"))
    expected = scanned(scan._scan(names, {}, None))
    parent = os.getpid()
    original = scan._scan

    def failing_in_the_child(*args: object) -> scan.Scanned:
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(scan, "_scan", failing_in_the_child)
    found = scan._scan_split(names, {}, None)
    assert found is not None and scanned(found) == expected
    ran: List[str] = []
    found = scan._scan_split(names, {}, None, lambda: ran.append("work"))  # both children fail
    assert found is not None and scanned(found) == expected and ran == ["work"]
    monkeypatch.setattr(os, "fork", lambda: (_ for _ in ()).throw(OSError("no fork here")))
    assert scan._scan_split(names, {}, None) is None
    assert scanned(scan.scan(names, {}, None, split=True)) == expected  # scanned here instead
    assert scan._scan_split(names, {}, None, lambda: ran.append("again")) is None
    assert ran == ["work", "again"]  # the work is done even when no child starts


def test_preloaded_work_runs_once_in_the_first_split_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tmp_path, {f"m{n}.py": ("import steamship\n" if n % 3 else "import os\n") for n in range(12)})
    names = sorted(str(p) for p in tmp_path.glob("*.py"))
    expected = scanned(scan._scan(names, {}, None))
    monkeypatch.setattr(scan, "SPLIT_MIN", 10)
    ran: List[int] = []

    def work() -> None:
        ran.append(os.getpid())
        raise RuntimeError("its errors are the caller's to report, later")

    with scan.preloading(work):
        assert scanned(scan.scan(names[:5], {}, None, split=True)) == scanned(scan._scan(names[:5], {}, None))
        assert ran == []  # too few files to split: not yet
        assert scanned(scan.scan(names, {}, None, split=True)) == expected
        assert scanned(scan.scan(names, {}, None, split=True)) == expected
    assert ran == [os.getpid()] and scan._preload == []
    with scan.preloading(work):
        pass
    assert scan._preload == []  # unused work does not outlive its block


def test_the_engine_splits_a_large_walk_and_reports_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, {f"lib/m{n}.py": "import os\n" for n in range(30)})
    make(tmp_path, {
        "bot/__init__.py": "",
        "bot/mixins.py": (
            "from steamship.invocable.package_mixin import PackageMixin\nclass Health(PackageMixin): pass\n"
        ),
    })
    (tmp_path / "bot" / "api.py").write_text(
        "from steamship.invocable import PackageService, post\nfrom .mixins import Health\n\n\n"
        "class Bot(PackageService):\n    USED_MIXIN_CLASSES = [Health]\n\n"
        '    @post("go")\n    def go(self) -> str:\n        self.invoke_later("og")\n        return "g"\n',
        encoding="utf-8",
    )
    calls: List[int] = []
    original = scan._scan_split

    def counting(*args: object) -> object:
        calls.append(len(args[0]))  # type: ignore[arg-type]
        return original(*args)  # type: ignore[arg-type]

    serial = engine.check([tmp_path], default_codes(), cache=False)
    monkeypatch.setattr(scan, "SPLIT_MIN", 10)
    monkeypatch.setattr(scan, "_scan_split", counting)
    split = engine.check([tmp_path], default_codes(), cache=False)
    assert calls and calls[0] >= 30
    assert [v.code for v in split.violations] == [v.code for v in serial.violations] == ["SHP401"]


def test_a_record_written_in_the_background_is_the_one_written_here(
    tmp_path: Path, old_enough: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {f"lib/m{n}.py": f"import os\nfrom lib import m{n + 1}\n" for n in range(20)}
    files.update(FILES)
    trees = {}
    for copy in ("here", "child", "failing"):
        make(tmp_path / copy, files)
        trees[copy] = sorted(str(p) for p in (tmp_path / copy).rglob("*.py"))

    def written(copy: str) -> Dict[str, object]:
        found = Cache(tmp_path / copy).get_scan()
        return {key: (entry[0], entry[4]) for key, entry in found["files"].items()} if found else {}

    here = record_of(tmp_path / "here")
    scan._scan(trees["here"], {}, here)
    here.save()
    child = record_of(tmp_path / "child")
    scan._scan(trees["child"], {}, child)
    child.save(background=True)
    assert [record for _, record in scan._writers] == [child]  # a child process writes it
    scan.wait_for_writers()
    assert scan._writers == []
    assert written("child") == written("here") and len(written("here")) == len(trees["here"])
    # a writer that fails: the record is written when it is waited for
    parent = os.getpid()
    original = scan.Record._write

    def failing_in_the_child(self: scan.Record) -> None:
        if os.getpid() != parent:
            raise RuntimeError("the writer fails")
        original(self)

    monkeypatch.setattr(scan.Record, "_write", failing_in_the_child)
    failing = record_of(tmp_path / "failing")
    scan._scan(trees["failing"], {}, failing)
    failing.save(background=True)
    scan.wait_for_writers()
    assert written("failing") == written("here")


def test_the_engine_waits_for_the_record_it_writes_in_the_background(
    tmp_path: Path, old_enough: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, {f"lib/m{n}.py": "import os\n" for n in range(30)})
    make(tmp_path, FILES)
    monkeypatch.setattr(scan, "SPLIT_MIN", 10)
    saves: List[bool] = []
    original = scan.Record.save

    def recording(self: scan.Record, background: bool = False) -> None:
        saves.append(background)
        original(self, background)

    monkeypatch.setattr(scan.Record, "save", recording)
    report = engine.check([tmp_path], default_codes(), cache=True)
    assert saves == [True] and scan._writers == []
    recorded = Cache(tmp_path).get_scan()
    assert recorded is not None and len(recorded["files"]) == len(list(tmp_path.rglob("*.py"))) > 30
    assert [v.code for v in report.violations] == [v.code for v in engine.check([tmp_path], default_codes()).violations]
