"""Which files there are: project roots and their markers, the walk over paths with exclude
patterns, and what counts as a readable file.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Sequence, Set, Tuple, Union

#: Markers of a project's root directory, nearest first wins.
ROOT_MARKERS = (
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "steamship.json",
    "requirements.txt",
    "tox.ini",
    ".flake8",
    ".git",
)
_MARKER_NAMES = frozenset(ROOT_MARKERS)

#: what a walk leaves out unless told otherwise (``--exclude`` replaces it)
DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "env", ".env", "__pycache__",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".pkgcheck_cache", "build", "dist",
    "*.egg-info", "node_modules", "site-packages",
)  # fmt: skip


def find_project_root(path: Path) -> Path:
    """The nearest directory at or above ``path`` holding a root marker."""
    start = path if path.is_dir() else path.parent
    for directory in (start, *start.parents):
        if any((directory / marker).exists() for marker in ROOT_MARKERS):
            return directory
    # No marker: the outermost package holding ``path`` (not the whole directory it sits in,
    # which may be a site-packages), else the directory itself.
    top = start
    while (top / "__init__.py").is_file() and (top.parent / "__init__.py").is_file():
        top = top.parent
    return top


def package_root(directory: Path) -> Path:
    """The directory from which ``directory`` is importable: above its ``__init__.py`` chain."""
    while (directory / "__init__.py").is_file() and directory.parent != directory:
        directory = directory.parent
    return directory


def is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


class ExcludeMatcher:
    """Exclude patterns compiled once: a file or directory is excluded when its name or its full
    path matches one of them, as ``fnmatch.fnmatch`` would match it (case-folded where the
    platform folds case).

    Two regular expressions (one alternation of all patterns, tried on the name and on the
    path) replace ``2 × len(patterns)`` ``fnmatch`` calls per entry of the walk.
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        #: ``os.path.normcase``, where it changes anything (not on POSIX: a call per entry saved)
        self._fold = os.path.normcase if os.path.normcase("A") != "A" else None
        self._match = _compiled(self.patterns)
        #: the patterns that can match a full path where they do not match its last name
        self._match_full = _compiled(tuple(p for p in self.patterns if _may_match_more_than_a_name(p)))

    def __call__(self, name: str, full: str) -> bool:
        match = self._match
        if match is None:
            return False
        fold = self._fold
        if fold is not None:
            name, full = fold(name), fold(full)
        if match(name) is not None:
            return True
        match = self._match_full
        return match is not None and match(full) is not None


def _may_match_more_than_a_name(pattern: str) -> bool:
    """Whether ``pattern`` can match a full path (it holds a separator) where it does not match
    the path's last name. One without a wildcard matches only itself, never a path with a
    separator in it; ``*`` then a literal without a separator (``*.egg-info``) matches a path
    exactly when it matches the path's last name. Every other pattern may."""
    separators = {os.sep, os.altsep or os.sep}
    if any(character in separators for character in pattern):
        return True
    wildcards = set("*?[")
    if not wildcards.intersection(pattern):
        return False
    return not (pattern.startswith("*") and not wildcards.intersection(pattern[1:]))


@functools.lru_cache(maxsize=32)
def _compiled(patterns: Tuple[str, ...]) -> Optional[Callable[[str], Optional["re.Match[str]"]]]:
    """One regular expression for ``patterns`` (each project of a run has the same ones, mostly)."""
    import fnmatch

    if not patterns:
        return None
    return re.compile("|".join(fnmatch.translate(os.path.normcase(p)) for p in patterns)).match


def iter_python_files(
    paths: Sequence[Path], excluded: Iterable[str] = (), *, nested_projects: bool = True
) -> Iterator[Path]:
    """Python files under ``paths`` (files given explicitly are always included).

    Without ``nested_projects``, a walk does not enter a directory below a path that holds a
    root marker (:data:`ROOT_MARKERS`): its files are another project's (see
    :func:`linter.run.engine.group_by_project`). The markers are looked for in the directory's own
    listing, so this costs no extra system call.
    """
    seen: Set[str] = set()  # paths as strings: cheaper to hash than Paths
    for path in paths:
        if path.is_file() or not path.is_dir():
            # Named explicitly: always a target, even when it cannot be read (a missing path
            # is reported like an unreadable file, as flake8 and ruff do, not skipped).
            if str(path) not in seen:
                seen.add(str(path))
                yield path
            continue
        for full in iter_python_names(str(path), excluded, nested_projects=nested_projects):
            if full not in seen:
                seen.add(full)
                yield Path(full)


def iter_python_names(top: str, excluded: Iterable[str] = (), *, nested_projects: bool = True) -> Iterator[str]:
    """The walk of :func:`iter_python_files` under directory ``top``, as strings: a walk of a
    large tree builds no :class:`Path` for the files nobody asks about again."""
    skip = ExcludeMatcher(excluded)
    join = os.path.join
    for directory, subdirs, files in os.walk(top, followlinks=False):
        if not nested_projects and directory != top and not (
            _MARKER_NAMES.isdisjoint(files) and _MARKER_NAMES.isdisjoint(subdirs)
        ):
            subdirs[:] = []
            continue
        subdirs[:] = sorted(d for d in subdirs if not skip(d, join(directory, d)))
        # os.path.join(directory, file) for a file name (no separator in it), without a call
        prefix = directory if directory.endswith(os.sep) else directory + os.sep
        for file in sorted(files):
            if not file.endswith(".py"):
                continue
            full = prefix + file
            if not skip(file, full):
                yield full


class NotRegularFile(OSError):
    """Only regular files are read: a FIFO would block forever, a device never ends."""


#: opening a FIFO for reading without O_NONBLOCK waits for a writer; with it, it returns at once
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def read_regular(path: Path) -> bytes:
    """The bytes of ``path``; :class:`NotRegularFile` when it is a FIFO, a device or a socket."""
    return read_regular_with_status(path)[0]


def read_regular_with_status(path: "Union[Path, str]") -> "Tuple[bytes, os.stat_result]":
    """The bytes of ``path`` and its status, taken before they were read (a change made while it
    is read is one made after the status: the next look sees another status);
    :class:`NotRegularFile` when it is a FIFO, a device or a socket.

    One ``open``, one ``fstat`` and the reads: the type is asked of the open file, so nothing
    can change between the question and the read."""
    import stat

    if not hasattr(os, "O_NONBLOCK"):  # no non-blocking open here: ask first, as before
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            raise NotRegularFile(0, "not a regular file (a FIFO, a device, a socket)")
        with open(path, "rb") as handle:
            return handle.read(), status
    descriptor = os.open(path, _READ_FLAGS)
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise NotRegularFile(0, "not a regular file (a FIFO, a device, a socket)")
        # One byte more than its size: a read that returns less has reached the end (a regular
        # file reads short only there), so most files take one read; one that grew is read on.
        chunk = os.read(descriptor, status.st_size + 1)
        if len(chunk) <= status.st_size:
            return chunk, status
        chunks = [chunk]
        while chunk:
            chunk = os.read(descriptor, 65536)
            chunks.append(chunk)
        return b"".join(chunks), status
    finally:
        os.close(descriptor)
