"""Which files of a project pkgcheck analyses: the cheap prefilter before any parse.

A module is *in scope* when its text mentions ``steamship`` or ``invoke_later``, or it imports
(transitively) a project module that is in scope. Only in-scope modules can define or use
packages, mixins or route decorators that pkgcheck can resolve, so only they are parsed; the
rest are read and scanned for imports with a regular expression. ``invoke_later`` is a mark of
its own because a call on a receiver pkgcheck cannot resolve is itself a finding (SHP406), so
it must be seen whether or not the file names steamship. Most files of a real project (and all
of the standard library) never pass.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Set

from linter.index import Project, iter_python_files

_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+([^\n#;]*)|import[ \t]+([^\n#;]*))",
    re.MULTILINE,
)
_MARKS = (b"steamship", b"invoke_later")


def imported_names(data: bytes, module: str, is_package: bool) -> List[str]:
    """Absolute module names that ``data`` may import (over-approximated)."""
    names: List[str] = []
    package = module if is_package else module.rpartition(".")[0]
    for match in _IMPORT.finditer(data):
        dots, base, what, plain = match.groups()
        if plain is not None:
            for part in plain.decode("utf-8", "replace").split(","):
                name = part.strip().split(" as ")[0].strip()
                if name:
                    names.append(name)
            continue
        target = base.decode("utf-8", "replace")
        level = len(dots)
        if level:
            parts = package.split(".") if package else []
            if level - 1 > len(parts):
                continue
            prefix = parts[: len(parts) - (level - 1)]
            target = ".".join(prefix + ([target] if target else []))
        if target:
            names.append(target)
        for part in what.decode("utf-8", "replace").strip("()\\ \t").split(","):
            name = part.strip().split(" as ")[0].strip()
            if name and name != "*" and name.isidentifier():
                names.append(f"{target}.{name}" if target else name)
    return names


def in_scope(project: Project, files: Sequence[Path]) -> List[Path]:
    """The subset of ``files`` that is in scope, in the given order."""
    data: Dict[Path, bytes] = {}
    relevant: Set[Path] = set()
    for path in files:
        if path in project.overrides:
            content = project.overrides[path].encode("utf-8", "surrogatepass")
        else:
            try:
                content = project.read_bytes(path)
            except OSError:
                relevant.add(path)  # unreadable: let the loader report it
                continue
        data[path] = content
        if any(mark in content for mark in _MARKS):
            relevant.add(path)
    if not relevant:
        return []
    # Import graph over the project's own modules, then the fixpoint of "imports a relevant
    # module".
    importers: Dict[Path, List[Path]] = {}
    for path, content in data.items():
        if path in relevant:
            continue
        for found in _imported_files(project, path, content):
            importers.setdefault(found, []).append(path)
    pending = list(relevant)
    while pending:
        current = pending.pop()
        for importer in importers.get(current, ()):
            if importer not in relevant:
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
    if any(mark in content for mark in _MARKS):
        return True
    relevant = set(chosen)
    return any(found in relevant for found in _imported_files(project, path, content))


def _imported_files(project: Project, path: Path, content: bytes) -> Iterator[Path]:
    """The project files that the imports in ``content`` (the text of ``path``) resolve to."""
    name, is_package = project.module_name(path)
    for imported in imported_names(content, name, is_package):
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
    return [Path(os.path.abspath(p)) for p in iter_python_files([project.root], excludes)]
