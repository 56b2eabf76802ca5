"""Which steamship the project says it needs: requirements files, pyproject.toml, setup.cfg.

Checks that rest on steamship's own code (its mixins' constructors, its routes) are only right
for the steamship the project runs on. When no steamship is installed, these requirements choose
the release whose catalogue stands in for it (:func:`linter.sdk.releases.choose_release`).

Requirements are read as pip and Poetry read them (PEP 508 specifiers through ``packaging``;
Poetry's ``^``/``~`` constraints); anything else — a URL, a ``-r`` include, an unparsable line —
says nothing about the version.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, List, Optional, Tuple, Union

if TYPE_CHECKING:  # packaging is imported only when a requirement needs it (~25 ms)
    from packaging.specifiers import SpecifierSet

NAME = "steamship"
#: ``steamship==2.16.2`` — the common case, read without importing packaging
_EXACT = re.compile(r"^\s*steamship\s*==\s*(\d+(?:\.\d+)*)\s*(?:#.*)?$", re.I)


@dataclass(frozen=True)
class Pin:
    """A requirement on steamship: its specifier (PEP 440) and where it was written."""

    specifier: "SpecifierSet"
    source: str  # file name relative to the project root

    def allows(self, version: str) -> bool:
        from packaging.version import InvalidVersion, Version

        try:
            return self.specifier.contains(Version(version), prereleases=True)
        except InvalidVersion:
            return True

    def describe(self) -> str:
        return f"{NAME}{self.specifier} ({self.source})"


@dataclass(frozen=True)
class ExactPin:
    """``steamship==X.Y.Z`` with a plain release number."""

    release: str
    source: str

    def allows(self, version: str) -> bool:
        if not re.fullmatch(r"\d+(?:\.\d+)*", version):  # a pre-release, a local version ...
            return Pin(_specifier("==" + self.release), self.source).allows(version)
        mine = [int(part) for part in self.release.split(".")]
        theirs = [int(part) for part in version.split(".")]
        width = max(len(mine), len(theirs))  # 2.17 == 2.17.0
        return mine + [0] * (width - len(mine)) == theirs + [0] * (width - len(theirs))

    def describe(self) -> str:
        return f"{NAME}=={self.release} ({self.source})"


def _specifier(text: str) -> "SpecifierSet":
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(text)


def steamship_pins(root: Path) -> List[Union[Pin, ExactPin]]:
    """Every version requirement on steamship found at the project root, in reading order."""
    pins: List[Union[Pin, ExactPin]] = []
    for path in sorted(root.glob("requirements*.txt")):
        text = _read(path)
        if text is not None and NAME in text.lower():
            pins.extend(_from_requirements(text, path.name))
    pyproject = _read(root / "pyproject.toml")
    if pyproject is not None and NAME in pyproject.lower():
        pins.extend(Pin(spec, "pyproject.toml") for spec in _from_pyproject(pyproject))
    setup_cfg = _read(root / "setup.cfg")
    if setup_cfg is not None and NAME in setup_cfg.lower():
        pins.extend(Pin(spec, "setup.cfg") for spec in _from_setup_cfg(setup_cfg))
    return [pin for pin in pins if isinstance(pin, ExactPin) or str(pin.specifier)]


@dataclass(frozen=True)
class UrlPin:
    """steamship installed from a URL (``git+https://github.com/steamship-core/python-client@main``,
    ``steamship @ git+...``): which release that is cannot be known from the project."""

    url: str
    source: str

    def describe(self) -> str:
        return f"{NAME} from {self.url} ({self.source})"


#: a URL requirement that installs steamship: named so, or steamship's own repository
_STEAMSHIP_URL = re.compile(r"(#egg=steamship\b|^\s*steamship\s*@|/python-client(\.git)?(@|#|$|\s))", re.I)
_URL = re.compile(r"(?:^|[\s\"'=]|@\s*)((?:git|hg|svn|bzr)\+[^\s\"']+|https?://[^\s\"']+|file:[^\s\"']+)")


def steamship_urls(root: Path) -> List[UrlPin]:
    """The requirements at the project root that install steamship from a URL."""
    found: List[UrlPin] = []
    for path in sorted(root.glob("requirements*.txt")):
        text = _read(path) or ""
        for line in text.replace("\\\n", "").splitlines():
            line = re.sub(r"(^|\s)#(?!egg=).*", "", line).strip()
            url = _URL.search(line)
            if url and _STEAMSHIP_URL.search(line):
                found.append(UrlPin(url.group(1), path.name))
    pyproject = _read(root / "pyproject.toml")
    if pyproject is not None and NAME in pyproject.lower():
        for line in pyproject.splitlines():
            url = _URL.search(line)
            if url and (_STEAMSHIP_URL.search(line.strip().strip("\"',")) or re.match(r"\s*steamship\s*=", line)):
                found.append(UrlPin(url.group(1), "pyproject.toml"))
    return found


def _read(path: Path) -> Optional[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _requirement(text: str) -> Optional["SpecifierSet"]:
    """The specifier of a PEP 508 requirement on steamship (None: another project, a URL, or
    not a requirement at all)."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        requirement = Requirement(text.strip())
    except InvalidRequirement:
        return None
    if canonicalize_name(requirement.name) != NAME or requirement.url:
        return None
    return requirement.specifier


def _from_requirements(text: str, source: str) -> Iterator[Union[Pin, ExactPin]]:
    for line in text.replace("\\\n", "").splitlines():
        if NAME not in line.lower():
            continue
        exact = _EXACT.match(line)
        if exact:
            yield ExactPin(exact.group(1), source)
            continue
        line = re.sub(r"(^|\s)#.*", "", line).strip()
        if not line or line.startswith("-"):
            continue  # options: -r, -e, --index-url ...
        line = re.split(r"\s--?\w", line, maxsplit=1)[0]  # per-requirement options (--hash=...)
        specifier = _requirement(line)
        if specifier is not None:
            yield Pin(specifier, source)


def _from_pyproject(text: str) -> Iterator["SpecifierSet"]:
    try:
        import tomllib  # type: ignore[import-not-found]
    except ImportError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        document = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return
    project = _table(document, "project")
    lists = [project.get("dependencies")]
    lists.extend(_table(project, "optional-dependencies").values())
    for entries in lists:
        for entry in entries if isinstance(entries, list) else ():
            specifier = _requirement(entry) if isinstance(entry, str) else None
            if specifier is not None:
                yield specifier
    poetry = _table(_table(document, "tool"), "poetry")
    tables = [_table(poetry, "dependencies")]
    groups = _table(poetry, "group").values()
    tables.extend(_table(group, "dependencies") for group in groups if isinstance(group, dict))
    for table in tables:
        for name, constraint in table.items():
            if str(name).lower().replace("_", "-").replace(".", "-") != NAME:
                continue
            if isinstance(constraint, dict):
                constraint = constraint.get("version")
            specifier = poetry_constraint(constraint) if isinstance(constraint, str) else None
            if specifier is not None:
                yield specifier


def _from_setup_cfg(text: str) -> Iterator["SpecifierSet"]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
        value = parser.get("options", "install_requires", fallback="")
    except configparser.Error:
        return
    for line in value.splitlines():
        specifier = _requirement(line) if line.strip() else None
        if specifier is not None:
            yield specifier


def _table(document: object, key: str) -> dict:
    value = document.get(key) if isinstance(document, dict) else None
    return value if isinstance(value, dict) else {}


def poetry_constraint(text: str) -> Optional["SpecifierSet"]:
    """Poetry's version constraint as a PEP 440 specifier: ``2.16.0`` is ``==2.16.0``,
    ``^2.16`` is ``>=2.16,<3.0.0``, ``~2.16.1`` is ``>=2.16.1,<2.17.0``, ``*`` is anything;
    ``,``-joined parts all apply (``||`` alternatives are not understood: None)."""
    if "||" in text or "|" in text:
        return None
    parts: List[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part or part == "*":
            continue
        if part[0] in "^~" and not part.startswith("~="):
            bounds = _caret(part[1:]) if part[0] == "^" else _tilde(part[1:])
            if bounds is None:
                return None
            parts.extend(bounds)
        elif part[0].isdigit():
            parts.append("==" + part)
        else:
            parts.append(part)
    from packaging.specifiers import InvalidSpecifier

    try:
        return _specifier(",".join(parts))
    except InvalidSpecifier:
        return None


def _release(text: str) -> Optional[Tuple[int, ...]]:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text).release
    except InvalidVersion:
        return None


def _caret(text: str) -> Optional[List[str]]:
    release = _release(text)
    if release is None:
        return None
    # the first non-zero component may not change (^0.2.3 < 0.3.0, ^0.0.3 < 0.0.4)
    index = next((i for i, n in enumerate(release) if n != 0), len(release) - 1)
    upper = list(release[: index + 1])
    upper[-1] += 1
    return [f">={text}", "<" + ".".join(map(str, upper + [0] * (max(len(release), 2) - len(upper))))]


def _tilde(text: str) -> Optional[List[str]]:
    release = _release(text)
    if release is None:
        return None
    # ~1.2.3 and ~1.2 allow patch changes, ~1 minor ones
    keep = 2 if len(release) >= 2 else 1
    upper = list(release[:keep])
    upper[-1] += 1
    return [f">={text}", "<" + ".".join(map(str, upper + [0] * (max(len(release), 2) - len(upper))))]
