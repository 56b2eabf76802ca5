"""Which files of a project pkgcheck analyses: the cheap prefilter before any parse.

A module is *in scope* when its text mentions ``steamship`` or ``invoke_later``, or it imports
(transitively) a project module that is in scope. Only in-scope modules can define or use
packages, mixins or route decorators that pkgcheck can resolve, so only they are parsed; the
rest are read and scanned for imports with a regular expression. ``invoke_later`` is a mark of
its own because a call on a receiver pkgcheck cannot resolve is itself a finding (SHP406), so
it must be seen whether or not the file names steamship. Most files of a real project (and all
of the standard library) never pass. A file named on the command line is parsed whatever it
holds (:func:`linter.run.checker.analyse`'s ``named``): the prefilter is for the files a walk finds.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import os
import re
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from linter.project.files import iter_python_files, iter_python_names
from linter.project.index import Project
from linter.project.marks import _IMPORT, _absolute_names, _import_lines, has_mark, in_standard_library
from linter.project.scan import Record, scan


def in_scope(project: Project, files: Sequence[Path]) -> List[Path]:
    """The subset of ``files`` that is in scope, in the given order (see :func:`in_scope_names`)."""
    return [files[index] for index in in_scope_names(project, [str(path) for path in files])]


def in_scope_names(project: Project, names: Sequence[str], split: bool = False) -> List[int]:
    """The indexes of the files ``names`` (paths as strings, as a walk makes them) that are in
    scope, in order.

    A file is in scope when it has a mark, or when one of its imports resolves (as
    :func:`_resolve_file` resolves it) to a file in scope. Resolving every import of every
    file costs more than everything else here on a large tree with little Steamship code, so
    it runs backwards from the files in scope, and only through the files that may import one
    (:class:`_Importers`): when a file comes into scope, the names it is found under (its stem,
    or its package's directory name) are looked for in the import lines of the others, and
    only the files where one is found have their imports resolved, as before.

    With the project's on-disk cache, what each file holds is remembered beside its status, and
    a file whose status has not changed is not read again (:mod:`linter.project.scan`).
    ``split``: the caller allows child processes (a scan in two halves, the record written in
    the background) and calls :func:`linter.project.scan.wait_for_writers` before it ends.
    """
    store = project.cache
    record = Record(store, str(project.root)) if store is not None and hasattr(store, "get_scan") else None
    found = scan(names, project.texts_in_hand(), record, split)
    if record is not None:
        record.save(background=split)  # the caller waits for it (scan.wait_for_writers)
    relevant: Set[str] = {names[index] for index in found.marked}
    for index, content in found.texts.items():
        project.keep_bytes(Path(names[index]), content)  # the loader parses it next: no second read
    if not relevant:
        return []
    importers = _Importers(names, found.imports)
    absolute: Dict[int, Tuple[Path, Set[str]]] = {}
    resolved: Dict[Tuple[int, str], Optional[Path]] = {}
    pending = list(relevant)
    while pending:
        current = Path(pending.pop())
        key = current.parent.name if current.name == "__init__.py" else current.stem
        if not key.isidentifier():
            continue  # a name resolves to a file through identifiers only (Layout.find)
        for index in importers.naming(key):
            importer = names[index]
            if importer in relevant or in_standard_library(importer):
                continue  # the standard library is in scope by its own text only
            if index not in absolute:
                lines = found.imports[index]
                naming = functools.partial(project.package_name, importer)
                every = _absolute_names([match.groups() for match in _IMPORT.finditer(lines)], naming)
                absolute[index] = (Path(importer), set(every))
            near, every = absolute[index]
            for name in every:
                if key not in name.split("."):
                    continue
                if (index, name) not in resolved:
                    resolved[(index, name)] = _resolve_file(project, name, near)
                if resolved[(index, name)] == current:
                    relevant.add(importer)
                    pending.append(importer)
                    break
    return [index for index, name in enumerate(names) if name in relevant]


class _Importers:
    """The files of a scan that may import a module found under a given name, over-approximated
    from their import lines' text and their directories, never missing one.

    A name resolves to a file through its longest prefix that names one, and that prefix ends
    with the file's stem or its package's directory name (*key*): a component of the name. A
    component comes from the text of an import line, where it stands between characters that
    are not ASCII letters, digits or ``_`` (dots, commas, white space, brackets, ``as``, the
    line's ends), or, for a relative import, from the importing module's package: a directory
    on the file's path. So the files to resolve for a key are those whose import lines hold it
    as a word, and those with a relative import in a directory with it on the path.

    Looking for a word reads the lines of every file (one ``bytes.find`` through them all, in C);
    past :data:`SEARCHES` keys, an index of the words of every file is built once instead.
    """

    SEARCHES = 24
    _WORD = re.compile(rb"[A-Za-z0-9_]+")
    _RELATIVE = re.compile(rb"^[ \t]*from[ \t]+\.", re.MULTILINE)

    def __init__(self, names: Sequence[str], imports: Dict[int, bytes]) -> None:
        self.names = names
        self.imports = imports
        self.order = list(imports)
        # the lines of every file, one after another, each after a line break
        self.text = b"\n" + b"\n".join(imports.values())
        self.starts = list(itertools.accumulate((len(imports[index]) + 1 for index in self.order), initial=0))
        self.searches = 0
        self.words: Optional[Dict[bytes, List[int]]] = None
        self.directories: Optional[Dict[str, List[int]]] = None

    def naming(self, key: str) -> List[int]:
        """The files that may import a module found under ``key`` (an identifier)."""
        word = key.encode("utf-8")
        found = dict.fromkeys(self._holding(word))
        for index in self._relative_below(key):
            found[index] = None
        return list(found)

    def _holding(self, word: bytes) -> List[int]:
        if word.isascii():
            if self.words is None and self.searches >= self.SEARCHES:
                self.words = self._index_words()
            if self.words is not None:
                return self.words.get(word, [])
            self.searches += 1
        text, starts, order = self.text, self.starts, self.order
        size = len(word)
        found: List[int] = []
        position = text.find(word)
        while position != -1:
            end = position + size
            if not (_is_word_byte(text, position - 1) or _is_word_byte(text, end)):
                index = order[bisect.bisect_right(starts, position) - 1]
                if not found or found[-1] != index:
                    found.append(index)
            position = text.find(word, position + 1)
        return found

    def _index_words(self) -> Dict[bytes, List[int]]:
        words: Dict[bytes, List[int]] = {}
        findall = self._WORD.findall
        for index in self.order:
            for word in set(findall(self.imports[index])):
                words.setdefault(word, []).append(index)
        return words

    def _relative_below(self, key: str) -> List[int]:
        """The files with a relative import whose directory's path holds ``key``."""
        if self.directories is None:
            by_directory: Dict[str, List[int]] = {}
            for index in self.order:  # grouped by what precedes the name: a call per directory
                by_directory.setdefault(self.names[index].rpartition(os.sep)[0], []).append(index)
            self.directories = {}
            for indexes in by_directory.values():
                directory = os.path.abspath(os.path.dirname(self.names[indexes[0]]))
                for part in set(Path(directory).parts):
                    self.directories.setdefault(part, []).extend(indexes)
        search = self._RELATIVE.search
        return [index for index in self.directories.get(key, ()) if search(self.imports[index])]


def _is_word_byte(text: bytes, position: int) -> bool:
    """Whether ``text[position]`` is an ASCII letter, digit or ``_`` (False out of range)."""
    if position < 0 or position >= len(text):
        return False
    byte = text[position]
    return 48 <= byte <= 57 or 65 <= byte <= 90 or 97 <= byte <= 122 or byte == 95


def joins_scope(project: Project, path: Path, content: bytes, chosen: Iterable[Path]) -> bool:
    """Whether ``path``, added to the files whose in-scope subset is ``chosen``, is in scope.

    Exactly :func:`in_scope`'s verdict on ``files + [path]`` when ``path`` is not among
    ``files``: a file outside the project's walk is in scope when it holds a mark or imports a
    module of ``chosen``. When it is not, nothing else changes either (an importer of ``path``
    can only become relevant through it), so the in-scope set stays ``chosen``.
    """
    if has_mark(content):
        return True
    relevant = set(chosen)
    return any(found in relevant for found in _imported_files(project, path, content))


def _imported_files(project: Project, path: Path, content: bytes) -> Iterator[Path]:
    """The project files that the imports in ``content`` (the text of ``path``) resolve to."""
    naming = functools.partial(project.package_name, path)
    for imported in _absolute_names([match.groups() for match in _import_lines(content)], naming):
        found = _resolve_file(project, imported, path)
        if found is not None:
            yield found


def _resolve_file(project: Project, name: str, near: Path) -> Optional[Path]:
    if project.is_steamship(name):
        return None
    parts = name.split(".")
    # ``from a.b import c`` may name a module a.b.c or a name in a.b: try the longest first.
    while parts:
        found = project.find(".".join(parts), near)
        if found is not None:
            return Path(os.path.abspath(found[0]))
        parts = parts[:-1]
    return None


def project_files(project: Project, excludes: Iterable[str]) -> List[Path]:
    """The project's own walk: the Python files under its root, not entering the directories
    of projects nested in it (each is checked on its own, as its files' nearest root marker
    says)."""
    # the root is absolute and normal (see Layout), so is every path of a walk from it
    return list(iter_python_files([project.root], excludes, nested_projects=False))


def project_file_names(project: Project, excludes: Iterable[str]) -> List[str]:
    """:func:`project_files` as strings."""
    return list(iter_python_names(str(project.root), excludes, nested_projects=False))
