"""``[tool.pkgcheck]`` in pyproject.toml, ``[pkgcheck]`` in setup.cfg: the CLI's settings file.

The nearest file that has the section, walking up from the files checked, applies to them (in
one directory pyproject.toml is preferred to setup.cfg): a run over several projects checks each
project's files with that project's settings, as ruff does. The output settings (format, output
file, statistics, exit-zero, quiet) come from the nearest file above all the paths checked. Keys
are the long command-line options without ``--``; the command line overrides every file.
Relative paths in a file (``steamship-path``, ``output-file``, exclude and per-file-ignores
patterns with a ``/``) are relative to the file's directory, so the same file works whatever
directory pkgcheck is started from.

A typo must not silently disable a check, so unknown keys, codes and ill-typed values are errors
that name the file and the key.
"""

from __future__ import annotations

import configparser
import fnmatch
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection, Dict, List, Optional, Sequence, Tuple

from linter.run.selection import (
    SelectionError,
    ignore_matches,
    normalise_selector,
    normalise_selectors,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10
    import tomli as tomllib

FORMATS = ("text", "json", "sarif", "github")

_LISTS = ("select", "extend-select", "ignore", "exclude", "extend-exclude")
_BOOLEANS = ("statistics", "show-suppressed", "exit-zero", "quiet", "cache")
_PATHS = ("steamship-path", "output-file")
#: Every key a settings file may hold.
KEYS = (*_LISTS, *_BOOLEANS, *_PATHS, "per-file-ignores", "format", "steamship-version")

_CODE_LIKE = re.compile(r"^[A-Z]+[0-9]*$")


class ConfigError(Exception):
    """A settings problem the user must fix; the message names the file and key when known."""


@dataclass
class FileSettings:
    """The settings one file holds, already validated; None or empty when not set."""

    path: Optional[Path] = None
    select: Optional[Tuple[str, ...]] = None
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    per_file_ignores: Optional[List[Tuple[str, Tuple[str, ...]]]] = None
    exclude: Optional[Tuple[str, ...]] = None
    extend_exclude: Tuple[str, ...] = ()
    format: Optional[str] = None
    output_file: Optional[Path] = None
    steamship_path: Optional[Path] = None
    #: the steamship release to check against when none is installed (``2.17.18``)
    steamship_version: Optional[str] = None
    booleans: Dict[str, bool] = field(default_factory=dict)


def find_config(start: Path) -> Optional[Path]:
    """The nearest pyproject.toml with ``[tool.pkgcheck]`` or setup.cfg with ``[pkgcheck]``."""
    start = Path(os.path.abspath(start))
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _pyproject_has_section(pyproject):
            return pyproject
        setup_cfg = candidate / "setup.cfg"
        if setup_cfg.is_file() and _setup_cfg_has_section(setup_cfg):
            return setup_cfg
    return None


def _pyproject_has_section(path: Path) -> bool:
    # A cheap look first: most pyproject.toml files never mention pkgcheck, and a broken one
    # that does not is none of pkgcheck's business.
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"^\s*\[\s*tool\s*\.\s*pkgcheck\b", text, re.MULTILINE) is not None


def _setup_cfg_has_section(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"^\s*\[pkgcheck\]", text, re.MULTILINE) is not None


def load_config(path: Path, known_codes: Collection[str]) -> FileSettings:
    """Read and validate the pkgcheck section of ``path`` (pyproject.toml or setup.cfg)."""
    path = Path(os.path.abspath(path))
    if path.suffix == ".toml":
        raw = _read_pyproject(path)
        parse_value = _toml_value
    else:
        raw = _read_setup_cfg(path)
        parse_value = _ini_value
    settings = FileSettings(path=path)
    base = path.parent
    for key, value in raw.items():
        name = key.replace("_", "-")
        where = f"{_display(path)}: {name}"
        if name not in KEYS:
            raise ConfigError(
                f"{_display(path)}: unknown key {key!r} (known keys: {', '.join(sorted(KEYS))})"
            )
        parsed = parse_value(name, value, where)
        try:
            _store(settings, name, parsed, base, known_codes)
        except SelectionError as error:
            raise ConfigError(f"{where}: {error}") from None
        except ValueError as error:
            raise ConfigError(f"{where}: {error}") from None
    return settings


def _read_pyproject(path: Path) -> Dict[str, Any]:
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{_display(path)}: cannot read: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{_display(path)}: invalid TOML: {error}") from None
    section = document.get("tool", {}).get("pkgcheck", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{_display(path)}: [tool.pkgcheck] must be a table")
    return section


def _read_setup_cfg(path: Path) -> Dict[str, Any]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle, source=str(path))
    except OSError as error:
        raise ConfigError(f"{_display(path)}: cannot read: {error.strerror or error}") from None
    except (configparser.Error, UnicodeDecodeError) as error:
        raise ConfigError(f"{_display(path)}: invalid setup.cfg: {error}") from None
    if not parser.has_section("pkgcheck"):
        return {}
    return dict(parser.items("pkgcheck"))


def _toml_value(name: str, value: Any, where: str) -> Any:
    if name in _BOOLEANS:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if name in _LISTS:
        if isinstance(value, str):
            return split_patterns(value) if name.endswith("exclude") else split_list(value)
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return value
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    if name == "per-file-ignores":
        if isinstance(value, str):
            return _parse_mapping(value, where)
        if isinstance(value, dict):
            mapping = []
            for pattern, codes in value.items():
                if isinstance(codes, str):
                    codes = split_list(codes)
                if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                    raise ConfigError(
                        f"{where}: {pattern!r}: expected a list of codes, got {codes!r}"
                    )
                mapping.append(([pattern], codes))
            return mapping
        raise ConfigError(f"{where}: expected a table of pattern = [codes], got {value!r}")
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    return value


def _ini_value(name: str, value: str, where: str) -> Any:
    if name in _BOOLEANS:
        lowered = value.strip().lower()
        if lowered in ("1", "yes", "true", "on"):
            return True
        if lowered in ("0", "no", "false", "off"):
            return False
        raise ConfigError(f"{where}: expected true or false, got {value.strip()!r}")
    if name in ("exclude", "extend-exclude"):
        return split_patterns(value)
    if name in _LISTS:
        return split_list(value)
    if name == "per-file-ignores":
        return _parse_mapping(value, where)
    return value.strip()


def _parse_mapping(value: str, where: str) -> List[Tuple[List[str], List[str]]]:
    try:
        return parse_per_file_ignores(value)
    except ValueError as error:
        raise ConfigError(f"{where}: {error}") from None


def _store(
    settings: FileSettings, name: str, value: Any, base: Path, known: Collection[str]
) -> None:
    if name == "select":
        settings.select = normalise_selectors(value, known)
    elif name == "extend-select":
        settings.extend_select = normalise_selectors(value, known)
    elif name == "ignore":
        settings.ignore = normalise_selectors(value, known)
    elif name == "exclude":
        settings.exclude = anchor_patterns(value, base)
    elif name == "extend-exclude":
        settings.extend_exclude = anchor_patterns(value, base)
    elif name == "per-file-ignores":
        settings.per_file_ignores = resolve_per_file_ignores(value, base, known)
    elif name == "format":
        if value not in FORMATS:
            raise ValueError(f"expected one of {', '.join(FORMATS)}, got {value!r}")
        settings.format = value
    elif name == "output-file":
        settings.output_file = base / value
    elif name == "steamship-path":
        settings.steamship_path = base / value
    elif name == "steamship-version":
        settings.steamship_version = value
    else:
        settings.booleans[name] = value


def split_list(value: str) -> List[str]:
    """``"SHP1, SHP2"`` or one entry per line → ``["SHP1", "SHP2"]``."""
    return [part for part in re.split(r"[,\s]+", value) if part]


def split_patterns(value: str) -> List[str]:
    """Like :func:`split_list`, but only commas and line breaks separate: names may hold spaces."""
    return [part.strip() for part in re.split(r"[,\r\n]+", value) if part.strip()]


def anchor_patterns(patterns: Sequence[str], base: Path) -> Tuple[str, ...]:
    """Exclude patterns made absolute when they name a path (hold a ``/``), as flake8 does.

    A bare name (``build``, ``*.pyc``) matches a file or directory name anywhere.
    """
    anchored = []
    for pattern in patterns:
        pattern = pattern.strip()
        if not pattern:
            continue
        if "/" in pattern or os.sep in pattern or pattern == ".":
            pattern = os.path.abspath(os.path.join(base, pattern)).rstrip("/" + os.sep) or "/"
        anchored.append(pattern)
    return tuple(anchored)


def parse_per_file_ignores(text: str) -> List[Tuple[List[str], List[str]]]:
    """flake8's ``per-file-ignores`` syntax: ``pattern[,pattern]:CODE[,CODE] ...``.

    Entries are separated by whitespace or newlines; after the colon, a word that does not look
    like a code (upper-case letters and digits) or that is followed by a colon starts the next
    entry's patterns.
    """
    words = re.findall(r"[^\s,:]+|:", text)
    entries: List[Tuple[List[str], List[str]]] = []
    patterns: List[str] = []
    codes: List[str] = []
    after_colon = False
    for index, word in enumerate(words):
        followed_by_colon = index + 1 < len(words) and words[index + 1] == ":"
        if word == ":":
            if after_colon or not patterns:
                raise ValueError(_mapping_error(text))
            after_colon = True
        elif after_colon and _CODE_LIKE.match(word) and not followed_by_colon:
            codes.append(word)
        else:
            if after_colon:
                if not codes:
                    raise ValueError(_mapping_error(text))
                entries.append((patterns, codes))
                patterns, codes, after_colon = [], [], False
            patterns.append(word)
    if patterns and not after_colon:
        raise ValueError(_mapping_error(text))
    if patterns:
        if not codes:
            raise ValueError(_mapping_error(text))
        entries.append((patterns, codes))
    return entries


def _mapping_error(text: str) -> str:
    shown = " ".join(text.split())
    return f"expected 'pattern[,pattern]:CODE[,CODE] ...', got {shown!r}"


def resolve_per_file_ignores(
    entries: Sequence[Tuple[Sequence[str], Sequence[str]]], base: Path, known: Collection[str]
) -> List[Tuple[str, Tuple[str, ...]]]:
    """Validated ``(pattern, codes)`` pairs, with path patterns anchored at ``base``."""
    resolved = []
    for patterns, codes in entries:
        checked = tuple(normalise_selector(code, known) for code in codes)
        for pattern in anchor_patterns(patterns, base):
            resolved.append((pattern, checked))
    return resolved


def per_file_ignored(mapping: Sequence[Tuple[str, Tuple[str, ...]]], path: str, code: str) -> bool:
    """Whether ``mapping`` (from :func:`resolve_per_file_ignores`) ignores ``code`` in ``path``.

    Every matching entry counts (not only the most specific one, as in flake8). A pattern with
    a directory part is anchored and also covers every file under a directory it matches; a
    bare pattern matches the file name, or the whole absolute path.
    """
    for pattern, codes in mapping:
        if not any(ignore_matches(selector, code) for selector in codes):
            continue
        if fnmatch.fnmatch(os.path.basename(path), pattern) or fnmatch.fnmatch(path, pattern):
            return True
        if os.path.isabs(pattern) and any(
            fnmatch.fnmatch(str(parent), pattern) for parent in Path(path).parents
        ):
            return True
    return False


def _display(path: Path) -> str:
    """``path`` relative to the working directory when under it (how messages show paths)."""
    try:
        return Path(path).relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)
