"""The runtime oracle for steamship releases other than the newest: pkgcheck's spec of every
fixture package, built from the bundled catalogue of release X (``--steamship-version X``, no
steamship installed), equals what steamship X itself builds, class-level and instance-level.

Each release gets its own cached virtualenv (``tests/oracle/venv.py``). CI runs the releases of
:data:`RELEASES`; ``pytest -m slow`` runs every release pkgcheck models
(:data:`SLOW_RELEASES`). A package the release cannot import (AgentService before 2.17.0, say)
is not compared: the oracle compares what the runtime builds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest
import test_oracle as base
from oracle.compare import LEVELS, compare_level, format_problems
from oracle.venv import OracleVenvError, ensure_oracle_venv

#: the last release before 2.17.25 changed the transports' and mixins' constructors
RELEASES = ("2.17.24",)
#: the other modelled releases with a routing or AgentService change (STEAMSHIP-RELEASES.md)
SLOW_RELEASES = ("2.17.16", "2.17.18", "2.17.20", "2.17.23", "2.17.25", "2.17.29", "2.17.32")

_RUNS: Dict[str, base.OracleRun] = {}


def oracle_for(version: str, tmp_path_factory: pytest.TempPathFactory) -> base.OracleRun:
    if version not in _RUNS:
        try:
            venv = ensure_oracle_venv(version=version)
        except OracleVenvError as error:
            pytest.fail(f"cannot build the oracle venv of steamship {version}: {error}", pytrace=False)
        _RUNS[version] = base.OracleRun(
            venv,
            workdir=tmp_path_factory.mktemp(f"oracle-cwd-{version}"),
            debugdir=tmp_path_factory.mktemp(f"oracle-specs-{version}"),
            spec_args=("--steamship-version", version),
        )
    return _RUNS[version]


def compare(version: str, input_id: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    oracle = oracle_for(version, tmp_path_factory)
    runtime = base._require_oracle_input(oracle, input_id)
    for level in LEVELS:
        pkgcheck, error = oracle.pkgcheck(input_id, level, "catalogue")
        assert error is None, error
        assert pkgcheck is not None
        problems, split = compare_level(runtime, pkgcheck, level)
        assert not problems, (
            format_problems(f"steamship {version}, {input_id} ({level})", problems)
            + "\n"
            + oracle.debug_hint(input_id, level)
        )


@pytest.mark.parametrize("input_id", base.ORACLE_INPUTS)
@pytest.mark.parametrize("version", RELEASES)
def test_spec_matches_the_runtime_of_the_release(
    version: str, input_id: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    compare(version, input_id, tmp_path_factory)


@pytest.mark.slow
@pytest.mark.parametrize("input_id", base.ORACLE_INPUTS)
@pytest.mark.parametrize("version", SLOW_RELEASES)
def test_spec_matches_the_runtime_of_every_modelled_release(
    version: str, input_id: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    compare(version, input_id, tmp_path_factory)


def test_the_catalogue_is_the_release_installed() -> None:
    """What the oracle compares with is the release asked for: its venv's steamship files are
    the bundled catalogue's texts of that release, byte for byte."""
    from linter.sdk.catalogue import load_bundle, text_digest
    from linter.source.parse import decode_source

    for version in RELEASES:
        venv = ensure_oracle_venv(version=version)
        table = load_bundle().table(version)
        for path in sorted(Path(venv.steamship_dir).rglob("*.py")):
            parts = list(path.relative_to(venv.steamship_dir.parent).with_suffix("").parts)
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            assert table.get(name) == text_digest(decode_source(path.read_bytes())), (version, name)
