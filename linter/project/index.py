"""The project index: finds modules on disk, loads their facts on demand, resolves names.

Names are resolved the way Python binds them — through imports, aliases, re-exports and star
imports — never by spelling: a project's own class called ``AgentService`` is not steamship's.
Steamship's own modules come from the steamship source installed beside pkgcheck (found on
``sys.path`` or in the project's virtualenv, never imported), else from the catalogue bundled
with pkgcheck (:mod:`linter.sdk.bundle`). Anything that cannot be resolved is ``None``: callers
treat unknown as "say nothing".
"""

from __future__ import annotations

import builtins
import gzip
import json
import os
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple, Union

from linter.source import serial
from linter.source.collect import (
    SyntaxProblem,
    Tree,
    collect_facts,
    collect_facts_and_tree,
    collect_node_spans,
    collect_spans,
    decode_source,
    node_spans,
)
from linter.source.facts import ClassFact, Expr, ModuleFacts, ParseFailure, Span

#: appended to the name of a module that a package of the same name shadows
SHADOWED = "[module]"

if TYPE_CHECKING:
    from concurrent.futures import Future

#: Markers of a project's root directory, nearest first wins.
ROOT_MARKERS = (
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "steamship.json",
    "tox.ini",
    ".flake8",
    ".git",
)
_MARKER_NAMES = frozenset(ROOT_MARKERS)
#: Characters of source whose trees a project keeps after taking their facts (see
#: ``Project._trees``): a tree takes about 24 bytes per character, so this is some 24 MB.
TREE_BUDGET = 1_000_000
BUNDLED_VERSION = "2.17.34"
CATALOGUE_PATH = Path(__file__).parent.parent / "sdk" / "data" / f"steamship-{BUNDLED_VERSION}.json.gz"

# Canonical homes of the steamship names the engine understands.
INVOCABLE_MODULE = "steamship.invocable.invocable"
ROUTE_DECORATORS = {
    (INVOCABLE_MODULE, "post"): "POST",
    (INVOCABLE_MODULE, "get"): "GET",
}
ENDPOINT = (INVOCABLE_MODULE, "endpoint")
INVOCABLE = (INVOCABLE_MODULE, "Invocable")
PACKAGE_SERVICE = ("steamship.invocable.package_service", "PackageService")
PACKAGE_MIXIN = ("steamship.invocable.package_mixin", "PackageMixin")
VERB = ("steamship.utils.url", "Verb")
ENUM_BASES = {"enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag"}


@dataclass(frozen=True)
class Ref:
    """What a name denotes.

    ``kind``: ``module`` (``module`` is its name), ``class`` / ``function`` / ``value``
    (defined at ``qualname`` in ``module``), ``attribute`` (``qualname`` is ``Class.attr``),
    ``external`` (``module`` is the dotted name as written, e.g. ``pydantic.BaseModel``, from a
    module pkgcheck does not analyse) or ``builtin``.
    """

    kind: str
    module: str
    qualname: str = ""

    @property
    def key(self) -> Tuple[str, str]:
        return (self.module, self.qualname)

    @property
    def dotted(self) -> str:
        if self.kind in ("module", "external"):
            return self.module
        if self.kind == "builtin":
            return self.qualname
        return f"{self.module}.{self.qualname}"


@dataclass(frozen=True)
class SteamshipSource:
    """Where steamship's own code comes from."""

    kind: str  # "installed" or "catalogue"
    version: Optional[str]
    directory: Optional[Path] = None

    def describe(self) -> str:
        if self.kind == "installed":
            return f"steamship {self.version or '(unknown version)'} at {self.directory}"
        return f"pkgcheck's bundled catalogue of steamship {self.version}"


def locate_steamship(
    explicit: Optional[Path] = None, project_root: Optional[Path] = None
) -> SteamshipSource:
    """Find steamship's source without importing it.

    Order: ``explicit`` (a site-packages dir or the ``steamship`` package dir), the interpreter's
    ``sys.path``, a virtualenv in the project root (``.venv``, ``venv``, ``env``), and last the
    bundled catalogue.
    """
    candidates: List[Path] = []
    if explicit is not None:
        explicit = Path(explicit)
        candidates.append(explicit.parent if explicit.name == "steamship" else explicit)
    candidates.extend(Path(entry) for entry in sys.path if entry)
    if project_root is not None:
        for venv in (".venv", "venv", "env"):
            lib = project_root / venv / "lib"
            if lib.is_dir():
                candidates.extend(sorted(lib.glob("python3*/site-packages")))
            candidates.append(project_root / venv / "Lib" / "site-packages")
    for entry in candidates:
        package = entry / "steamship"
        if (package / "invocable" / "invocable.py").is_file():
            return SteamshipSource("installed", _installed_version(entry), package)
    return SteamshipSource("catalogue", BUNDLED_VERSION)


def _installed_version(site: Path) -> Optional[str]:
    for meta in sorted(site.glob("steamship-*.dist-info/METADATA")):
        try:
            for line in meta.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("Version:"):
                    return line.split(":", 1)[1].strip()
        except OSError:
            continue
    return None


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


class _Catalogue:
    """The bundled facts of steamship's modules (see :mod:`linter.sdk.bundle`).

    Each module's facts and spans are stored as JSON text inside the outer JSON, so loading the
    file parses only the small outer document; a module is decoded when it is first asked for.
    """

    def __init__(self, path: Path) -> None:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
        self.version: str = data["version"]
        self.raw: Dict[str, Dict[str, object]] = data["modules"]
        self.decoded: Dict[str, ModuleFacts] = {}

    def get(self, name: str) -> Optional[ModuleFacts]:
        if name not in self.decoded:
            raw = self.raw.get(name)
            if not isinstance(raw, dict):
                return None
            self.decoded[name] = serial.loads(str(raw["facts"]))
        return self.decoded[name]

    def spans(self, name: str) -> Tuple[Span, ...]:
        raw = self.raw.get(name)
        flat = json.loads(str(raw.get("spans", "[]"))) if isinstance(raw, dict) else []
        return tuple(Span(*flat[i : i + 4]) for i in range(0, len(flat) - 3, 4))

    def matches(self, name: str, digest: str, is_package: bool) -> bool:
        """Whether module ``name`` of the catalogue was built from text with this digest."""
        raw = self.raw.get(name)
        return isinstance(raw, dict) and raw.get("sha256") == digest and raw.get("is_package") == is_package


def text_digest(text: str) -> str:
    """The digest the catalogue keys a module's text by (of the decoded text, so a BOM or a
    coding cookie cannot make one file two)."""
    import hashlib

    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


_CATALOGUES: Dict[Path, _Catalogue] = {}


def load_catalogue(path: Path = CATALOGUE_PATH) -> _Catalogue:
    if path not in _CATALOGUES:
        _CATALOGUES[path] = _Catalogue(path)
    return _CATALOGUES[path]


Loaded = Union[ModuleFacts, ParseFailure]


class Project:
    """All modules pkgcheck can see from one project root, loaded lazily and memoised."""

    def __init__(
        self,
        root: Path,
        steamship: Optional[SteamshipSource] = None,
        overrides: Optional[Dict[Path, str]] = None,
        cache: Optional["object"] = None,
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self.steamship = steamship or locate_steamship(project_root=self.root)
        #: source text to use instead of the file on disk (flake8's stdin, an editor buffer)
        self.overrides = {Path(os.path.abspath(p)): text for p, text in (overrides or {}).items()}
        self.cache = cache
        self.base_roots: List[Path] = []
        src = self.root / "src"
        if src.is_dir():
            self.base_roots.append(src)
        self.base_roots.append(self.root)
        self._by_name: Dict[str, Optional[Loaded]] = {}
        self._by_path: Dict[Path, Loaded] = {}
        self._find_memo: Dict[Tuple[str, Tuple[Path, ...]], Optional[Tuple[Path, bool]]] = {}
        self._spans: Dict[str, Tuple[Span, ...]] = {}
        #: positions of some nodes of a module (see :meth:`place`), None for no position
        self._node_spans: Dict[str, Dict[int, Optional[Span]]] = {}
        #: module name -> the tree this process parsed it into, while they fit in TREE_BUDGET
        #: characters of source: positions asked for later need no second parse
        self._trees: Dict[str, Tree] = {}
        #: a module's path as a Path, for resolving its imports (made once, not per name)
        self._paths: Dict[str, Path] = {}
        self._tree_room = TREE_BUDGET
        #: modules whose cached positions were taken in (see :meth:`cached_spans`)
        self._spans_read: Set[str] = set()
        self._sources: Dict[Path, str] = {}
        self._raw: Dict[Path, bytes] = {}
        #: search roots per importing directory (stat calls up the package chain, once)
        self._roots_memo: Dict[Optional[Path], Tuple[Path, ...]] = {}
        #: whether a directory holds an ``__init__.py``, and the root above its package chain
        self._package_dirs: Dict[Path, bool] = {}
        self._package_roots: Dict[Path, Path] = {}
        self._resolve_memo: Dict[Tuple[str, str], Optional[Ref]] = {}
        self._subclass_memo: Dict[Tuple[Tuple[str, str], Tuple[str, str]], Optional[bool]] = {}
        self._catalogue: Optional[_Catalogue] = None
        #: steamship modules whose facts (and spans) came from the catalogue
        self._catalogued: Set[str] = set()
        #: (file, module name) -> a worker's parse of it under that name (see :meth:`prefetch`)
        self._prefetched: Dict[Tuple[Path, str], "Future[object]"] = {}
        #: files read from disk (for cache keys: what a result depends on)
        self.loaded_paths: Set[Path] = set()
        #: module name -> the in-scope file it denotes (see :meth:`claim`)
        self._claims: Dict[str, Path] = {}
        #: files whose facts the cache was asked for and did not have
        self.not_cached: Set[Path] = set()
        self.internal_tracebacks: Dict[Path, str] = {}

    # -- naming ----------------------------------------------------------------------------
    def module_name(self, path: Path) -> Tuple[str, bool]:
        """The dotted name ``path`` is imported as, and whether it is a package."""
        path = Path(os.path.abspath(path))
        is_package = path.name == "__init__.py"
        directory = path.parent
        if self.is_package_dir(directory):
            base = self.package_root(directory)
        else:
            # Not in a regular package: named from the deepest import root that holds it
            # (a namespace package there), else from its own directory.
            base = directory
            within = [root for root in self.base_roots if _is_within(path, root)]
            if within:
                base = max(within, key=lambda root: len(root.parts))
        relative = path.relative_to(base).with_suffix("")
        parts = list(relative.parts)
        if is_package:
            parts = parts[:-1]
        elif parts and (directory / parts[-1] / "__init__.py").is_file():
            # api.py beside api/__init__.py: Python imports the package, never this file, under
            # that name. The file is still analysed (it may be a package's entry point) under
            # a name nothing can import, so the two never stand in for each other.
            parts[-1] += SHADOWED
        return ".".join(parts) if parts else path.parent.name, is_package

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
        roots = self.search_roots(near)
        key = (name, roots)
        if key in self._find_memo:
            return self._find_memo[key]
        found = None
        parts = name.split(".")
        if all(part.isidentifier() for part in parts):
            for root in roots:
                base = root.joinpath(*parts)
                if (base / "__init__.py").is_file():
                    found = (base / "__init__.py", True)
                    break
                module = base.with_suffix(".py") if parts else None
                if module is not None and module.is_file():
                    found = (module, False)
                    break
        self._find_memo[key] = found
        return found

    # -- loading ---------------------------------------------------------------------------
    def is_steamship(self, name: str) -> bool:
        return name == "steamship" or name.startswith("steamship.")

    def source(self, path: Path) -> str:
        """The decoded text of ``path``. Raises :class:`SyntaxProblem` or :class:`OSError`."""
        path = Path(os.path.abspath(path))
        if path in self.overrides:
            return self.overrides[path]
        if path not in self._sources:
            self._sources[path] = decode_source(self.read_bytes(path))
        return self._sources[path]

    def read_bytes(self, path: Path) -> bytes:
        """The bytes of ``path``, read once per run."""
        data = self._raw.get(path)
        if data is None:
            import stat

            if not stat.S_ISREG(os.stat(path).st_mode):
                raise NotRegularFile(0, "not a regular file (a FIFO, a device, a socket)")
            data = self._raw[path] = path.read_bytes()
        return data

    def claim(self, paths: Sequence[Path]) -> None:
        """Make the in-scope ``paths`` the files their module names denote, before any is
        loaded: the first of two files with one name (``helpers.py`` and ``src/helpers.py``),
        a package before a module. Which file a name resolves to then does not depend on which
        module asked first, so a run that loads some modules only (:mod:`linter.run.incremental`)
        resolves names as a run that loads them all."""
        packages: Set[str] = set()
        for path in paths:
            path = Path(os.path.abspath(path))
            name, is_package = self.module_name(path)
            if name not in self._claims or (is_package and name not in packages):
                self._claims[name] = path
                if is_package:
                    packages.add(name)

    def loaded_modules(self) -> Iterator[Tuple[str, Union[ModuleFacts, ParseFailure]]]:
        """(name, facts or failure) of every module name resolved so far to a file."""
        for name, loaded in list(self._by_name.items()):
            if loaded is not None:
                yield name, loaded

    def loaded(self, path: Path) -> bool:
        return Path(os.path.abspath(path)) in self._by_path

    def import_failures(self) -> List[ParseFailure]:
        """The modules that resolving names imported (so far) and that could not be read or
        parsed: what the analysis needed and did not get."""
        return [r for r in self._by_name.values() if isinstance(r, ParseFailure)]

    def adopt(self, path: Path, result: Loaded) -> None:
        """Take facts computed elsewhere (a worker process) for ``path``."""
        path = Path(os.path.abspath(path))
        self._by_path[path] = result
        self.loaded_paths.add(path)
        if isinstance(result, ModuleFacts) and self._claims.get(result.name, path) == path:
            self._by_name.setdefault(result.name, result)

    def prefetch(
        self,
        name: str,
        near: Optional[Path],
        workers: object,
        scheduled: Set[Path] = frozenset(),  # type: ignore[assignment]
    ) -> None:
        """Have ``workers`` parse the file that :meth:`module` would load for ``name`` (asked
        from ``near``) under that name, unless it is loaded, known or ``scheduled`` already.

        Not steamship's modules: most come from the catalogue without a parse. Not with the
        on-disk cache: there the facts are most likely cached, and telling would cost a read of
        the entry that :meth:`load_path` reads again."""
        if name in self._by_name or self.cache is not None or self.is_steamship(name):
            return
        found = self.find(name, near)
        if found is None:
            return
        path = Path(os.path.abspath(found[0]))
        if path in self._by_path or path in scheduled or (path, name) in self._prefetched:
            return
        is_package = path.name == "__init__.py"
        try:
            text = self.source(path)
        except Exception:
            return  # load_path reports it
        future = workers.submit(_collect_job, (str(path), name, is_package, text))  # type: ignore[attr-defined]
        if future is not None:
            self._prefetched[(path, name)] = future

    def _take_prefetched(self, path: Path, name: str) -> Optional[ModuleFacts]:
        future = self._prefetched.pop((path, name), None)
        if future is None:
            return None
        try:
            result = future.result()
        except Exception:  # the pool broke or the job was cancelled: parse here
            return None
        # Only facts are taken: a failure is produced again here, with its traceback.
        return result if isinstance(result, ModuleFacts) else None

    def load_path(self, path: Path, name: Optional[str] = None) -> Loaded:
        """Facts for the file at ``path`` (or why it has none)."""
        path = Path(os.path.abspath(path))
        if path in self._by_path:
            return self._by_path[path]
        if name is None:
            name, is_package = self.module_name(path)
        else:
            is_package = path.name == "__init__.py"
        result: Loaded
        try:
            text = self.source(path)
            self.loaded_paths.add(path)
            prefetched = self._take_prefetched(path, name) if self._prefetched else None
            if prefetched is not None:
                result = prefetched
            else:
                result = self._collect(text, name, path, is_package)
        except SyntaxProblem as problem:
            result = ParseFailure(str(path), problem.message, problem.span)
        except OSError as error:
            result = ParseFailure(str(path), f"cannot read: {error.strerror or error}")
        except Exception as error:  # a bug of ours: one file's failure must not stop the run
            import traceback

            result = ParseFailure(
                str(path),
                f"internal error while analysing this file ({type(error).__name__}: {error}); "
                "please report it with the file attached",
                internal=True,
            )
            self.internal_tracebacks[path] = traceback.format_exc()
        self._by_path[path] = result
        if isinstance(result, ModuleFacts) and self._claims.get(name, path) == path:
            existing = self._by_name.get(name)
            # A package shadows a module of the same name (api/ beats api.py), as in Python.
            if existing is None or (
                is_package and isinstance(existing, ModuleFacts) and not existing.is_package
            ):
                self._by_name[name] = result
        return result

    def _collect(self, text: str, name: str, path: Path, is_package: bool) -> ModuleFacts:
        catalogued = self.catalogued(text, name, path, is_package)
        if catalogued is not None:
            return catalogued
        cache = self.cache
        if cache is not None and path not in self.not_cached:
            cached = cache.get_facts(text, name, str(path), is_package)  # type: ignore[attr-defined]
            if cached is not None:
                return cached
        if len(text) <= self._tree_room:
            facts, self._trees[name] = collect_facts_and_tree(text, name, str(path), is_package)
            self._tree_room -= len(text)
        else:
            facts = collect_facts(text, name, str(path), is_package)
        if cache is not None:
            cache.put_facts(text, facts)  # type: ignore[attr-defined]
        return facts

    def catalogued(self, text: str, name: str, path: Path, is_package: bool) -> Optional[ModuleFacts]:
        """The bundled catalogue's facts for a steamship module whose text is, byte for byte,
        the one the catalogue was built from (steamship 2.17.34 installed, or vendored into the
        project): no parse needed. None for any other text."""
        if not self.is_steamship(name):
            return None
        if self._catalogue is None:
            try:
                self._catalogue = load_catalogue()
            except (OSError, ValueError, KeyError):
                return None  # a broken install: parse instead
        if not self._catalogue.matches(name, text_digest(text), is_package):
            return None
        facts = self._catalogue.get(name)
        if facts is None:
            return None
        self._catalogued.add(name)
        return replace(facts, path=str(path))

    def module(self, name: str, near: Optional[Path] = None) -> Optional[ModuleFacts]:
        """Facts of module ``name`` or None when it is not analysable."""
        if name in self._by_name:
            loaded = self._by_name[name]
            return loaded if isinstance(loaded, ModuleFacts) else None
        result: Optional[Loaded] = None
        if self.is_steamship(name):
            result = self._steamship_module(name)
        elif name in self._claims:
            result = self.load_path(self._claims[name], name)
        else:
            found = self.find(name, near)
            if found is not None:
                result = self.load_path(found[0], name)
        self._by_name[name] = result
        return result if isinstance(result, ModuleFacts) else None

    def _steamship_module(self, name: str) -> Optional[Loaded]:
        if self.steamship.kind == "installed" and self.steamship.directory is not None:
            parts = name.split(".")[1:]
            base = self.steamship.directory.joinpath(*parts)
            for candidate in (base / "__init__.py", base.with_suffix(".py") if parts else None):
                if candidate is not None and candidate.is_file():
                    return self.load_path(candidate, name)
            return None
        return self.steamship_catalogue().get(name)

    def steamship_catalogue(self) -> "_Catalogue":
        """The bundled catalogue (read on first use)."""
        if self._catalogue is None:
            self._catalogue = load_catalogue()
        return self._catalogue

    def module_exists(self, name: str, near: Optional[Path] = None) -> bool:
        return self.module(name, near) is not None

    def needs_spans(self, module: ModuleFacts) -> bool:
        """Whether positions in ``module`` take a parse of its source (not computed yet, not
        from the catalogue)."""
        return module.name not in self._spans and not (
            self.is_steamship(module.name)
            and (self.steamship.kind == "catalogue" or module.name in self._catalogued)
        )

    def place(self, module: ModuleFacts, nodes: Iterable[int]) -> None:
        """Compute the positions of ``nodes`` in ``module`` only (what :meth:`span` will be
        asked for), unless its positions are known or come from the catalogue."""
        if not self.needs_spans(module):
            return
        missing = self.cached_spans(module, nodes)
        if not missing:
            return
        tree = self._trees.get(module.name)
        try:
            if tree is not None:
                placed = node_spans(tree, missing)
            else:
                placed = collect_node_spans(self.source(Path(module.path)), missing)
        except (SyntaxProblem, OSError):
            placed = {node: None for node in missing}  # as spans() would say: no position
        self.adopt_node_spans(module, placed)

    def cached_spans(self, module: ModuleFacts, nodes: Iterable[int]) -> List[int]:
        """Take what the on-disk cache knows of the positions of ``nodes`` in ``module``;
        return the nodes whose positions are still to be computed."""
        known = self._node_spans.get(module.name, {})
        missing = [node for node in nodes if node not in known]
        if missing and self.cache is not None and module.name not in self._spans_read:
            self._spans_read.add(module.name)  # its entry is read once per run
            try:
                cached = self.cache.get_spans(self.source(Path(module.path)))  # type: ignore[attr-defined]
            except (OSError, ValueError):
                return missing
            if cached:
                self._node_spans.setdefault(module.name, {}).update(cached)
                missing = [node for node in missing if node not in cached]
        return missing

    def parsed_here(self, module: ModuleFacts) -> bool:
        """Whether this process holds ``module``'s tree: :meth:`place` needs no parse."""
        return module.name in self._trees

    def adopt_node_spans(self, module: ModuleFacts, placed: Dict[int, Optional[Span]]) -> None:
        """Take positions of some nodes of ``module``, computed by :meth:`place` here or in a
        worker process (and keep them in the on-disk cache)."""
        self._node_spans.setdefault(module.name, {}).update(placed)
        if self.cache is not None:
            try:
                self.cache.put_spans(self.source(Path(module.path)), placed)  # type: ignore[attr-defined]
            except (OSError, ValueError):
                pass

    def spans(self, module: ModuleFacts) -> Tuple[Span, ...]:
        """Positions of ``module``'s reportable nodes (computed once, on demand)."""
        if module.name not in self._spans:
            try:
                if self.is_steamship(module.name) and (
                    self.steamship.kind == "catalogue" or module.name in self._catalogued
                ):
                    self._spans[module.name] = self.steamship_catalogue().spans(module.name)
                else:
                    self._spans[module.name] = collect_spans(self.source(Path(module.path)))
            except (SyntaxProblem, OSError):
                self._spans[module.name] = ()
        return self._spans[module.name]

    def span(self, module: ModuleFacts, node: int) -> Optional[Span]:
        spans = self._spans.get(module.name)
        if spans is None:
            placed = self._node_spans.get(module.name)
            if placed is not None and node in placed:
                return placed[node]
            spans = self.spans(module)
        return spans[node] if 0 <= node < len(spans) else None

    # -- resolution ------------------------------------------------------------------------
    def resolve(self, module: ModuleFacts, dotted: Optional[str]) -> Optional[Ref]:
        """What ``dotted`` (``a``, ``a.b.c``) denotes at the top level of ``module``."""
        if not dotted:
            return None
        key = (module.name, dotted)
        if key in self._resolve_memo:
            return self._resolve_memo[key]
        self._resolve_memo[key] = None  # a cycle resolves to unknown
        parts = dotted.split(".")
        ref = self._lookup_global(module, parts[0], set())
        for part in parts[1:]:
            if ref is None:
                break
            ref = self.member(ref, part)
        self._resolve_memo[key] = ref
        return ref

    def _absolute(self, module: ModuleFacts, target: str, level: int) -> Optional[str]:
        if level == 0:
            return target
        package = module.name if module.is_package else module.name.rpartition(".")[0]
        parts = package.split(".") if package else []
        if level - 1 > len(parts):
            return None
        base = parts[: len(parts) - (level - 1)]
        if target:
            base.append(target)
        return ".".join(base) or None

    def _lookup_global(
        self, module: ModuleFacts, name: str, seen: Set[Tuple[str, str]]
    ) -> Optional[Ref]:
        if (module.name, name) in seen:
            return None
        seen.add((module.name, name))
        best: Optional[Tuple[int, str, object]] = None
        fallback: Optional[Tuple[int, str, object]] = None

        def offer(node: int, kind: str, item: object, is_fallback: bool = False) -> None:
            nonlocal best, fallback
            if is_fallback:
                if fallback is None:
                    fallback = (node, kind, item)
            elif best is None or node > best[0]:
                best = (node, kind, item)

        for cls in module.classes:
            if cls.qualname == name:
                offer(cls.node, "class", cls)
        for function in module.functions:
            if function.scope == "module" and function.name == name:
                offer(function.node, "function", function)
        for assign in module.assigns:
            if assign.target == name and assign.value is not None:
                offer(assign.node, "assign", assign)
        for imported in module.imports:
            if imported.local == name:
                offer(imported.node, "import", imported, imported.fallback)
        chosen = best or fallback
        near = self._paths.get(module.path)
        if near is None:
            near = self._paths[module.path] = Path(module.path)
        if chosen is not None:
            _, kind, item = chosen
            if kind == "class":
                return Ref("class", module.name, name)
            if kind == "function":
                return Ref("function", module.name, name)
            if kind == "assign":
                value = item.value  # type: ignore[attr-defined]
                if value.kind in ("name", "attribute") and value.dotted:
                    aliased = self._resolve_in(module, value.dotted, seen)
                    if aliased is not None:
                        return aliased
                return Ref("value", module.name, name)
            imported = item
            if imported.name is None:  # type: ignore[attr-defined]
                return self._module_ref(imported.module, near)  # type: ignore[attr-defined]
            base = self._absolute(module, imported.module, imported.level)  # type: ignore
            if base is None:
                return None
            return self._from_import(base, imported.name, near, seen)  # type: ignore
        for imported in module.imports:
            if imported.name == "*":
                base = self._absolute(module, imported.module, imported.level)
                target = self.module(base, near) if base else None
                if target is None:
                    continue
                if target.all_names is not None and name not in target.all_names:
                    continue
                if target.all_names is None and name.startswith("_"):
                    continue
                found = self._lookup_global(target, name, seen)
                if found is not None:
                    return found
        if module.name == "builtins" or hasattr(builtins, name):
            return Ref("builtin", "builtins", name)
        return None

    def _resolve_in(self, module: ModuleFacts, dotted: str, seen: Set[Tuple[str, str]]) -> Optional[Ref]:
        parts = dotted.split(".")
        ref = self._lookup_global(module, parts[0], seen)
        for part in parts[1:]:
            if ref is None:
                return None
            ref = self.member(ref, part, seen)
        return ref

    def _module_ref(self, name: str, near: Optional[Path]) -> Ref:
        if self.module(name, near) is not None:
            return Ref("module", name)
        return Ref("external", name)

    def _from_import(
        self, base: str, name: str, near: Optional[Path], seen: Set[Tuple[str, str]]
    ) -> Optional[Ref]:
        target = self.module(base, near)
        if target is None:
            return Ref("external", f"{base}.{name}")
        found = self._lookup_global(target, name, seen)
        if found is not None:
            return found
        if self.module(f"{base}.{name}", near) is not None:
            return Ref("module", f"{base}.{name}")
        return None

    def member(
        self, ref: Ref, attr: str, seen: Optional[Set[Tuple[str, str]]] = None
    ) -> Optional[Ref]:
        """What ``<ref>.<attr>`` denotes."""
        seen = seen if seen is not None else set()
        if ref.kind == "module":
            module = self.module(ref.module)
            if module is None:
                return Ref("external", f"{ref.module}.{attr}")
            found = self._lookup_global(module, attr, seen)
            if found is not None:
                return found
            if self.module(f"{ref.module}.{attr}") is not None:
                return Ref("module", f"{ref.module}.{attr}")
            return None
        if ref.kind == "external":
            return Ref("external", f"{ref.module}.{attr}")
        if ref.kind == "class":
            module = self.module(ref.module)
            if module is not None and module.class_(f"{ref.qualname}.{attr}") is not None:
                return Ref("class", ref.module, f"{ref.qualname}.{attr}")
            return Ref("attribute", ref.module, f"{ref.qualname}.{attr}")
        return None

    def constant(self, module: ModuleFacts, expr: Optional[Expr], depth: int = 0) -> Tuple[bool, object]:
        """(known, value) of a literal, a simple f-string, or a name bound to one at module
        level (``TIMEOUT = 30``; ``f"{PREFIX}.json"``)."""
        if expr is None or depth > 8:
            return False, None
        if expr.is_literal:
            return True, expr.value
        if expr.kind == "fstring" and expr.items:
            pieces = []
            for part in expr.items:
                known, value = self.constant(module, part, depth + 1)
                if not known or not isinstance(value, str):
                    return False, None
                pieces.append(value)
            return True, "".join(pieces)
        if expr.kind in ("name", "attribute") and expr.dotted:
            ref = self.resolve(module, expr.dotted)
            if ref is not None and ref.kind == "value":
                target = self.module(ref.module)
                if target is not None:
                    for assign in reversed(target.assigns):
                        if assign.target == ref.qualname:
                            return self.constant(target, assign.value, depth + 1)
            if ref is not None and ref.kind == "attribute":
                return self._enum_member_value(ref, depth)
        return False, None

    def _enum_member_value(self, ref: Ref, depth: int) -> Tuple[bool, object]:
        """A member of a ``str``/``int`` Enum *is* a str/int (``Verb.POST``): its value."""
        owner_name, _, member = ref.qualname.rpartition(".")
        owner = Ref("class", ref.module, owner_name)
        cls = self.class_fact(owner)
        if cls is None or not self.is_enum(owner):
            return False, None
        mro, _ = self.mro(owner)
        mixed = {item.qualname for item in mro if item.kind == "builtin"}
        if not mixed & {"str", "int", "float"}:
            return False, None
        assign = cls.assign(member)
        module = self.module(ref.module)
        if assign is None or module is None:
            return False, None
        return self.constant(module, assign.value, depth + 1)

    def assigned_expr(
        self, module: ModuleFacts, expr: Optional[Expr], depth: int = 0
    ) -> Tuple[ModuleFacts, Optional[Expr]]:
        """``expr`` itself, or for a name bound at module level (here or through imports) the
        expression assigned to it, with the module it is written in."""
        if expr is None or depth > 8:
            return module, expr
        if expr.kind in ("name", "attribute") and expr.dotted:
            ref = self.resolve(module, expr.dotted)
            if ref is not None and ref.kind == "value":
                target = self.module(ref.module)
                if target is not None:
                    for assign in reversed(target.assigns):
                        if assign.target == ref.qualname and assign.value is not None:
                            return self.assigned_expr(target, assign.value, depth + 1)
        return module, expr

    # -- classes ---------------------------------------------------------------------------
    def class_fact(self, ref: Ref) -> Optional[ClassFact]:
        if ref.kind != "class":
            return None
        module = self.module(ref.module)
        return module.class_(ref.qualname) if module is not None else None

    def class_module(self, ref: Ref) -> Optional[ModuleFacts]:
        return self.module(ref.module) if ref.kind == "class" else None

    def bases(self, ref: Ref) -> List[Optional[Ref]]:
        """The resolved bases of a class, ``None`` for a base that cannot be resolved."""
        cls = self.class_fact(ref)
        module = self.class_module(ref)
        if cls is None or module is None:
            return []
        result: List[Optional[Ref]] = []
        for base in cls.bases:
            dotted = base.dotted
            result.append(self.resolve_expr(module, dotted, ref.qualname) if dotted else None)
        return result

    def resolve_expr(
        self, module: ModuleFacts, dotted: Optional[str], class_qualname: Optional[str] = None
    ) -> Optional[Ref]:
        """Resolve a name used inside a class body: names of enclosing classes come first
        only for qualified nested names; otherwise module scope, as Python does."""
        if not dotted:
            return None
        return self.resolve(module, dotted)

    def mro(self, ref: Ref) -> Tuple[List[Ref], bool]:
        """The C3 linearisation of a class; the flag is False when some base is unknown (the
        list then holds what is known, in order)."""
        memo: Dict[Tuple[str, str], Tuple[List[Ref], bool]] = getattr(self, "_mro_memo", {})
        self._mro_memo = memo
        if ref.key in memo:
            return memo[ref.key]
        memo[ref.key] = ([ref], False)  # inheritance cycles terminate as unknown
        complete = True
        sequences: List[List[Ref]] = []
        direct: List[Ref] = []
        for base in self.bases(ref):
            if base is None or base.kind not in ("class", "external", "builtin"):
                complete = False
                continue
            if base.kind == "class":
                base_mro, base_complete = self.mro(base)
                complete = complete and base_complete
                sequences.append(list(base_mro))
            else:
                sequences.append([base])
            direct.append(base)
        sequences.append(list(direct))
        result = [ref]
        while True:
            sequences = [seq for seq in sequences if seq]
            if not sequences:
                break
            for seq in sequences:
                head = seq[0]
                if not any(head in other[1:] for other in sequences):
                    break
            else:  # no consistent order (Python raises TypeError): keep what we have
                complete = False
                break
            result.append(head)
            for seq in sequences:
                if seq and seq[0] == head:
                    del seq[0]
        memo[ref.key] = (result, complete)
        return result, complete

    def is_subclass(self, ref: Optional[Ref], target: Tuple[str, str]) -> Optional[bool]:
        """True / False, or None when an unresolved base leaves it open."""
        if ref is None:
            return None
        if ref.kind == "external":
            return ref.module == f"{target[0]}.{target[1]}" or None if self.is_steamship(
                ref.module
            ) else False
        if ref.kind != "class":
            return False
        key = (ref.key, target)
        if key in self._subclass_memo:
            return self._subclass_memo[key]
        mro, complete = self.mro(ref)
        result: Optional[bool] = (
            True
            if any(item.kind == "class" and item.key == target for item in mro)
            else False if complete else None
        )
        self._subclass_memo[key] = result
        return result

    def is_decorated(self, ref: Ref) -> bool:
        """Whether a class decorator may have rewritten the class (``@dataclass`` writes an
        ``__init__``), on the class or a base pkgcheck can see."""
        mro, _ = self.mro(ref)
        for item in mro:
            cls = self.class_fact(item) if item.kind == "class" else None
            if cls is not None and cls.decorators:
                return True
        return False

    def is_abstract(self, ref: Ref) -> bool:
        """A class with an ``@abstractmethod`` that no class in its MRO implements: Python
        refuses to instantiate it."""
        mro, _ = self.mro(ref)
        concrete: Set[str] = set()
        for item in mro:
            cls = self.class_fact(item) if item.kind == "class" else None
            module = self.module(item.module) if cls is not None else None
            if cls is None or module is None:
                continue
            for method in cls.methods:
                if method.name in concrete:
                    continue
                abstract = any(
                    (self.resolve(module, d.dotted) or Ref("", "")).dotted == "abc.abstractmethod"
                    for d in method.decorators
                    if d.dotted
                )
                if abstract:
                    return True
                concrete.add(method.name)
        return False

    def is_enum(self, ref: Ref) -> bool:
        mro, _ = self.mro(ref)
        return any(item.kind == "external" and item.module in ENUM_BASES for item in mro)

    def lookup_attribute(self, ref: Ref, name: str) -> Tuple[Optional[Ref], Optional[object], bool]:
        """``getattr(cls, name)`` statically: (defining class, FunctionFact or AssignFact, known).

        ``known`` is False when the attribute may come from a class pkgcheck cannot see.
        """
        mro, complete = self.mro(ref)
        for item in mro:
            if item.kind != "class":
                if item.kind == "external" and item.module not in ("abc.ABC", "typing.Generic"):
                    complete = False
                continue
            cls = self.class_fact(item)
            if cls is None:
                complete = False
                continue
            found = class_attribute(cls, name)
            if found is not None:
                return item, found, True
        return None, None, complete

    def subclasses_in(self, modules: Iterable[ModuleFacts]) -> Iterator[Ref]:
        for module in modules:
            for cls in module.classes:
                yield Ref("class", module.name, cls.qualname)


def _collect_job(job: Tuple[str, str, bool, str]) -> object:
    """A worker's parse of one module (:meth:`Project.prefetch`)."""
    from linter.run.checker import _collect_one

    return _collect_one(job)


def class_attribute(cls: ClassFact, name: str) -> Optional[object]:
    """The last binding of ``name`` in a class body: a FunctionFact or an AssignFact."""
    return cls.binding(name)


def class_namespace(cls: ClassFact) -> List[Tuple[str, object]]:
    """The class ``__dict__`` as Python builds it: each name at the place of its first binding,
    holding its last value."""
    order: Dict[str, object] = {}
    items: List[Tuple[int, str, object]] = [(f.node, f.name, f) for f in cls.methods]
    items.extend((a.node, a.target, a) for a in cls.assigns)
    for _, name, value in sorted(items, key=lambda item: item[0]):
        order[name] = value
    return list(order.items())


def _is_within(path: Path, root: Path) -> bool:
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
        import fnmatch

        self.patterns = tuple(patterns)
        self._match = (
            re.compile("|".join(fnmatch.translate(os.path.normcase(p)) for p in self.patterns)).match
            if self.patterns
            else None
        )

    def __call__(self, name: str, full: str) -> bool:
        match = self._match
        if match is None:
            return False
        return match(os.path.normcase(name)) is not None or match(os.path.normcase(full)) is not None


def iter_python_files(
    paths: Sequence[Path], excluded: Iterable[str] = (), *, nested_projects: bool = True
) -> Iterator[Path]:
    """Python files under ``paths`` (files given explicitly are always included).

    Without ``nested_projects``, a walk does not enter a directory below a path that holds a
    root marker (:data:`ROOT_MARKERS`): its files are another project's (see
    :func:`linter.run.engine.group_by_project`). The markers are looked for in the directory's own
    listing, so this costs no extra system call.
    """
    skip = ExcludeMatcher(excluded)
    seen: Set[Path] = set()
    join = os.path.join
    for path in paths:
        if path.is_file() or not path.is_dir():
            # Named explicitly: always a target, even when it cannot be read (a missing path
            # is reported like an unreadable file, as flake8 and ruff do, not skipped).
            if path not in seen:
                seen.add(path)
                yield path
            continue
        top = str(path)
        for directory, subdirs, files in os.walk(top, followlinks=False):
            if not nested_projects and directory != top and not (
                _MARKER_NAMES.isdisjoint(files) and _MARKER_NAMES.isdisjoint(subdirs)
            ):
                subdirs[:] = []
                continue
            base = Path(directory)
            subdirs[:] = sorted(d for d in subdirs if not skip(d, join(directory, d)))
            for file in sorted(files):
                if not file.endswith(".py") or skip(file, join(directory, file)):
                    continue
                candidate = base / file
                if candidate not in seen:
                    seen.add(candidate)
                    yield candidate


class NotRegularFile(OSError):
    """Only regular files are read: a FIFO would block forever, a device never ends."""
