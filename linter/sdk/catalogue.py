"""The bundled catalogue: facts of steamship's modules for every release on the package index,
built by :mod:`linter.sdk.bundle` from the wheels, read lazily.

Opening the bundle reads its index (which module texts it holds); a release's catalogue reads
that release's table (module -> text digest); a module's facts are decompressed and decoded
when first asked for. The whole file is read into memory once per process (about a megabyte),
so processes forked later never share a file position.
"""

from __future__ import annotations

import functools
import json
import pickle
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from linter.source import facts as fact_types
from linter.source.serial import RECORD_TYPES
from linter.source.facts import ModuleFacts, Span

if TYPE_CHECKING:
    from packaging.version import Version

BUNDLE_PATH = Path(__file__).parent / "data" / "steamship.zip"

#: a plain final release number: 2.17.34
_FINAL = re.compile(r"\d+(?:\.\d+)*")


@functools.lru_cache(maxsize=None)
def release_key(version: str) -> "Version":
    """Order of releases as pip orders them (PEP 440: 2.17.4rc3 before 2.17.4). Memoised:
    choosing a release compares the bundle's 152 releases more than once per project."""
    from packaging.version import Version

    return Version(version)


def is_final(version: str) -> bool:
    return _FINAL.fullmatch(version) is not None


def text_digest(text: str) -> str:
    """The digest the catalogue keys a module's text by (of the decoded text, so a BOM or a
    coding cookie cannot make one file two)."""
    import hashlib

    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


_PROTOCOL = 4


def encode_entry(facts: ModuleFacts, spans: Tuple[int, ...]) -> bytes:
    """One module text's entry: its facts and the positions of their nodes, flat
    ``(line, column, end_line, end_column, ...)``, pickled.

    Pickle, unlike the cache's JSON (:mod:`linter.source.serial`), because this file is
    pkgcheck's own, generated and shipped with it, never read from a project; and it is read
    with :class:`_EntryUnpickler`, which builds nothing but the fact records. Decoding the
    facts of a release's ~200 modules costs a third of what JSON and records built in Python
    cost (``json.loads`` with an object hook), which every run that needs steamship's classes
    pays: the flake8 plugin on steamship's own source decodes all of them.
    """
    return pickle.dumps((facts, spans), protocol=_PROTOCOL)


class _EntryUnpickler(pickle.Unpickler):
    """Unpickles the fact records and plain data only: any other class or callable is refused."""

    def find_class(self, module: str, name: str) -> Any:
        found = RECORD_TYPES.get(name)
        if module != fact_types.__name__ or found is None:
            raise pickle.UnpicklingError(f"a catalogue entry may not name {module}.{name}")
        return found


def compress_chunk(data: bytes) -> bytes:
    """A module's entries, one after the other, as the bundle stores them (a zlib stream).

    zlib, not LZMA: the bundle is 2.5 MB rather than 1.4, but decompressing the entries of a
    whole release (the flake8 plugin on steamship's own source) takes 6 ms rather than 30."""
    import zlib

    return zlib.compress(data, 9)


def decode_entry(data: bytes) -> Tuple[ModuleFacts, Tuple[int, ...]]:
    import io

    facts, spans = _EntryUnpickler(io.BytesIO(data)).load()
    return facts, spans


class CatalogueUnavailable(RuntimeError):
    """The bundled catalogue cannot be read on this Python (no ``zlib`` module)."""


class Bundle:
    """The bundle file: which releases it knows, and the facts of every module text."""

    def __init__(self, path: Path) -> None:
        import io

        try:
            import zlib  # noqa: F401 - the modules' facts are zlib-compressed
        except ImportError:
            raise CatalogueUnavailable(
                "pkgcheck's steamship catalogue needs Python's zlib module, which this Python was "
                "built without; install steamship next to pkgcheck (or pass --steamship-path) so "
                "that its source is read instead"
            ) from None
        self.archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
        #: module name -> its texts, most recently used first: [digest, offset, length, is_package]
        self.index: Dict[str, List[List[object]]] = json.loads(self.archive.read("index.json"))
        self._by_digest = {
            (name, str(text[0])): text for name, texts in self.index.items() for text in texts
        }
        releases = json.loads(self.archive.read("releases.json"))
        self._names: List[str] = releases["modules"]
        self._columns: Dict[str, List[int]] = releases["releases"]
        #: every release, oldest first
        self.versions: List[str] = sorted(self._columns, key=release_key)
        self._tables: Dict[str, Dict[str, str]] = {}

    @functools.cached_property
    def newest(self) -> str:
        """The newest final release (pre-releases are chosen only when asked for)."""
        return [v for v in self.versions if is_final(v)][-1]

    def table(self, version: str) -> Dict[str, str]:
        """Module name -> text digest for ``version``. Raises KeyError for an unknown release."""
        if version not in self._tables:
            column = self._columns[version]
            self._tables[version] = {
                name: str(self.index[name][n - 1][0]) for name, n in zip(self._names, column) if n
            }
        return self._tables[version]

    def holds(self, name: str, digest: str, is_package: bool) -> bool:
        """Whether the bundle has the facts of module ``name`` with this text."""
        found = self._by_digest.get((name, digest))
        return found is not None and found[3] == is_package

    def entry(self, name: str, digest: str) -> Optional[Tuple[ModuleFacts, Tuple[int, ...]]]:
        """The facts of module ``name`` with this text, and its flat spans (see :func:`encode_entry`)."""
        found = self._by_digest.get((name, digest))
        if found is None:
            return None
        offset, length = int(found[1]), int(found[2])  # type: ignore[call-overload]
        import zlib

        stream = self.archive.read(f"modules/{name}")  # stored: no copy but this one
        data = zlib.decompressobj().decompress(stream, offset + length)  # up to the text only
        return decode_entry(data[offset:])

    def facts(self, name: str, digest: str) -> Optional[ModuleFacts]:
        found = self.entry(name, digest)
        return found[0] if found is not None else None

    def spans(self, name: str, digest: str) -> Tuple[Span, ...]:
        found = self.entry(name, digest)
        flat = found[1] if found is not None else ()
        return tuple(Span(*flat[i : i + 4]) for i in range(0, len(flat) - 3, 4))


class Catalogue:
    """Steamship's modules as one release has them (see :class:`Bundle`), decoded on demand."""

    def __init__(self, bundle: Bundle, version: str) -> None:
        self.bundle = bundle
        self.version = version
        self.table = bundle.table(version)
        self.decoded: Dict[str, Optional[ModuleFacts]] = {}

    def get(self, name: str) -> Optional[ModuleFacts]:
        if name not in self.decoded:
            digest = self.table.get(name)
            self.decoded[name] = self.bundle.facts(name, digest) if digest is not None else None
        return self.decoded[name]

    def spans(self, name: str) -> Tuple[Span, ...]:
        digest = self.table.get(name)
        return self.bundle.spans(name, digest) if digest is not None else ()


_BUNDLES: Dict[Path, Bundle] = {}
_CATALOGUES: Dict[Tuple[Path, str], Catalogue] = {}


def load_bundle(path: Path = BUNDLE_PATH) -> Bundle:
    if path not in _BUNDLES:
        _BUNDLES[path] = Bundle(path)
    return _BUNDLES[path]


def load_catalogue(version: Optional[str] = None, path: Path = BUNDLE_PATH) -> Catalogue:
    """The catalogue of release ``version`` (default: the newest). Raises KeyError for a
    release the bundle does not hold."""
    bundle = load_bundle(path)
    version = version or bundle.newest
    key = (path, version)
    if key not in _CATALOGUES:
        _CATALOGUES[key] = Catalogue(bundle, version)
    return _CATALOGUES[key]
