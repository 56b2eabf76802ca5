"""Where steamship's own source comes from: installed beside pkgcheck or in the project's
virtualenv (read, never imported), else the bundled catalogue of the release the project uses
(:func:`linter.sdk.releases.choose_release`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple

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
    #: a stand-in for a steamship installed from a URL (see :class:`~linter.sdk.releases.Choice`)
    guessed: bool = False

    def describe(self) -> str:
        if self.kind == "installed":
            return f"steamship {self.version or '(unknown version)'} at {self.directory}"
        return f"pkgcheck's bundled catalogue of steamship {self.version}"


_SYS_PATH: Dict[Tuple[str, ...], Optional[SteamshipSource]] = {}


def _installed_in(site: Path) -> Optional[SteamshipSource]:
    """The steamship package in site-packages directory ``site``, if there is one."""
    package = site / "steamship"
    if (package / "invocable" / "invocable.py").is_file():
        return SteamshipSource("installed", _installed_version(site), package)
    return None


def _on_sys_path() -> Optional[SteamshipSource]:
    """The steamship importable by this interpreter, looked for once per ``sys.path`` (a run
    over many projects asks for every one of them)."""
    key = tuple(sys.path)
    if key not in _SYS_PATH:
        found = (_installed_in(Path(entry)) for entry in key if entry)
        _SYS_PATH[key] = next((source for source in found if source is not None), None)
    return _SYS_PATH[key]


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
    if explicit is not None:
        explicit = Path(explicit)
        found = _installed_in(explicit.parent if explicit.name == "steamship" else explicit)
        if found is not None:
            return found
    found = _on_sys_path()
    if found is not None:
        return found
    if project_root is not None:
        for venv in (".venv", "venv", "env"):
            lib = project_root / venv / "lib"
            sites = sorted(lib.glob("python3*/site-packages")) if lib.is_dir() else []
            for site in (*sites, project_root / venv / "Lib" / "site-packages"):
                found = _installed_in(site)
                if found is not None:
                    return found
    from linter.sdk.releases import choose_release

    choice = choose_release(load_bundle(), project_root, version)
    return SteamshipSource(
        "catalogue", choice.version, reason=choice.reason, note=choice.note, guessed=choice.guessed
    )


def _installed_version(site: Path) -> Optional[str]:
    for meta in sorted(site.glob("steamship-*.dist-info/METADATA")):
        try:
            for line in meta.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("Version:"):
                    return line.split(":", 1)[1].strip()
        except OSError:
            continue
    return None
