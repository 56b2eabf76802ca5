"""The bundled catalogue: facts of steamship's modules, built by :mod:`linter.sdk.bundle` from
a steamship wheel, read lazily (a module's facts are decoded when first asked for).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Dict, Optional, Tuple

from linter.source import serial
from linter.source.facts import ModuleFacts, Span

BUNDLED_VERSION = "2.17.34"
CATALOGUE_PATH = Path(__file__).parent.parent / "sdk" / "data" / f"steamship-{BUNDLED_VERSION}.json.gz"


class Catalogue:
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


_CATALOGUES: Dict[Path, Catalogue] = {}


def load_catalogue(path: Path = CATALOGUE_PATH) -> Catalogue:
    if path not in _CATALOGUES:
        _CATALOGUES[path] = Catalogue(path)
    return _CATALOGUES[path]
