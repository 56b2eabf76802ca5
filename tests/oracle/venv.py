"""A cached virtualenv holding the reference runtime (steamship) for the oracle tests.

The oracle tests compare pkgcheck's statically reconstructed specs with what steamship itself
builds at import/instantiation time. steamship is deliberately NOT a dependency of pkgcheck, so
the tests run steamship in a separate venv, created here with nothing but the running Python's
``venv`` module and pip (network access to PyPI needed on the first run only).

Location: ``$PKGCHECK_ORACLE_VENV`` if set, else
``~/.cache/pkgcheck/oracle-venv-steamship-<version>-py<major><minor>``.

A marker file is written only after a successful install and check; a venv without it (e.g. an
interrupted earlier build) is deleted and built again.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

STEAMSHIP_VERSION = "2.17.34"
ENV_VAR = "PKGCHECK_ORACLE_VENV"
MARKER_NAME = ".pkgcheck-oracle-ready.json"
PIP_TIMEOUT_S = 1200
#: releases whose pinned requirements do not install on Python 3.11, and what to install
#: instead: 2.2.0 pins aiohttp==3.8.1, which has no cp311 wheel and does not build; 2.2.1 pins
#: 3.8.3 with the same other requirements
NO_DEPS = {
    "2.1.31": (
        "aiohttp==3.8.3", "requests==2.27.1", "pydantic==1.9.0", "inflection==0.5.1", "fluent-logger==0.10.0",
    ),
    "2.2.0": (
        "aiohttp==3.8.3", "requests==2.28.1", "pydantic==1.10.2", "inflection==0.5.1",
        "fluent-logger==0.10.0", "toml==0.10.2",
    ),
}


class OracleVenvError(RuntimeError):
    """The oracle venv could not be built or is unusable."""


@dataclass(frozen=True)
class OracleVenv:
    root: Path
    python: Path
    site_packages: Path
    steamship_dir: Path
    steamship_version: str

    @property
    def agents_examples_dir(self) -> Path:
        return self.steamship_dir / "agents" / "examples"


def default_venv_dir(version: str = STEAMSHIP_VERSION) -> Path:
    override = os.environ.get(ENV_VAR)
    if override and version == STEAMSHIP_VERSION:  # the variable names the main oracle's venv
        return Path(override).expanduser().resolve()
    tag = f"py{sys.version_info[0]}{sys.version_info[1]}"
    return Path.home() / ".cache" / "pkgcheck" / f"oracle-venv-steamship-{version}-{tag}"


def venv_python(root: Path) -> Path:
    if os.name == "nt":
        return root / "Scripts" / "python.exe"
    return root / "bin" / "python"


def _run(cmd, what: str, timeout: float) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(
            [str(c) for c in cmd],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            universal_newlines=True,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OracleVenvError(f"{what} failed: {exc}") from exc
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-40:])
        raise OracleVenvError(
            f"{what} failed (exit {proc.returncode}).\n  command: {' '.join(map(str, cmd))}\n"
            f"  last output lines:\n{tail}"
        )
    return proc


@contextlib.contextmanager
def _lock(root: Path) -> Iterator[None]:
    """Serialise builds of one venv across processes (e.g. pytest-xdist workers)."""
    root.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    lock_path = root.parent / (root.name + ".lock")
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


_PROBE = (
    "import json, os, sys, steamship; "
    "d = os.path.dirname(os.path.abspath(steamship.__file__)); "
    "print(json.dumps({'steamship_dir': d, 'site_packages': os.path.dirname(d), "
    "'version': steamship.__version__, 'python': sys.version.split()[0]}))"
)


def _probe(python: Path) -> dict:
    proc = _run([python, "-c", _PROBE], "importing steamship in the oracle venv", timeout=300)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError) as exc:
        raise OracleVenvError(f"unexpected output probing the oracle venv: {proc.stdout!r}") from exc


def _from_marker(root: Path, version: str = STEAMSHIP_VERSION) -> Optional[OracleVenv]:
    marker = root / MARKER_NAME
    python = venv_python(root)
    if not marker.is_file() or not python.exists():
        return None
    try:
        data = json.loads(marker.read_text())
    except ValueError:
        return None
    if data.get("steamship_version") != version:
        return None
    steamship_dir = Path(data.get("steamship_dir", ""))
    # 2.1.x serves steamship.app.App packages, later releases PackageService ones
    if not any((steamship_dir / part).is_file() for part in ("invocable/package_service.py", "app/app.py")):
        return None
    return OracleVenv(
        root=root,
        python=python,
        site_packages=steamship_dir.parent,
        steamship_dir=steamship_dir,
        steamship_version=version,
    )


def _remove_stale(root: Path) -> None:
    if not root.exists():
        return
    looks_like_venv = (root / "pyvenv.cfg").exists() or (root / MARKER_NAME).exists()
    if root.is_dir() and (looks_like_venv or not any(root.iterdir())):
        shutil.rmtree(root)
        return
    raise OracleVenvError(
        f"{root} exists but is not a (half-built) oracle venv; refusing to delete it. "
        f"Remove it or point ${ENV_VAR} elsewhere."
    )


def ensure_oracle_venv(
    root: Optional[Path] = None,
    log: Callable[[str], None] = lambda msg: None,
    version: str = STEAMSHIP_VERSION,
) -> OracleVenv:
    """Return the oracle venv, building it first if needed. Raises OracleVenvError."""
    root = Path(root) if root is not None else default_venv_dir(version)
    found = _from_marker(root, version)
    if found is not None:
        return found
    with _lock(root):
        found = _from_marker(root, version)  # another process may have built it meanwhile
        if found is not None:
            return found
        started = time.time()
        log(f"building oracle venv with steamship=={version} at {root}")
        _remove_stale(root)
        hint = (
            "\nThe oracle tests need a venv with steamship=={v} (built with `{py} -m venv` and "
            "pip, needs network access to PyPI once). Fix the cause above, or set ${env} to a "
            "writable location."
        ).format(v=version, py=sys.executable, env=ENV_VAR)
        try:
            _run([sys.executable, "-m", "venv", root], "creating the oracle venv", timeout=600)
            python = venv_python(root)
            if not python.exists():
                raise OracleVenvError(f"venv created but {python} is missing")
            pip = [python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input"]
            if version in NO_DEPS:
                # its own pins do not install on this Python: steamship alone, then its
                # requirements with the pins replaced
                _run([*pip, "--no-deps", f"steamship=={version}"], f"pip install steamship=={version}", PIP_TIMEOUT_S)
                _run([*pip, *NO_DEPS[version]], f"pip install the requirements of steamship {version}", PIP_TIMEOUT_S)
            else:
                _run(
                    [*pip, f"steamship=={version}"],
                    f"pip install steamship=={version} into the oracle venv",
                    timeout=PIP_TIMEOUT_S,
                )
            info = _probe(python)
            if info.get("version") != version:
                raise OracleVenvError(
                    f"oracle venv has steamship {info.get('version')}, expected {version}"
                )
        except OracleVenvError as exc:
            raise OracleVenvError(str(exc) + hint) from exc
        marker = root / MARKER_NAME
        tmp = root / (MARKER_NAME + ".tmp")
        tmp.write_text(
            json.dumps(
                {
                    "steamship_version": version,
                    "steamship_dir": info["steamship_dir"],
                    "python": info["python"],
                    "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                },
                indent=1,
            )
        )
        os.replace(tmp, marker)
        log(f"oracle venv ready in {time.time() - started:.0f}s")
    found = _from_marker(root, version)
    if found is None:
        raise OracleVenvError(f"oracle venv at {root} was built but fails its own check")
    return found


def ensure_steamship_wheel(directory: Optional[Path] = None, version: str = STEAMSHIP_VERSION) -> Path:
    """The wheel of steamship ``version`` (one of those the bundled catalogue is built from),
    downloaded once (``pip download --no-deps``) into ``~/.cache/pkgcheck/wheels``. Raises
    OracleVenvError."""
    directory = directory or Path.home() / ".cache" / "pkgcheck" / "wheels"
    name = f"steamship-{version}-py3-none-any.whl"
    wheel = directory / name
    if wheel.is_file():
        return wheel
    directory.mkdir(parents=True, exist_ok=True)
    staging = directory / f".download-{os.getpid()}"
    try:
        _run(
            [
                sys.executable, "-m", "pip", "download", "--disable-pip-version-check",
                "--no-input", "--no-deps", "--only-binary", ":all:", "-d", staging,
                f"steamship=={version}",
            ],
            f"pip download steamship=={version}",
            timeout=PIP_TIMEOUT_S,
        )
        downloaded = staging / name
        if not downloaded.is_file():
            raise OracleVenvError(f"pip download left no {name} in {staging}")
        os.replace(downloaded, wheel)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return wheel
