"""Whether a file's text can concern Steamship, read with a regular expression, never parsed.

A module concerns Steamship when its text mentions ``steamship`` or ``invoke_later`` (its
*marks*), or when it imports, directly or through other project modules, a module that does.
Only such modules can define or use packages, mixins, route decorators or ``invoke_later``
calls that pkgcheck can resolve. :mod:`linter.project.scope` applies this to a project's whole
walk; :class:`Concerns` answers it for one file at a time, reading only the modules that file's
imports reach, so a front end given a few files (flake8, pre-commit, an editor) decides from
them alone whether the engine (LibCST, the catalogue, the project's walk) is needed at all.

This module imports the standard library and :mod:`linter.project.layout` only.
"""

from __future__ import annotations

import ast
import builtins
import os
import re
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from linter.project.files import find_project_root
from linter.project.layout import Layout

_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+([^\n#;]*)|import[ \t]+([^\n#;]*))",
    re.MULTILINE,
)
#: :data:`_IMPORT` without its groups: the same matches, found faster where only the lines count
_IMPORT_LINE = re.compile(
    rb"^[ \t]*(?:from[ \t]+\.*[\w.]*[ \t]+import[ \t]+[^\n#;]*|import[ \t]+[^\n#;]*)",
    re.MULTILINE,
)
_MARKS = (b"steamship", b"invoke_later")


def has_mark(data: bytes) -> bool:
    """Whether ``data`` mentions one of the marks."""
    return b"steamship" in data or b"invoke_later" in data


def is_steamship(name: str) -> bool:
    return name == "steamship" or name.startswith("steamship.")


#: the directory of the running Python's standard library (where ``os`` is), with a separator
_STDLIB = os.path.join(os.path.dirname(os.path.abspath(os.__file__)), "")


def in_standard_library(path: str) -> bool:
    """Whether ``path`` (absolute) is a module of the running Python's standard library, not of
    a site-packages directory inside it. Its imports never reach Steamship: the standard
    library imports only itself (and built-in modules), so such a module concerns Steamship
    only when its own text has a mark. This matters when a project's root lies above a Python
    installation (a ``.git`` above pyenv's versions): following asyncio's imports through
    300 modules of the standard library found nothing, every time."""
    if not path.startswith(_STDLIB):
        return False
    return path[len(_STDLIB):].partition(os.sep)[0] not in ("site-packages", "dist-packages")


def _import_lines(data: bytes) -> Iterator["re.Match[bytes]"]:
    """``_IMPORT.finditer(data)``, without trying the pattern at every position.

    Every match lies within one line, starts at the line's start (``^``) and holds the word
    ``import``; so only the lines where ``bytes.find`` sees that word are tried, once each.
    """
    find = data.find
    match_at = _IMPORT.match
    tried = -1
    position = find(b"import")
    while position != -1:
        start = data.rfind(b"\n", 0, position) + 1
        if start != tried:
            tried = start
            match = match_at(data, start)
            if match is not None:
                yield match
        position = find(b"import", position + 6)


#: the groups of one match of :data:`_IMPORT`: leading dots, base, what ``from`` imports, what ``import`` does
Groups = Tuple[Optional[bytes], Optional[bytes], Optional[bytes], Optional[bytes]]


def _absolute_names(lines: Sequence[Groups], naming: Callable[[], str]) -> List[str]:
    """The names of the import ``lines`` (each the groups of a match of :data:`_IMPORT`);
    ``naming`` gives the package the importing module is in (:meth:`Layout.package_name`),
    asked only when a relative import needs it."""
    names: List[str] = []
    package: Optional[str] = None
    for dots, base, what, plain in lines:
        if plain is not None:
            for part in plain.decode("utf-8", "replace").split(","):
                name = part.strip().split(" as ")[0].strip()
                if name:
                    names.append(name)
            continue
        target = base.decode("utf-8", "replace")
        level = len(dots)
        if level:
            if package is None:
                package = naming()
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


class Concerns:
    """Whether files concern Steamship (see the module docstring), asked one file at a time.

    A file's imports are resolved as the project index resolves them (:class:`Layout` of the
    file's project root, the longest prefix of a dotted name that names a file), and the
    modules they reach are read from disk once per instance, each scanned for marks and
    imports. The answer is never "no" where :func:`linter.project.scope.in_scope` would keep
    the file: it follows imports into every module they resolve to, where ``in_scope`` follows
    them only through the project's walk. A module that cannot be read concerns Steamship
    (the engine reports why it cannot be read).

    The tree must stay as it is while the instance lives (one flake8 run, one CLI run).
    """

    def __init__(self) -> None:
        self._roots: Dict[Path, Path] = {}
        self._layouts: Dict[Path, Layout] = {}
        #: root -> file -> the files its imports resolve to, or None when it has a mark (files
        #: as strings: a path's string is kept, its hash is not, and these are asked thousands
        #: of times)
        self._edges: Dict[Path, Dict[str, Optional[Tuple[Path, ...]]]] = {}
        #: root -> file -> whether it or a module it reaches has a mark
        self._verdicts: Dict[Path, Dict[str, bool]] = {}
        #: file -> (length, hash) of the text read from disk, to know a text given as the disk's
        self._read: Dict[Path, Tuple[int, int]] = {}

    def root_of(self, path: Path) -> Path:
        """The project root of file ``path`` (absolute), asked once per directory."""
        directory = path.parent
        root = self._roots.get(directory)
        if root is None:
            root = self._roots[directory] = find_project_root(path)
        return root

    def __call__(self, path: Path, data: Optional[bytes] = None) -> bool:
        """Whether file ``path`` concerns Steamship; ``data`` is its text when it is not the
        file's on disk (flake8's stdin, an editor's buffer)."""
        path = Path(os.path.abspath(path))
        root = self.root_of(path)
        if data is None or self._read.get(path) == (len(data), hash(data)):
            return self._reaches(root, path)
        if has_mark(data):
            return True
        if in_standard_library(str(path)):
            return False
        return any(self._reaches(root, found) for found in self._imported(root, path, data))

    def may_hold_findings(self, path: Path, data: Optional[bytes] = None, tree: Optional[ast.AST] = None) -> bool:
        """Whether rules may find anything in file ``path`` (its text ``data``, else the disk's;
        ``tree``, its ``ast``, when the caller has it): finer than :meth:`__call__`.

        Without a mark in its own text, a module can hold a finding only through a class or a
        decorated function whose bases, metaclass or decorators come, through its imports, from
        Steamship. So only the imports that bind those names are followed (each into its whole
        closure, as :meth:`__call__` follows it); names bound otherwise (an assignment, a
        parameter, a star import) make every import count. A module Python cannot parse is left
        to the engine to report.
        """
        path = Path(os.path.abspath(path))
        try:
            if data is None:
                with open(path, "rb") as handle:
                    data = handle.read()
            if has_mark(data):
                return True
            if tree is None:
                tree = ast.parse(data)
        except (OSError, SyntaxError, ValueError):
            return True
        if in_standard_library(str(path)):
            return False
        root = self.root_of(path)
        names = _anchor_imports(tree)
        if names is None:
            return any(self._reaches(root, found) for found in self._imported(root, path, data))
        if not names:
            return False
        layout = self._layout(root)
        roots = layout.search_roots(path)
        package: Optional[str] = None
        for level, name in names:
            if level:
                if package is None:
                    package = layout.package_name(path)
                parts = package.split(".") if package else []
                if level - 1 > len(parts):
                    continue
                name = ".".join(parts[: len(parts) - (level - 1)] + ([name] if name else []))
            if not name or is_steamship(name):
                continue
            found = self._find(layout, name, roots)
            if found is not None and found != path and self._reaches(root, found):
                return True
        return False

    def _find(self, layout: Layout, name: str, roots: Tuple[Path, ...]) -> Optional[Path]:
        """The file of ``name`` (from ``roots``, :meth:`Layout.search_roots`), or of the longest
        prefix of it that names one: ``from a.b import c`` imports a module a.b.c, or a name
        in a.b."""
        find = layout.find_in
        while name:
            hit = find(name, roots)
            if hit is not None:
                return hit[0]
            name = name.rpartition(".")[0]
        return None

    def _layout(self, root: Path) -> Layout:
        layout = self._layouts.get(root)
        if layout is None:
            layout = self._layouts[root] = Layout(root)
        return layout

    def _imported(self, root: Path, path: Path, data: bytes) -> List[Path]:
        """The project files that the imports in ``data`` (the text of ``path``) resolve to."""
        layout = self._layout(root)
        roots = layout.search_roots(path)
        naming: Callable[[], str] = lambda: layout.package_name(path)  # noqa: E731
        found: Dict[str, Path] = {}
        for name in dict.fromkeys(_absolute_names([m.groups() for m in _import_lines(data)], naming)):
            if not is_steamship(name):
                hit = self._find(layout, name, roots)
                if hit is not None:
                    found[str(hit)] = hit
        found.pop(str(path), None)
        return list(found.values())

    def _edges_of(self, root: Path, path: Path, key: str) -> Optional[Tuple[Path, ...]]:
        """The files the imports of ``path`` (whose string is ``key``) resolve to, None when it
        has a mark or cannot be read."""
        edges = self._edges.get(root)
        if edges is None:
            edges = self._edges[root] = {}
        if key not in edges:
            try:
                with open(key, "rb") as handle:
                    data = handle.read()
            except OSError:
                data = _MARKS[0]  # unreadable: the engine says why
            else:
                self._read[path] = (len(data), hash(data))
            if has_mark(data):
                edges[key] = None
            else:
                edges[key] = () if in_standard_library(key) else tuple(self._imported(root, path, data))
        return edges[key]

    def _reaches(self, root: Path, start: Path) -> bool:
        verdicts = self._verdicts.get(root)
        if verdicts is None:
            verdicts = self._verdicts[root] = {}
        first = str(start)
        known = verdicts.get(first)
        if known is not None:
            return known
        seen = {first}
        pending = [(first, start)]
        while pending:
            key, current = pending.pop()
            verdict = verdicts.get(key)
            if verdict is False:
                continue
            edges = self._edges_of(root, current, key)
            if verdict or edges is None:
                verdicts[first] = True
                return True
            for target in edges:
                name = str(target)
                if name not in seen:
                    seen.add(name)
                    pending.append((name, target))
        # nothing reached has a mark: neither does anything reached from any of them
        for key in seen:
            verdicts[key] = False
        return False


_BUILTINS = frozenset(dir(builtins))


def _anchor_imports(tree: ast.AST) -> Optional[List[Tuple[int, str]]]:
    """The imports (level, dotted name) that bind the names a module's classes and decorated
    functions are built from (bases, keywords such as ``metaclass``, decorators), or None when
    one such name is bound by something else than an import, a class or a function.

    Over-approximated: every name in those expressions counts, at any depth (``Generic[T]``
    counts ``T``); a class or function defined in the module contributes its own bases and
    decorators, which are collected anyway.
    """
    used: set = set()
    defined: set = set()
    imports: Dict[str, List[Tuple[int, str]]] = {}
    for node in _statements(tree):
        if isinstance(node, ast.ClassDef):
            defined.add(node.name)
            for expr in (*node.bases, *(k.value for k in node.keywords), *node.decorator_list):
                used.update(n.id for n in ast.walk(expr) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defined.add(node.name)
            for expr in node.decorator_list:
                used.update(n.id for n in ast.walk(expr) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                imports.setdefault(bound, []).append((0, alias.name))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            for alias in node.names:
                if alias.name == "*":
                    imports.setdefault("*", []).append((node.level, base))
                    continue
                bound = alias.asname or alias.name
                full = f"{base}.{alias.name}" if base else alias.name
                imports.setdefault(bound, []).extend([(node.level, full), (node.level, base)])
    wanted: List[Tuple[int, str]] = []
    for name in sorted(used):
        if name in imports:
            wanted.extend(imports[name])
        elif name in defined or name in _BUILTINS and not imports.get("*"):
            continue
        else:
            return None  # bound by an assignment, a parameter, a star import: anything may count
    return list(dict.fromkeys(wanted))


def _statements(tree: ast.AST) -> Iterator[ast.AST]:
    """Every statement of ``tree``, at any depth, without visiting expressions (classes,
    functions and imports are statements: ``ast.walk`` would visit ten times as many nodes)."""
    pending: List[ast.AST] = list(getattr(tree, "body", ()))
    holds = _HOLDS_STATEMENTS
    while pending:
        node = pending.pop()
        yield node
        kind = type(node)
        nested = holds.get(kind)
        if nested is None:
            nested = holds[kind] = bool(_BLOCKS.intersection(kind._fields))
        if not nested:
            continue  # a simple statement (most of them): nothing inside
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                pending.extend(block)
        for part in (*getattr(node, "handlers", ()), *getattr(node, "cases", ())):
            pending.extend(part.body)


#: the fields that hold statements; statement type -> whether it has one (learnt as met)
_BLOCKS = frozenset(("body", "orelse", "finalbody", "handlers", "cases"))
_HOLDS_STATEMENTS: Dict[type, bool] = {}


def any_concerns(paths: Sequence[Path], overrides: Optional[Mapping[Path, str]] = None) -> bool:
    """Whether any of ``paths`` concerns Steamship; ``overrides`` are texts to judge instead of
    the disk's (an editor's buffers, stdin)."""
    concerns = Concerns()
    texts = {Path(os.path.abspath(p)): text for p, text in (overrides or {}).items()}
    for path in paths:
        text = texts.get(Path(os.path.abspath(path)))
        if concerns.may_hold_findings(Path(path), None if text is None else text.encode("utf-8", "surrogatepass")):
            return True
    return False
