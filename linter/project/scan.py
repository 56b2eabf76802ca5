"""What the prefilter reads of each file of a walk: whether its text holds a mark, and its
import lines (:mod:`linter.project.marks`); from the file itself, or from the record an earlier
scan left in the on-disk cache when the file's status says it has not changed since.

A record's entry holds a file's size, ``st_mtime_ns``, ``st_ctime_ns`` and inode beside what
was read; a file is trusted to be unchanged only when all four are what they were. Timestamps
are coarse (a file system ticks every few milliseconds, some every second or two), so a file
written again within the tick it was read in, to the same size, would keep all four: a file
whose mtime or ctime is less than :data:`RACY_NS` before the scan started is never recorded
(git's "racily clean" entries, avoided rather than re-checked). ``ctime`` cannot be set back by
``touch`` or ``os.utime``, and a file replaced by another (a rename, an editor's save through a
temporary file) has another inode. What "now" is for that test is the file system's own
clock where the cache can say it (:meth:`linter.run.cache.Cache.scan_clock`), never later than
this machine's.

This module imports the standard library, :mod:`linter.project.files` and
:mod:`linter.project.marks` only.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from linter.project.files import read_regular_with_status
from linter.project.marks import _IMPORT_LINE, has_mark

#: a file changed less than this long before a scan began is read, never recorded
RACY_NS = 3_000_000_000


class Scanned:
    """One scan's answer for files given by index: those in scope whatever their imports (a
    mark, or unreadable: the loader reports why), and the import lines of the others."""

    def __init__(self) -> None:
        #: files with a mark, or that cannot be read
        self.marked: List[int] = []
        #: files without a mark that have import lines -> those lines (``\n``-separated)
        self.imports: Dict[int, bytes] = {}
        #: files with a mark read in this scan -> their bytes (for the loader: no second read)
        self.texts: Dict[int, bytes] = {}
        #: files read in this scan (the others were known from the record)
        self.read = 0


def import_lines(content: bytes) -> bytes:
    """The lines of ``content`` that :data:`linter.project.marks._IMPORT` matches, joined by
    ``\n``: :func:`linter.project.marks._import_lines` unrolled (once per file of a walk)."""
    find = content.find
    position = find(b"import")
    if position == -1:
        return b""
    rfind = content.rfind
    match = _IMPORT_LINE.match
    found: List[bytes] = []
    tried = -1
    while position != -1:
        start = rfind(b"\n", 0, position) + 1
        if start != tried:
            tried = start
            line = match(content, start)
            if line is not None:
                found.append(line.group())
        position = find(b"import", position + 6)
    return b"\n".join(found)


class Record:
    """The record of one project's scans, kept by the on-disk cache (``store``: an object with
    ``get_scan()``, ``put_scan(data, more_entries)`` and ``scan_clock()``, see :class:`linter.run.cache.Cache`).

    Entries are keyed by path relative to ``root`` (files outside it by their path as given);
    only the entries of the files this scan saw are written back, and only when they differ
    from the ones read."""

    def __init__(self, store: Any, root: str) -> None:
        self.store = store
        self.root = root
        self.prefix = root.rstrip(os.sep) + os.sep
        #: key -> [size, mtime_ns, ctime_ns, inode, import lines (latin-1) or None for a mark]
        self.known: Dict[str, List[Any]] = {}
        data = store.get_scan()
        if isinstance(data, dict) and data.get("root") == root and isinstance(data.get("files"), dict):
            self.known = data["files"]
        self.fresh: Dict[str, List[Any]] = {}
        self.added = 0
        #: entries made by the child process of a split scan, as JSON text (``"key":[...]``
        #: pairs): written out as they came, never decoded here
        self.encoded: List[str] = []
        self.encoded_count = 0
        clock = store.scan_clock()
        #: files whose mtime or ctime is at or past this are not recorded (see the module's doc)
        self.threshold = (clock if clock is not None else time.time_ns()) - RACY_NS

    def key(self, name: str) -> str:
        """The entry's key of file ``name`` (as :func:`_scan` makes it, inline)."""
        return name[len(self.prefix) :] if name.startswith(self.prefix) else name

    def save(self, background: bool = False) -> None:
        """Write the record when it changed. With ``background`` (the caller allows a child
        process, as for :func:`_scan_split`, and will call :func:`wait_for_writers` before it
        ends), a forked child writes it while this process goes on: encoding, signing and
        writing the 11 MB record of a 100,000-file walk took 0.12-0.16 s of a 1 s cold run,
        and the analysis that follows needs none of it."""
        if not (self.added or len(self.fresh) + self.encoded_count != len(self.known)):
            return
        if background and _may_fork_here():
            try:
                child = os.fork()
            except OSError:
                child = -1
            if child == 0:  # pragma: no cover - the writer, checked by the record it leaves
                status = 1
                try:
                    import gc

                    gc.disable()  # its life is one write: no collection copies the parent's pages
                    self._write()
                    status = 0
                finally:
                    os._exit(status)
            if child > 0:
                _writers.append((child, self))
                return
        self._write()

    def _write(self) -> None:
        self.store.put_scan({"root": self.root, "files": self.fresh}, self.encoded)


#: records being written by a child process (:meth:`Record.save`): (its pid, the record)
_writers: List[Tuple[int, Record]] = []


def wait_for_writers() -> None:
    """Wait until the records being written in the background are written; one whose writer
    failed is written here."""
    while _writers:
        child, record = _writers.pop()
        try:
            failed = os.waitpid(child, 0)[1] != 0
        except OSError:  # not our child any more: nothing to wait for, nothing known
            failed = True
        if failed:
            record._write()


#: A walk of at least this many files is scanned by two processes (when the caller allows it):
#: on 100,000 files the scan is half of a cold run. What a split saves grows with the bytes
#: read, its cost (a fork) does not: the standard library's ~840 files plus 31 packages 0.97x
#: the wall time of one process, 600 files of 100 bytes 1.02x (4 ms more).
SPLIT_MIN = 500


#: work this process may do while children scan a split walk for it (:func:`preloading`)
_preload: List[Callable[[], None]] = []


@contextlib.contextmanager
def preloading(work: Callable[[], None]) -> Iterator[None]:
    """Within this block, the first scan that is split (:func:`_scan_split`) hands both halves
    of the walk to child processes and runs ``work`` meanwhile, once: a run over a large
    project and many small ones imports LibCST for the small ones' pool while the large one's
    files are read. ``work`` runs at most once; whatever it raises is ignored (the caller
    does the same work again later, where its errors are reported)."""
    _preload.append(work)
    try:
        yield
    finally:
        if work in _preload:
            _preload.remove(work)


def scan(
    names: Sequence[str], given: Mapping[str, bytes], record: Optional[Record], split: bool = False
) -> Scanned:
    """Read (or recall) each of the files ``names`` (strings, as the walk made them); ``given``
    are texts to take instead of the disk's (an editor's buffer, bytes read already), never
    recorded. ``split``: the caller allows a child process (see :func:`_scan_split`)."""
    if split and len(names) >= SPLIT_MIN and _may_fork_here():
        found = _scan_split(names, given, record, _preload.pop() if _preload else None)
        if found is not None:
            return found
    return _scan(names, given, record)


def _may_fork_here() -> bool:
    """Whether this process can fork safely: the platform has ``fork``, and this process runs
    one thread (a fork copies only the calling thread, and a lock another one holds stays
    held in the child)."""
    import threading

    return hasattr(os, "fork") and threading.active_count() == 1


def _scan_split(
    names: Sequence[str],
    given: Mapping[str, bytes],
    record: Optional[Record],
    preload: Optional[Callable[[], None]] = None,
) -> Optional[Scanned]:
    """:func:`_scan` of the second half of ``names`` in a forked child, of the first half here,
    joined: the answer of one scan of them all. With ``preload``, the first half is scanned by
    a second child while this process runs ``preload``. None when no child can be started;
    when one fails later, its half is scanned here. A child inherits the record's entries and
    sends back its half's answer (pickled, through a pipe) and the entries it made as the JSON
    text the record is written in: decoding them here and encoding them again cost more than
    the child saved (0.15 s of 0.45 on 100,000 files)."""
    half = len(names) // 2
    parts = [(half, len(names))] if preload is None else [(0, half), (half, len(names))]
    children: List[Tuple[int, int, Optional[Tuple[int, int]]]] = []
    for start, stop in parts:
        children.append((start, stop, _start_child(names[start:stop], given, record)))
    if all(child is None for _, _, child in children):  # no process could be started
        if preload is not None:
            _run(preload)
        return None
    if preload is None:
        found = _scan(names[:half], given, record)
    else:
        found = Scanned()
        _run(preload)
    for start, stop, child in children:
        answer = _answer_of(child) if child is not None else None
        if answer is None:  # the child failed, or could not start: its half is scanned here
            rest = _scan(names[start:stop], given, record)
            answer = (rest.marked, rest.imports, rest.texts, rest.read, None, "", 0)
        _join(found, answer, start, names, record)
    return found


def _run(work: Callable[[], None]) -> None:
    try:
        work()
    except Exception:  # see preloading: done again, and reported, by its caller
        pass


def _start_child(
    names: Sequence[str], given: Mapping[str, bytes], record: Optional[Record]
) -> Optional[Tuple[int, int]]:
    """A forked child that scans ``names`` (see :func:`_scan_split`): its pid and the pipe
    to read its answer from, or None when it cannot be started."""
    import pickle

    try:
        reading, writing = os.pipe()
    except OSError:
        return None
    try:
        child = os.fork()
    except OSError:
        os.close(reading)
        os.close(writing)
        return None
    if child == 0:  # pragma: no cover - the child's half, measured by the parent's result
        status = 1
        try:
            os.close(reading)
            reused: List[int] = []  # entries the parent has already: their positions only
            made: Dict[str, List[Any]] = {}  # entries read in this scan: as JSON text
            if record is not None:
                record.fresh, record.added = {}, 0
            part = _scan(names, given, record)
            if record is not None:
                for position, name in enumerate(names):
                    key = record.key(name)
                    entry = record.fresh.get(key)
                    if entry is not None and record.known.get(key) is entry:
                        reused.append(position)
                    elif entry is not None:
                        made[key] = entry
            encoded = json.dumps(made, separators=(",", ":"), ensure_ascii=False)[1:-1]
            answer = (part.marked, part.imports, part.texts, part.read, reused, encoded, len(made))
            with os.fdopen(writing, "wb") as out:
                pickle.dump(answer, out, protocol=5)
            status = 0
        finally:
            os._exit(status)
    os.close(writing)
    return child, reading


def _answer_of(child: Tuple[int, int]) -> Optional[Tuple[Any, ...]]:
    """What a child of :func:`_start_child` sent, once it has ended; None when it failed."""
    import pickle

    pid, reading = child
    answer: Any = None
    try:
        with os.fdopen(reading, "rb") as incoming:
            answer = pickle.load(incoming)
    except Exception:  # the child died or wrote nothing whole
        answer = None
    try:
        if os.waitpid(pid, 0)[1] != 0:
            answer = None
    except OSError:
        answer = None
    return answer


def _join(found: Scanned, answer: Tuple[Any, ...], offset: int, names: Sequence[str], record: Optional[Record]) -> None:
    """Add to ``found`` the answer of the part of ``names`` from ``offset``: a child's (its
    record entries too), or one scanned here (``reused`` None: its entries are in already)."""
    marked, imports, texts, read, reused, encoded, made = answer
    if record is not None and reused is not None:
        for position in reused:
            key = record.key(names[offset + position])
            record.fresh[key] = record.known[key]
        if made:
            record.encoded.append(encoded)
            record.encoded_count += made
            record.added += made  # every entry the child made is one it read and recorded
    found.marked.extend(index + offset for index in marked)
    found.imports.update((index + offset, lines) for index, lines in imports.items())
    found.texts.update((index + offset, text) for index, text in texts.items())
    found.read += read


def _scan(names: Sequence[str], given: Mapping[str, bytes], record: Optional[Record]) -> Scanned:
    found = Scanned()
    marked, imports, texts = found.marked, found.imports, found.texts
    known: Dict[str, List[Any]] = record.known if record is not None else {}
    fresh: Optional[Dict[str, List[Any]]] = record.fresh if record is not None else None
    prefix = record.prefix if record is not None else ""
    cut = len(prefix)
    threshold = record.threshold if record is not None else 0
    added = 0
    status = os.stat
    for index, name in enumerate(names):
        content = given.get(name) if given else None
        key = name[cut:] if fresh is not None and name.startswith(prefix) else name
        if content is not None:
            if fresh is not None and key in known:
                fresh[key] = known[key]  # the disk's file, unchanged by a text given for it
            if has_mark(content):
                marked.append(index)
                continue
            lines = import_lines(content)
            if lines:
                imports[index] = lines
            continue
        entry = known.get(key) if known else None
        if entry is not None:
            try:
                info = status(name)
            except OSError:
                marked.append(index)  # unreadable: the loader reports it
                continue
            try:
                same = (
                    entry[0] == info.st_size
                    and entry[1] == info.st_mtime_ns
                    and entry[2] == info.st_ctime_ns
                    and entry[3] == info.st_ino
                )
                text = entry[4]
                if same and text is not None:
                    lines = text.encode("latin-1")
            except (IndexError, TypeError, AttributeError, UnicodeError):
                same = False
            if same:
                fresh[key] = entry  # type: ignore[index]
                if text is None:
                    marked.append(index)
                elif lines:
                    imports[index] = lines
                continue
        try:
            content, info = read_regular_with_status(name)
        except OSError:
            marked.append(index)
            continue
        found.read += 1
        if has_mark(content):
            marked.append(index)
            texts[index] = content
            recorded: Optional[str] = None
        else:
            lines = import_lines(content)
            if lines:
                imports[index] = lines
            recorded = lines.decode("latin-1")
        if fresh is not None and info.st_mtime_ns < threshold and info.st_ctime_ns < threshold:
            fresh[key] = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, recorded]
            added += 1
    if record is not None:
        record.added += added
    return found
