"""The on-disk cache: ``.pkgcheck_cache/`` at the project root.

Three kinds of entries, all JSON (never pickle: a cache directory can arrive in a pull request,
and reading it must not run code), written atomically (temporary file, then rename):

- **facts** of one module, keyed on its text, name and path — a changed file is re-parsed, an
  unchanged one is not;
- **results** of a whole run, keyed on pkgcheck's version, the rules and options, the
  steamship source, the text of every in-scope module and the names of all the project's
  files; the entry also lists the digest of every other file the run read (a constants module
  the prefilter does not keep, steamship's installed source) and is used only while they all
  still match. Editing a mixin, or a module a package takes a route path from, re-checks the
  packages that use it (the trap of caching per file on the file's own text alone, ruff issue
  #5449, is avoided); creating a module where an import found nothing changes the key;
- **positions** of the reported nodes of one module, keyed on its text: a run that reports in
  an unchanged module (the other modules of a project after one edit) need not parse it again.

An entry's file is the signature (64 hex digits), a newline, then the JSON text it signs: the
text is encoded and decoded once (inside a JSON envelope, the 11 MB record of a 100,000-file
scan was escaped and parsed twice). Entries are signed with a per-user secret kept outside the
project (HMAC-SHA256): a cache
that arrives in a pull request, or is edited by hand, is ignored, and a ``.pkgcheck_cache`` that
is a symbolic link is never followed. Anything unreadable or from another version is ignored
and rewritten; the cache can be deleted at any time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

from linter import __version__
from linter.source import serial
from linter.source.facts import ModuleFacts, Span

DIRECTORY = ".pkgcheck_cache"
TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by pkgcheck.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


_CODE_DIGEST: list = []

#: The files of pkgcheck's packages that make its results: the code and the bundled catalogue.
CODE_SUFFIXES = (".py", ".zip")


def code_digest() -> str:
    """A digest of pkgcheck's own code (the engine, the rules, the bundled catalogue): cached
    facts and results are only as good as the code that made them, and an editable install or
    a patched copy changes the code without changing ``__version__``."""
    if not _CODE_DIGEST:
        import linter
        import rules

        _CODE_DIGEST.append(digest_of_packages([Path(linter.__file__).parent, Path(rules.__file__).parent]))
    return _CODE_DIGEST[0]


def digest_of_packages(packages: Sequence[Path]) -> str:
    """The digest of the :data:`CODE_SUFFIXES` files below ``packages`` (names and contents;
    byte-code caches left out). A zip archive's contents are its members' names, sizes and
    CRC-32s, read from its directory: hashing the 2.6 MB catalogue whole would cost 12 ms of
    every run that uses the cache."""
    digest = hashlib.sha256()
    for package in packages:
        for path in sorted(package.rglob("*")):
            if path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(package)).encode() + b"\0")
                if path.suffix == ".zip":
                    digest.update(_zip_directory(path))
                else:
                    digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def _zip_directory(path: Path) -> bytes:
    """What an archive holds, as its directory lists it; the whole file when it is no archive."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            members = [f"{i.filename}\0{i.file_size}\0{i.CRC}" for i in archive.infolist()]
    except (OSError, zipfile.BadZipFile):
        return hashlib.sha256(path.read_bytes()).digest()
    return "\n".join(members).encode("utf-8", "surrogatepass")


def flavour() -> str:
    """The directory, inside a project's :data:`DIRECTORY`, of this pkgcheck's entries. The
    layout number changes whenever the facts' shape does, so that older entries are never read
    as new ones (v3: a function's events carry the whole call of ``self.name(...)`` and of a
    base ``__init__``)."""
    return f"v3-{__version__}-py{sys.version_info[0]}{sys.version_info[1]}-{code_digest()}"


def holds_results(project_root: Path) -> bool:
    """Whether this pkgcheck has kept results for the project at ``project_root`` before: its
    next run there mostly reads them rather than parsing (the entries themselves are checked
    when read)."""
    return (Path(project_root) / DIRECTORY / flavour() / "results").is_dir()


class Cache:
    def __init__(self, project_root: Path) -> None:
        self.root = Path(project_root) / DIRECTORY
        self.base = self.root / flavour()
        self._ready = False
        self.hits = 0
        self.misses = 0
        self._secret: Optional[bytes] = _secret()

    # -- layout ----------------------------------------------------------------------------
    def _usable(self) -> bool:
        """The cache lives in the analysed tree, which a pull request controls: never follow a
        link out of it, and never trust an entry this user's secret did not sign."""
        if self._secret is None:
            return False
        for path in (self.root, self.base, self.base / "facts", self.base / "results"):
            if path.is_symlink():
                return False
        return True

    def _prepare(self) -> bool:
        if self._ready:
            return True
        if not self._usable():
            return False
        try:
            for kind in ("facts", "spans", "results"):
                (self.base / kind).mkdir(parents=True, exist_ok=True)
            tag = self.root / "CACHEDIR.TAG"
            if not tag.exists():
                _write(tag, TAG)
            ignore = self.root / ".gitignore"
            if not ignore.exists():
                _write(ignore, "# created by pkgcheck\n*\n")
        except OSError:
            return False  # a read-only tree: run without a cache
        self._ready = True
        return True

    # -- facts -----------------------------------------------------------------------------
    @staticmethod
    def facts_key(text: str, name: str, path: str, is_package: bool) -> str:
        digest = hashlib.sha256()
        for part in (name, path, "1" if is_package else "0", text):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        return digest.hexdigest()

    def get_facts(self, text: str, name: str, path: str, is_package: bool) -> Optional[ModuleFacts]:
        body = self._read_body(self.base / "facts" / f"{self.facts_key(text, name, path, is_package)}.json")
        if body is None:
            self.misses += 1
            return None
        try:
            facts = serial.loads(body)
        except (serial.FormatError, TypeError, ValueError):
            self.misses += 1
            return None
        if not isinstance(facts, ModuleFacts):
            self.misses += 1
            return None
        self.hits += 1
        return facts

    def put_facts(self, text: str, facts: ModuleFacts) -> None:
        key = self.facts_key(text, facts.name, facts.path, facts.is_package)
        self._store(self.base / "facts" / f"{key}.json", serial.encode(facts))

    # -- positions -------------------------------------------------------------------------
    @staticmethod
    def spans_key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def get_spans(self, text: str) -> Dict[int, Optional[Span]]:
        """The positions of nodes of a module with this text that earlier runs computed (node
        id -> span, None for "no position"), as far as they go."""
        data = self._read(self.base / "spans" / f"{self.spans_key(text)}.json")
        found: Dict[int, Optional[Span]] = {}
        if not isinstance(data, dict):
            return found
        try:
            for node, span in data.items():
                found[int(node)] = Span(*(int(n) for n in span)) if span is not None else None
        except (TypeError, ValueError):
            return {}
        return found

    def put_spans(self, text: str, spans: Dict[int, Optional[Span]]) -> None:
        """Add positions of nodes of a module with this text to its entry."""
        known = self.get_spans(text)
        if all(node in known for node in spans):
            return
        known.update(spans)
        data = {
            str(node): [span.line, span.column, span.end_line, span.end_column] if span is not None else None
            for node, span in sorted(known.items())
        }
        self._store(self.base / "spans" / f"{self.spans_key(text)}.json", data)

    # -- results ---------------------------------------------------------------------------
    def get_results(self, key: str) -> Optional[Any]:
        return self._read(self.base / "results" / f"{key}.json")

    def put_results(self, key: str, data: Any) -> None:
        self._store(self.base / "results" / f"{key}.json", data)

    # -- the prefilter's record -------------------------------------------------------------
    def get_scan(self) -> Optional[Any]:
        """What the last scan of the project's files recorded of each (see
        :mod:`linter.project.scan`), else None."""
        return self._read(self.base / "scan.json")

    def put_scan(self, data: Any, more_files: Sequence[str] = ()) -> None:
        """Record ``data`` (``{"root": ..., "files": {...}}``); ``more_files`` are more entries
        of ``files`` already written as JSON (``"key":[...]`` pairs, by a child process of
        the scan), put inside ``files`` as they are."""
        if not more_files:
            self._store(self.base / "scan.json", data)
            return
        try:
            body = self._encode({"root": data["root"], "files": data["files"]})
            more = ",".join(more_files).encode("utf-8", "surrogatepass")
        except (TypeError, ValueError):
            return
        # the text ends with the closing braces of "files" and of the record
        comma = b"," if data["files"] else b""
        self._store_body(self.base / "scan.json", body[:-2] + comma + more + b"}}")

    def scan_clock(self) -> Optional[int]:
        """The time now (ns), as the file system under the cache stamps a file it writes, when
        that is not later than this machine's clock; None when the cache cannot be written (no
        record of a scan is kept then). A file system's clock may lag the machine's (a network
        share): a file changed "now" there must not look older than it is."""
        if not self._prepare():
            return None
        try:
            descriptor, temporary = tempfile.mkstemp(dir=str(self.base), prefix=".clock-")
        except OSError:
            return None
        try:
            status = os.fstat(descriptor)
            return min(status.st_mtime_ns, status.st_ctime_ns, time.time_ns())
        except OSError:
            return None
        finally:
            os.close(descriptor)
            try:
                os.unlink(temporary)
            except OSError:
                pass

    # -- io --------------------------------------------------------------------------------
    def _mac(self, body: bytes) -> bytes:
        assert self._secret is not None
        return hmac.new(self._secret, body, hashlib.sha256).hexdigest().encode("ascii")

    def _read(self, path: Path) -> Optional[Any]:
        body = self._read_body(path)
        if body is None:
            return None
        try:
            return json.loads(body)
        except ValueError:
            return None

    def _read_body(self, path: Path) -> Optional[str]:
        """The JSON text of an entry this user's pkgcheck signed, else None."""
        if not self._usable() or path.is_symlink():
            return None
        try:
            with open(path, "rb") as handle:
                data = handle.read()
            mac, newline, body = data[:MAC_LENGTH], data[MAC_LENGTH : MAC_LENGTH + 1], data[MAC_LENGTH + 1 :]
            if newline != b"\n" or not hmac.compare_digest(mac, self._mac(body)):
                return None  # not written by this user's pkgcheck: ignore it
            return body.decode("utf-8", "surrogatepass")
        except (OSError, ValueError):
            return None

    def _store(self, path: Path, data: Any) -> None:
        try:
            body = self._encode(data)
        except (TypeError, ValueError):
            return  # not JSON: not cached
        self._store_body(path, body)

    @staticmethod
    def _encode(data: Any) -> bytes:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")

    def _store_body(self, path: Path, body: bytes) -> None:
        if not self._prepare():
            return
        try:
            _write_bytes(path, (self._mac(body), b"\n", body))
        except OSError:
            pass  # a cache that cannot be written is only slower


#: hex digits of an entry's signature (HMAC-SHA256), its first line
MAC_LENGTH = 64


def _secret() -> Optional[bytes]:
    """A per-user key kept outside any project (``$XDG_CACHE_HOME/pkgcheck/secret``), created
    on first use; None when it cannot be had (then there is no cache).

    The key appears whole or not at all: it is written to a temporary file that is then linked
    to its name, which fails if another run linked its key first. Created in place, a run
    started beside the first one could read the file while it is still empty and sign (and
    trust) entries with an empty key. A key file shorter than a key is never used.
    """
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pkgcheck"
    path = base / "secret"
    found = _read_secret(path)
    if found is not None:
        return found
    try:
        base.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=str(base), prefix=".secret-")  # mode 0600
    except OSError:
        return None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(os.urandom(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another run made the key first: use it
        except OSError:
            # no hard links here: move the key into place unless a key is there by now
            if not path.exists():
                os.replace(temporary, path)
    except OSError:
        return None
    finally:
        try:
            os.unlink(temporary)
        except OSError:
            pass
    return _read_secret(path)


def _read_secret(path: Path) -> Optional[bytes]:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if len(data) >= 32 else None


def _write(path: Path, text: str) -> None:
    _write_bytes(path, (text.encode("utf-8"),))


def _write_bytes(path: Path, parts: Sequence[bytes]) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=str(path.parent), prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            for part in parts:
                handle.write(part)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
