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
from typing import Dict, Tuple

import pytest
import test_oracle as base
from oracle.compare import LEVELS, compare_details, compare_level, format_problems, soft_comparisons
from oracle.venv import OracleVenvError, ensure_oracle_venv

#: releases spanning the behaviour changes (STEAMSHIP-RELEASES.md): no config before 2.2.1;
#: invoke_later and enum values (2.3.x); one route table per class (2.14.2); a grandparent's
#: routes served but not listed (2.16.9); the spec imported from the parent (2.17.0); mixins
#: without USED_MIXIN_CLASSES (2.17.7); used_mixins and direct-base routes (2.17.13); every
#: ancestor's routes (2.17.18); the last release before 2.17.25 changed the transports' and
#: mixins' constructors (2.17.24). 2.17.34 is test_oracle.py's.
RELEASES = ("2.2.1", "2.3.13", "2.14.2", "2.16.9", "2.17.0", "2.17.7", "2.17.13", "2.17.18", "2.17.24")
#: every other release with a routing or AgentService change, and the release candidates whose
#: code is that of another release
SLOW_RELEASES = (
    "2.1.11", "2.1.31", "2.2.0", "2.3.4", "2.3.5", "2.3.6", "2.15.0", "2.16.0", "2.16.1", "2.17.1",
    "2.17.4rc3", "2.17.6", "2.17.8", "2.17.10", "2.17.11", "2.17.13rc3", "2.17.14", "2.17.15", "2.17.16",
    "2.17.20", "2.17.23", "2.17.25", "2.17.29", "2.17.32",
)  # fmt: skip

_RUNS: Dict[str, base.OracleRun] = {}


def build_venvs(versions: Tuple[str, ...], workers: int = 3) -> None:
    """Build the venvs of ``versions`` side by side (pip waits on the network more than on a
    core); a failure is reported by the test that needs the venv."""
    from concurrent.futures import ThreadPoolExecutor

    def one(version: str) -> None:
        try:
            ensure_oracle_venv(version=version)
        except OracleVenvError:
            pass

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, versions))


def oracle_for(version: str, tmp_path_factory: pytest.TempPathFactory, prefetch: bool = True) -> base.OracleRun:
    if version not in _RUNS:
        if not _RUNS and version in RELEASES:
            build_venvs(RELEASES)
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
        if prefetch:
            _RUNS[version].prefetch(list(base.ORACLE_INPUTS))
    return _RUNS[version]


def compare(
    version: str, input_id: str, tmp_path_factory: pytest.TempPathFactory, prefetch: bool = True
) -> None:
    oracle = oracle_for(version, tmp_path_factory, prefetch)
    runtime = base._require_oracle_input(oracle, input_id)
    for level in LEVELS:
        pkgcheck, error = oracle.pkgcheck(input_id, level, "catalogue")
        assert error is None, error
        assert pkgcheck is not None
        known_runtime, pkgcheck = base.knowable(input_id, runtime, pkgcheck)
        problems, split = compare_level(known_runtime, pkgcheck, level)
        for key, expected in split.comparable.items():
            if key not in pkgcheck:
                continue
            # kind and returns strings, docs and enum values: exact for every release
            lines = compare_details(expected, pkgcheck[key]) + [
                f"{' '.join(c.route)} {c.field}: runtime {c.runtime!r} != pkgcheck {c.pkgcheck!r}"
                for c in soft_comparisons(input_id, key, expected, pkgcheck[key])
                if not c.agrees
            ]
            if lines:
                problems.setdefault(key, []).extend(lines)
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


@pytest.mark.parametrize("version", ["2.1.31", "2.1.11"])
def test_an_app_of_steamship_2_1(version: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """2.1.x has no PackageSpec: pkgcheck's routes of an ``App`` equal its route table, as the
    release fills it (the direct bases' routes from 2.1.22 on, before only the class's own)."""
    compare(version, "app_2_1_routes", tmp_path_factory, prefetch=False)


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


JOURNAL = """\
from steamship.invocable import PackageService, post
from steamship.invocable.package_mixin import PackageMixin


class Notes(PackageMixin):
    @post("/note")
    def note(self, text: str) -> str:
        return text


class Plain(PackageMixin):
    @post("plain")
    def plain(self) -> str:
        return "plain"


class Journal(PackageService):
    USED_MIXIN_CLASSES = [Notes, Plain]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_mixin(Notes())
        self.add_mixin(Plain())

    @post("entry")
    def entry(self) -> str:
        return "ok"
"""


@pytest.mark.parametrize("version, fails", [("2.17.15", True), ("2.17.16", False)])
def test_a_listed_mixin_added_again_as_the_release_does(
    version: str, fails: bool, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """scan_mixin of 2.17.8-2.17.15 looks ``/note`` up as ``//note``: adding a listed mixin
    whose path starts with ``/`` raises RouteConflictError when the package is instantiated;
    from 2.17.16 it replaces the listed placeholder. pkgcheck says so under the one release and
    not under the other, and the runtime of each agrees."""
    import json
    import subprocess
    import sys

    (tmp_path / "steamship.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "api.py").write_text(JOURNAL, encoding="utf-8")
    oracle = oracle_for(version, tmp_path_factory, prefetch=False)
    dump = subprocess.run(
        [str(oracle.venv.python), str(base.RUNTIME_DUMP), str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=str(tmp_path),
    )  # fmt: skip
    instance = json.loads(dump.stdout)["packages"]["api.Journal"]["instance"]
    assert ("RouteConflictError" in str(instance.get("error"))) is fails
    check = ["check", "--no-cache", "--format", "json", "--steamship-version", version, "."]
    found = subprocess.run(
        [sys.executable, "-m", "linter", *check],
        capture_output=True, text=True, timeout=300, cwd=str(tmp_path),
    )  # fmt: skip
    codes = [(item["line"], item["code"]) for item in json.loads(found.stdout)]
    assert codes == ([(22, "SHP301")] if fails else [])
