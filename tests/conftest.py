"""Shared pytest fixtures for pkgcheck's tests."""
from __future__ import annotations

import sys
from pathlib import Path

import os

import pytest
from hypothesis import settings

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:  # also works under --import-mode=importlib
    sys.path.insert(0, str(TESTS_DIR))

from oracle.report import SUMMARY  # noqa: E402
from oracle.venv import OracleVenv, OracleVenvError, ensure_oracle_venv  # noqa: E402

# Property tests draw the same examples on every run unless asked otherwise: a test run that
# passes on one clone of main passes on the next (CI must never fail on a roll of the dice).
# Exploring is a separate, deliberate job: HYPOTHESIS_PROFILE=explore draws new examples and
# keeps failures in .hypothesis/ — add what it finds to tests/test_fuzz.py's FOUND.
settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

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


# Known engine bugs that the robustness tests found and that are not fixed yet: each test is
# kept as it was written and marked xfail(strict=True), so it reports as soon as it passes.
KNOWN_BUGS = {
}


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    for item in items:
        reason = KNOWN_BUGS.get(item.nodeid)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=f"known bug: {reason}", strict=True))


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """The oracle's measured agreement, at the end of every run that measured it."""
    if SUMMARY:
        terminalreporter.section("runtime oracle")
        for line in SUMMARY:
            terminalreporter.write_line(line)
