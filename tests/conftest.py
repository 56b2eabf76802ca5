"""Shared pytest fixtures for pkgcheck's tests."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:  # also works under --import-mode=importlib
    sys.path.insert(0, str(TESTS_DIR))

from oracle.venv import OracleVenv, OracleVenvError, ensure_oracle_venv  # noqa: E402

_venv_failure: list = []


@pytest.fixture(scope="session")
def oracle_venv() -> OracleVenv:
    """The venv with the reference steamship runtime, built on first use and cached.

    Never skipped: if it cannot be built, every test that needs it fails with the reason.
    """
    if _venv_failure:
        pytest.fail(_venv_failure[0], pytrace=False)

    def log(msg: str) -> None:
        sys.stderr.write(f"[pkgcheck oracle] {msg}\n")

    try:
        return ensure_oracle_venv(log=log)
    except OracleVenvError as exc:
        _venv_failure.append(f"cannot build the steamship oracle venv: {exc}")
    pytest.fail(_venv_failure[0], pytrace=False)  # outside `except`: no chained traceback


@pytest.fixture(scope="session")
def steamship_source_dir(oracle_venv: OracleVenv) -> Path:
    """site-packages/steamship of the oracle venv (the installed steamship source)."""
    return oracle_venv.steamship_dir
