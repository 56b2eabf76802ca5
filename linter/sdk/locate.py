"""Where steamship's own source comes from: installed beside pkgcheck or in the project's
virtualenv (read, never imported), else the bundled catalogue of the release the project uses
(:func:`linter.sdk.releases.choose_release`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from linter.sdk.catalogue import load_bundle


@dataclass(frozen=True)
class SteamshipSource:
    """Where steamship's own code comes from."""

    kind: str  # "installed" or "catalogue"
    version: Optional[str]
    directory: Optional[Path] = None
    #: why this release (the catalogue's): ``steamship==2.17.18 (requirements.txt)``, ...
    reason: str = ""
    #: said once to the user when the release is not the one the project asked for
    note: Optional[str] = None

    def describe(self) -> str:
        if self.kind == "installed":
            return f"steamship {self.version or '(unknown version)'} at {self.directory}"
        return f"pkgcheck's bundled catalogue of steamship {self.version}"


def locate_steamship(
    explicit: Optional[Path] = None, project_root: Optional[Path] = None, version: Optional[str] = None
) -> SteamshipSource:
    """Find steamship's source without importing it.

    Order: ``explicit`` (a site-packages dir or the ``steamship`` package dir), the interpreter's
    ``sys.path``, a virtualenv in the project root (``.venv``, ``venv``, ``env``), and last the
    bundled catalogue of release ``version`` (``--steamship-version``), else of the release the
    project's requirements choose. Raises :class:`~linter.sdk.releases.ReleaseError` for a
    ``version`` pkgcheck does not know.
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
    from linter.sdk.releases import choose_release

    choice = choose_release(load_bundle(), project_root, version)
    return SteamshipSource("catalogue", choice.version, reason=choice.reason, note=choice.note)


def _installed_version(site: Path) -> Optional[str]:
    for meta in sorted(site.glob("steamship-*.dist-info/METADATA")):
        try:
            for line in meta.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("Version:"):
                    return line.split(":", 1)[1].strip()
        except OSError:
            continue
    return None
