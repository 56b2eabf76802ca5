"""Loading a project's modules: source text read once, facts from the catalogue, the cache, a
worker or a parse, and positions of the nodes that findings name.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple, Union

from linter.project.files import read_regular
from linter.project.layout import Layout
from linter.sdk.catalogue import Bundle, Catalogue, load_bundle, load_catalogue, text_digest
from linter.sdk.locate import SteamshipSource, locate_steamship
from linter.sdk.releases import ROUTING_MODULES, Runtime, runtime_of
from linter.source.collect import collect_facts, collect_facts_and_tree, collect_node_spans, collect_spans
from linter.source.facts import ModuleFacts, ParseFailure, Span
from linter.source.jobs import facts_of
from linter.source.parse import SyntaxProblem, decode_source
from linter.source.positions import Tree, node_spans

if TYPE_CHECKING:
    from concurrent.futures import Future

#: Characters of source whose trees a project keeps after taking their facts (see
#: ``Project._trees``): a tree takes about 24 bytes per character, so this is some 24 MB.
TREE_BUDGET = 1_000_000

Loaded = Union[ModuleFacts, ParseFailure]


class Loader(Layout):
    """Reads a project's files once and loads their facts on demand: from the bundled catalogue
    (steamship's modules, byte for byte), the on-disk cache, a worker's parse, or a parse here.
    Positions of reported nodes are computed only when asked for."""

    def __init__(
        self,
        root: Path,
        steamship: Optional[SteamshipSource] = None,
        overrides: Optional[Dict[Path, str]] = None,
        cache: Optional["object"] = None,
    ) -> None:
        super().__init__(root)
        self.steamship = steamship or locate_steamship(project_root=self.root)
        #: source text to use instead of the file on disk (flake8's stdin, an editor buffer)
        self.overrides = {Path(os.path.abspath(p)): text for p, text in (overrides or {}).items()}
        self.cache = cache
        self._by_name: Dict[str, Optional[Loaded]] = {}
        self._by_path: Dict[Path, Loaded] = {}
        self._spans: Dict[str, Tuple[Span, ...]] = {}
        #: positions of some nodes of a module (see :meth:`place`), None for no position
        self._node_spans: Dict[str, Dict[int, Optional[Span]]] = {}
        #: module name -> the tree this process parsed it into, while they fit in TREE_BUDGET
        #: characters of source: positions asked for later need no second parse
        self._trees: Dict[str, Tree] = {}
        self._tree_room = TREE_BUDGET
        #: modules whose cached positions were taken in (see :meth:`cached_spans`)
        self._spans_read: Set[str] = set()
        self._sources: Dict[Path, str] = {}
        self._raw: Dict[Path, bytes] = {}
        self._catalogue: Optional[Catalogue] = None
        #: steamship modules whose facts (and spans) came from the catalogue, by their
        #: installed or vendored text's digest
        self._catalogued: Dict[str, str] = {}
        #: (file, module name) -> a worker's parse of it under that name (see :meth:`prefetch`)
        self._prefetched: Dict[Tuple[Path, str], "Future[object]"] = {}
        #: files read from disk (for cache keys: what a result depends on)
        self.loaded_paths: Set[Path] = set()
        #: module name -> the in-scope file it denotes (see :meth:`claim`)
        self._claims: Dict[str, Path] = {}
        #: files whose facts the cache was asked for and did not have
        self.not_cached: Set[Path] = set()
        self.internal_tracebacks: Dict[Path, str] = {}
        self._runtime: Optional[Runtime] = None
        self._runtime_known = False

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

    def read_bytes(self, path: Path, keep: bool = True) -> bytes:
        """The bytes of ``path``, read once per run (without ``keep``: read now and not kept,
        unless they were already; see :meth:`keep_bytes`)."""
        data = self._raw.get(path)
        if data is None:
            data = read_regular(path)
            if keep:
                self._raw[path] = data
        return data

    def texts_in_hand(self) -> Dict[str, bytes]:
        """The bytes of the files this run has without reading them again (an override's text,
        bytes kept), by path as a string."""
        found = {str(path): data for path, data in self._raw.items()}
        for path, text in self.overrides.items():
            found[str(path)] = text.encode("utf-8", "surrogatepass")
        return found

    def keep_bytes(self, path: Path, data: bytes) -> None:
        """Keep ``data``, read with ``keep=False``, as the bytes of ``path`` for this run."""
        self._raw.setdefault(path, data)

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
            previous = self._claims.get(name)
            if previous is None or (is_package and name not in packages):
                self._claims[name] = path
                if is_package:
                    packages.add(name)
            if previous is not None and previous != path:
                chosen = self._claims[name]
                _, others = self.ambiguous.get(name, (chosen, ()))
                rest = (*others, previous if chosen == path else path)
                self.ambiguous[name] = (chosen, tuple(dict.fromkeys(o for o in rest if o != chosen)))

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
        future = workers.submit(facts_of, (str(path), name, is_package, text))  # type: ignore[attr-defined]
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
        one the catalogue was built from (any bundled release installed, or vendored into the
        project): no parse needed. None for any other text."""
        if not self.is_steamship(name):
            return None
        try:
            bundle = load_bundle()
        except Exception:  # noqa: BLE001 - a broken install: parse instead
            return None
        digest = text_digest(text)
        if not bundle.holds(name, digest, is_package):
            return None
        facts = bundle.facts(name, digest)
        if facts is None:
            return None
        self._catalogued[name] = digest
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

    def steamship_catalogue(self) -> Catalogue:
        """The bundled catalogue of the release the project uses (read on first use)."""
        if self._catalogue is None:
            self._catalogue = load_catalogue(self.steamship.version)
        return self._catalogue

    @property
    def runtime(self) -> Optional[Runtime]:
        """What the steamship in use does where releases differ (see
        :mod:`linter.sdk.releases`), decided by the text of its routing modules; None when
        pkgcheck does not model that code (or has no bundle to compare it with)."""
        if not self._runtime_known:
            self._runtime_known = True
            try:
                bundle = load_bundle()
            except Exception:  # noqa: BLE001 - a broken install: nothing to compare with
                return None
            self._runtime = runtime_of(bundle, self.routing_texts(bundle))
        return self._runtime

    @property
    def behaviour(self) -> Runtime:
        """:attr:`runtime`, or the newest release's where pkgcheck does not model the code in
        use (its verdicts are then withheld: see :func:`linter.run.checker.unmodelled_runtime`)."""
        return self.runtime or Runtime()

    def routing_texts(self, bundle: Bundle) -> Dict[str, Optional[str]]:
        """The digests of the steamship in use's routing modules (None for one it lacks)."""
        if self.steamship.kind == "catalogue":
            table = bundle.table(str(self.steamship.version))
            return {module: table.get(module) for module in ROUTING_MODULES}
        texts: Dict[str, Optional[str]] = {}
        for module in ROUTING_MODULES:
            path = Path(str(self.steamship.directory)).joinpath(*module.split(".")[1:]).with_suffix(".py")
            try:
                texts[module] = text_digest(self.source(path))
            except Exception:  # noqa: BLE001 - unreadable or undecodable: not a text pkgcheck models
                texts[module] = None
        return texts

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
                if module.name in self._catalogued:
                    self._spans[module.name] = load_bundle().spans(module.name, self._catalogued[module.name])
                elif self.is_steamship(module.name) and self.steamship.kind == "catalogue":
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
