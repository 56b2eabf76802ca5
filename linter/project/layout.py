"""Module naming: the dotted name a file is imported as, and the file a dotted name denotes,
searched from the import roots seen from the importing file (its package root, ``src/``, the
project root, its own directory).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

from linter.project.files import is_within

#: appended to the name of a module that a package of the same name shadows
SHADOWED = "[module]"


class Layout:
    """The module names of one project's files and the files of its module names, with the
    file-system questions behind them asked once per directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.abspath(root))
        self.base_roots: List[Path] = []
        src = self.root / "src"
        if src.is_dir():
            self.base_roots.append(src)
        self.base_roots.append(self.root)
        self._find_memo: Dict[Tuple[str, int], Optional[Tuple[Path, bool]]] = {}
        #: search roots per importing directory (stat calls up the package chain, once)
        self._roots_memo: Dict[Optional[Path], Tuple[Path, ...]] = {}
        #: whether a directory holds an ``__init__.py``, and the root above its package chain
        self._package_dirs: Dict[Path, bool] = {}
        self._package_roots: Dict[Path, Path] = {}
        #: directory -> (its files' names, its directories' names), see :meth:`_listing`
        self._listings: Dict[str, Tuple[FrozenSet[str], FrozenSet[str]]] = {}
        #: directory -> the dotted prefix of its modules' names, see :meth:`module_name`
        self._prefixes: Dict[str, Tuple[str, ...]] = {}
        #: module name -> (the file chosen, the other files that name could denote), for names
        #: that more than one import root holds: the first root wins, as on ``sys.path``
        self.ambiguous: Dict[str, Tuple[Path, Tuple[Path, ...]]] = {}

    def module_name(self, path: Path) -> Tuple[str, bool]:
        """The dotted name ``path`` is imported as, and whether it is a package."""
        full = os.path.abspath(path)
        directory, filename = os.path.split(full)
        prefix = self._prefixes.get(directory)
        if prefix is None:
            prefix = self._prefixes[directory] = self._prefix(Path(directory))
        is_package = filename == "__init__.py"
        if is_package:
            parts = prefix
        else:
            stem = os.path.splitext(filename)[0]
            if stem in self._listing(directory)[1] and "__init__.py" in self._listing(os.path.join(directory, stem))[0]:
                # api.py beside api/__init__.py: Python imports the package, never this file,
                # under that name. The file is still analysed (it may be a package's entry
                # point) under a name nothing can import, so the two never stand in for each other.
                stem += SHADOWED
            parts = (*prefix, stem)
        return ".".join(parts) if parts else os.path.basename(directory), is_package

    def package_name(self, path: Path) -> str:
        """The dotted name of the package module ``path`` is in (``""`` at an import root): what
        its relative imports start from. The package of ``a/b/__init__.py`` is ``a.b`` itself,
        as for every other module in ``a/b/``."""
        directory = os.path.dirname(os.path.abspath(path))
        prefix = self._prefixes.get(directory)
        if prefix is None:
            prefix = self._prefixes[directory] = self._prefix(Path(directory))
        return ".".join(prefix)

    def _prefix(self, directory: Path) -> Tuple[str, ...]:
        """The package names of the modules in ``directory``, from the root they import from."""
        if self.is_package_dir(directory):
            base = self.package_root(directory)
        else:
            # Not in a regular package: named from the deepest import root that holds it
            # (a namespace package there), else from its own directory.
            base = directory
            within = [root for root in self.base_roots if is_within(directory, root)]
            if within:
                base = max(within, key=lambda root: len(root.parts))
        return directory.relative_to(base).parts

    def is_package_dir(self, directory: Path) -> bool:
        """Whether ``directory`` holds an ``__init__.py`` (one stat per directory and run)."""
        known = self._package_dirs.get(directory)
        if known is None:
            known = self._package_dirs[directory] = (directory / "__init__.py").is_file()
        return known

    def package_root(self, directory: Path) -> Path:
        """:func:`package_root`, memoised per directory (every file of a package asks it)."""
        found = self._package_roots.get(directory)
        if found is None:
            found = directory
            while self.is_package_dir(found) and found.parent != found:
                found = found.parent
            self._package_roots[directory] = found
        return found

    def search_roots(self, near: Optional[Path] = None) -> Tuple[Path, ...]:
        key = near.parent if near is not None else None
        cached = self._roots_memo.get(key)
        if cached is None:
            cached = self._roots_memo[key] = self._search_roots(near)
        return cached

    def _search_roots(self, near: Optional[Path]) -> Tuple[Path, ...]:
        roots: List[Path] = []
        if near is not None:
            directory = near.parent
            roots.append(self.package_root(directory))
        roots.extend(self.base_roots)
        if near is not None:
            roots.append(near.parent)
        unique: List[Path] = []
        for root in roots:
            if root not in unique:
                unique.append(root)
        return tuple(unique)

    def find(self, name: str, near: Optional[Path] = None) -> Optional[Tuple[Path, bool]]:
        """The file of project module ``name``, searched from the roots seen from ``near``."""
        return self.find_in(name, self.search_roots(near))

    def find_in(self, name: str, roots: Tuple[Path, ...]) -> Optional[Tuple[Path, bool]]:
        """:meth:`find` from ``roots``, a tuple :meth:`search_roots` returned (a caller that
        resolves many names from one file asks for its roots once)."""
        # The tuple of roots is search_roots' own, kept for the run: its identity names it
        # (hashing its paths for every name asked costs more than the lookup itself).
        key = (name, id(roots))
        if key in self._find_memo:
            return self._find_memo[key]
        found = None
        parts = name.split(".")
        if all(part.isidentifier() for part in parts):
            candidates = [hit for hit in (self._candidate(root, parts) for root in roots) if hit is not None]
            if candidates:
                found = candidates[0]
                others = tuple(dict.fromkeys(path for path, _ in candidates[1:] if path != found[0]))
                if others:
                    self.ambiguous[name] = (found[0], others)
        self._find_memo[key] = found
        return found

    def _candidate(self, root: Path, parts: List[str]) -> Optional[Tuple[Path, bool]]:
        """``root/a/b/c/__init__.py``, else ``root/a/b/c.py``, for ``parts`` a, b, c: looked up
        in the listings of the directories on the way, so a name that is not there (most
        names tried, from most roots) costs set lookups rather than failed stat calls."""
        directory = str(root)
        for part in parts[:-1]:
            if part not in self._listing(directory)[1]:
                return None
            directory = os.path.join(directory, part)
        files, directories = self._listing(directory)
        last = parts[-1]
        if last in directories:
            package = os.path.join(directory, last)
            if "__init__.py" in self._listing(package)[0]:
                return Path(package, "__init__.py"), True
        if last + ".py" in files:
            return Path(directory, last + ".py"), False
        return None

    def _listing(self, directory: str) -> Tuple[FrozenSet[str], FrozenSet[str]]:
        """The names of the files and of the directories in ``directory`` (symbolic links
        followed, as ``is_file``/``is_dir`` follow them), listed once per run."""
        found = self._listings.get(directory)
        if found is None:
            files: Set[str] = set()
            directories: Set[str] = set()
            try:
                with os.scandir(directory) as entries:
                    for entry in entries:
                        try:
                            if entry.is_file():
                                files.add(entry.name)
                            elif entry.is_dir():
                                directories.add(entry.name)
                        except OSError:
                            continue
            except OSError:
                pass
            found = self._listings[directory] = (frozenset(files), frozenset(directories))
        return found
