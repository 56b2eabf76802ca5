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

import functools
import os
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from linter.project.files import iter_python_files
from linter.project.index import Project
from linter.project.marks import _IMPORT, _absolute_names, _import_lines, has_mark


def in_scope(project: Project, files: Sequence[Path]) -> List[Path]:
    """The subset of ``files`` that is in scope, in the given order.

    A file is in scope when it has a mark, or when one of its imports resolves (as
    :func:`_resolve_file` resolves it) to a file in scope. Resolving every import of every
    file costs more than everything else here on a large tree with little Steamship code, so
    it runs backwards from the files in scope: the names a file imports are indexed by each of
    their dotted components, and when a file comes into scope, only the imports holding the
    name it is found under (its stem, or its package's directory name) are resolved.
    """
    # Of a file without a mark, only its import lines are kept (one small bytes object), not
    # its text: on a large tree with little Steamship code, nearly every file is such a file.
    imports: List[Tuple[Path, bytes]] = []
    relevant: Set[Path] = set()
    for path in files:
        if path in project.overrides:
            content = project.overrides[path].encode("utf-8", "surrogatepass")
        else:
            try:
                content = project.read_bytes(path, keep=False)
            except OSError:
                relevant.add(path)  # unreadable: let the loader report it
                continue
        if has_mark(content):
            relevant.add(path)
            project.keep_bytes(path, content)  # the loader parses it next: no second read
        else:
            lines = b"\n".join(match.group(0) for match in _import_lines(content))
            if lines:
                imports.append((path, lines))
    if not relevant:
        return []
    # absolute imported name -> the files (indexes into ``imports``) that import it, and
    # name component -> the names holding it, over the files not yet in scope. A name resolves
    # to a file through its longest prefix that names one, and that prefix ends with the file's
    # stem or its package's name: a component of the name.
    importers: Dict[str, List[int]] = {}
    for index, (path, lines) in enumerate(imports):
        naming = functools.partial(project.package_name, path)
        for name in set(_absolute_names([match.groups() for match in _IMPORT.finditer(lines)], naming)):
            importers.setdefault(name, []).append(index)
    by_component: Dict[str, List[str]] = {}
    for name in importers:
        for component in set(name.split(".")):
            by_component.setdefault(component, []).append(name)
    resolved: Dict[Tuple[Path, str], Optional[Path]] = {}
    pending = list(relevant)
    while pending:
        current = pending.pop()
        key = current.parent.name if current.name == "__init__.py" else current.stem
        for name in by_component.get(key, ()):
            for index in importers[name]:
                importer = imports[index][0]
                if importer in relevant:
                    continue
                if (importer, name) not in resolved:
                    resolved[(importer, name)] = _resolve_file(project, name, importer)
                if resolved[(importer, name)] == current:
                    relevant.add(importer)
                    pending.append(importer)
    return [path for path in files if path in relevant]


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
