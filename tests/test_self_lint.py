"""pkgcheck's own code passes flake8 with the project's own settings (setup.cfg), pkgcheck's
plugin included: the linter is held to what it asks of others."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_flake8_is_clean_on_pkgcheck_itself() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--jobs", "1"],
        cwd=str(REPO_ROOT),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr
