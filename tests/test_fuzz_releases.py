"""Differential fuzzing across steamship releases: the same package under many releases.

Two properties:

- **never a crash**: a generated project (:func:`test_fuzz.packages`, every odd shape) checked
  under releases drawn from all those pkgcheck bundles (2.1.0 to 2.17.34) — ``check()`` with
  every rule and the specs at both levels — raises nothing and reports no internal error, and
  its specs are JSON;
- **the release's own runtime**: a generated package that steamship can import (packages
  inheriting from each other, routes overridden with and without a decorator, mixins listed in
  ``USED_MIXIN_CLASSES`` and added in ``__init__``, docstrings, typed parameters, one module or
  two) has, under each release drawn, the spec that release itself builds — class level and
  instance level, compared field by field as the oracle compares the fixtures
  (``tests/oracle/compare.py``), in the oracle venv of that release; and where the release
  fails on it (a route conflict, a permit flag its ``add_mixin`` does not take), pkgcheck
  reports that failure (SHP301, SHP304), and reports neither where the release does not fail.

Default run: a few dozen projects, each under two releases, and a handful of runtime
comparisons. Slow profile (``pytest -m slow -s tests/test_fuzz_releases.py``): 10,000 projects on
every core; of the 10,000 importable packages, one in 25 is compared with the runtime.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import test_oracle_releases as releases
from fuzz_shards import SUPPRESSED, assert_sharded
from linter.run import engine
from linter.sdk.catalogue import load_bundle
from oracle.compare import LEVELS, compare_details, compare_level, format_problems
from oracle.venv import ensure_oracle_venv
from rules import load_all
from test_fuzz import assert_no_internal_errors, packages

ALL_CODES = sorted(load_all())
BUNDLED = tuple(load_bundle().versions)
SCALE_EXAMPLES = int(os.environ.get("PKGCHECK_FUZZ_EXAMPLES", "10000"))
#: releases with a runtime oracle: the ones test_oracle_releases.py compares in CI, and the newest
#: (2.1.x builds no PackageSpec: its App route tables are compared by test_oracle_releases.py)
ORACLE_RELEASES = (*releases.RELEASES, "2.17.34")
RUNTIME_DUMP = Path(__file__).parent / "oracle" / "runtime_dump.py"


# -- never a crash, under any release ------------------------------------------------------------


def check_under_releases(drawn: Tuple[Dict[str, str], List[str], Tuple[str, ...]]) -> None:
    files, versions, levels = drawn
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "steamship.json").write_text("{}\n", encoding="utf-8")
        for relative, text in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for version in versions:
            report = engine.check([root], ALL_CODES, steamship_version=version)
            assert_no_internal_errors(report)
            assert report.project.steamship.version == version
            for level in levels:
                specs, failures, _ = engine.package_specs([root], level=level, steamship_version=version)
                assert not [f for f in failures if f.internal], (version, failures)
                json.dumps({name: spec.to_dict() for name, spec in specs.items()})


#: a project, two releases, and the spec levels built (one level per example keeps the slow
#: profile's cost down; the runtime comparison below builds both)
UNDER_RELEASES = st.tuples(
    packages(),
    st.lists(st.sampled_from(BUNDLED), min_size=2, max_size=2, unique=True),
    st.sampled_from([("class",), ("instance",), LEVELS]),
)


@settings(max_examples=30, deadline=None, suppress_health_check=SUPPRESSED)
@given(UNDER_RELEASES)
def test_projects_under_releases(drawn: Tuple[Dict[str, str], List[str], Tuple[str, ...]]) -> None:
    check_under_releases(drawn)


@pytest.mark.slow
def test_projects_under_releases_at_scale() -> None:
    assert_sharded("test_projects_under_releases_at_scale", UNDER_RELEASES, check_under_releases, SCALE_EXAMPLES)


# -- the release's own runtime ------------------------------------------------------------------

ROUTE_NAMES = ["a", "b", "run", "greet"]
PATHS = ["a", "b", "/a", "run", "c/d", "greet"]
PARAMS = ["", ", text: str", ", n: int = 1", ", flag: bool = False", ", text: str, n: int = 2", ", data: dict = None"]
RETURNS = ["", " -> str", " -> dict", " -> int"]


def has_mixins(version: str) -> bool:
    """Whether the release has ``steamship.invocable.package_mixin`` (2.17.7 on)."""
    return "steamship.invocable.package_mixin" in load_bundle().table(version) or (
        (ensure_oracle_venv(version=version).steamship_dir / "invocable" / "package_mixin.py").is_file()
    )


@st.composite
def route(draw, owner: str) -> List[str]:
    name = draw(st.sampled_from(ROUTE_NAMES))
    lines = []
    if draw(st.integers(0, 4)):  # mostly a route; sometimes an undecorated override
        verb = draw(st.sampled_from(["post", "get"]))
        lines.append(f"@{verb}({json.dumps(draw(st.sampled_from(PATHS)))})")
    lines.append(f"def {name}(self{draw(st.sampled_from(PARAMS))}){draw(st.sampled_from(RETURNS))}:")
    if draw(st.booleans()):
        lines.append(f'    """{owner}.{name} does a thing."""')
    lines.append("    return None")
    return lines


@st.composite
def importable_packages(draw, mixins_allowed: bool, agents_allowed: bool = False) -> Dict[str, str]:
    """A project steamship can import: ``api.py`` (and ``base.py`` for the first package)."""
    mixins = [f"M{i}" for i in range(draw(st.integers(0, 2)) if mixins_allowed else 0)]
    header = ["from steamship.invocable import PackageService, get, post"]
    if mixins:
        header.append("from steamship.invocable.package_mixin import PackageMixin")
    roots = ["PackageService"]
    if agents_allowed and draw(st.booleans()):
        header.append("from steamship.agents.service.agent_service import AgentService")
        roots.append("AgentService")
    classes: List[List[str]] = []
    for mixin in mixins:
        body = []
        for _ in range(draw(st.integers(1, 2))):
            body += draw(route(mixin))
        classes.append([f"class {mixin}(PackageMixin):", *["    " + line for line in body]])
    count = draw(st.integers(1, 3))
    split = count > 1 and draw(st.booleans())  # the first package in base.py, imported by api.py
    packages_: List[List[str]] = []
    for index in range(count):
        name = f"P{index}"
        bases = [*roots, *[f"P{i}" for i in range(index)]]
        base = draw(st.sampled_from(roots if index == 0 else bases))
        body: List[str] = []
        listed = draw(st.lists(st.sampled_from(mixins), unique=True)) if mixins else []
        if listed:
            body.append(f"USED_MIXIN_CLASSES = [{', '.join(listed)}]")
        added = draw(st.lists(st.sampled_from(mixins), unique=True)) if mixins else []
        if added:
            body += ["def __init__(self, **kwargs):", "    super().__init__(**kwargs)"]
            permit = ", permit_overwrite_of_existing_methods=True"
            body += [f"    self.add_mixin({mixin}(){permit if draw(st.integers(0, 3)) == 0 else ''})"
                     for mixin in added]
        for _ in range(draw(st.integers(0, 3))):
            body += draw(route(name))
        if draw(st.booleans()):
            body.insert(0, f'"""The {name} package."""')
        packages_.append([f"class {name}({base}):", *["    " + line for line in body or ["pass"]]])
    if split:
        base_module = header + [""] + [line for cls in classes for line in ["", *cls]] + ["", *packages_[0]]
        names = ", ".join(["P0", *mixins])
        api = header + [f"from base import {names}"] + [line for cls in packages_[1:] for line in ["", "", *cls]]
        return {"base.py": "\n".join(base_module) + "\n", "api.py": "\n".join(api) + "\n"}
    api = header + [line for cls in classes + packages_ for line in ["", "", *cls]]
    return {"api.py": "\n".join(api) + "\n"}


@st.composite
def release_and_package(draw, versions: Tuple[str, ...] = ORACLE_RELEASES) -> Tuple[str, Dict[str, str]]:
    version = draw(st.sampled_from(versions))
    agents = "steamship.agents.service.agent_service" in load_bundle().table(version)
    return version, draw(importable_packages(has_mixins(version), agents))


#: (text of a runtime error, the code pkgcheck reports it with)
RUNTIME_FAILURES = (
    ("RouteConflictError", "SHP301"),  # a route taken twice, by the package and a mixin or two mixins
    ("permit_overwrite_of_existing_methods", "SHP304"),  # add_mixin's permit flag before 2.17.7
)


def runtime_dump(version: str, root: Path) -> Dict[str, Any]:
    venv = ensure_oracle_venv(version=version)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    with tempfile.TemporaryDirectory() as scratch:  # steamship reads .steamship/ of the cwd
        proc = subprocess.run(
            [str(venv.python), str(RUNTIME_DUMP), str(root)],
            cwd=scratch, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert proc.returncode == 0, f"runtime_dump failed (a harness problem): {proc.stderr[-2000:]}"
    return json.loads(proc.stdout)


def check_against_runtime(drawn: Tuple[str, Dict[str, str]]) -> None:
    version, files = drawn
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "steamship.json").write_text("{}\n", encoding="utf-8")
        for relative, text in files.items():
            (root / relative).write_text(text, encoding="utf-8")
        runtime = runtime_dump(version, root)
        source = "\n".join(f"--- {name}\n{text}" for name, text in files.items())
        # the failures the generator allows the runtime, at import or at instantiation, each
        # with the finding pkgcheck must give exactly when the release raises it
        errors = [entry["error"] for entry in runtime.get("errors", [])]
        errors += [
            entry[level]["error"]
            for entry in runtime.get("packages", {}).values()
            for level in LEVELS
            if isinstance(entry.get(level), dict) and "error" in entry[level]
        ]
        expected = {code for error in errors for marker, code in RUNTIME_FAILURES if marker in error}
        unexpected = [error for error in errors if not any(marker in error for marker, _ in RUNTIME_FAILURES)]
        assert not unexpected, f"steamship {version} fails on the generated package: {unexpected}\n{source}"
        codes = sorted({code for _, code in RUNTIME_FAILURES})
        found = engine.check([root], codes, steamship_version=version).violations
        assert {v.code for v in found} == expected, (
            f"steamship {version} raises {errors or 'nothing'}; pkgcheck reports "
            f"{[f'{v.code} {v.message}' for v in found] or 'nothing'}\n{source}"
        )
        for level in LEVELS:
            specs, failures, _ = engine.package_specs([root], level=level, steamship_version=version)
            assert not failures, failures
            static = {name: spec.to_dict() for name, spec in specs.items()}
            problems, split = compare_level(runtime, static, level)
            for key, expected in split.comparable.items():
                lines = compare_details(expected, static.get(key, {}))
                if lines:
                    problems.setdefault(key, []).extend(lines)
            assert not problems, format_problems(f"steamship {version} ({level})", problems) + "\n" + source


@settings(max_examples=6, deadline=None, suppress_health_check=SUPPRESSED)
@given(release_and_package())
def test_generated_packages_match_the_runtime_of_each_release(drawn: Tuple[str, Dict[str, str]]) -> None:
    check_against_runtime(drawn)


#: one example in this many is compared with the runtime in the slow profile
SAMPLE = 25
SLOW_ORACLE_RELEASES = ORACLE_RELEASES + tuple(v for v in releases.SLOW_RELEASES if not v.startswith("2.1."))


@pytest.mark.slow
def test_generated_packages_match_the_runtime_at_scale() -> None:
    drawn = st.tuples(release_and_package(SLOW_ORACLE_RELEASES), st.integers(0, SAMPLE - 1))

    def sampled(value: Tuple[Tuple[str, Dict[str, str]], int]) -> None:
        package, lottery = value
        version, files = package
        check_under_releases((files, [version], LEVELS))  # every example: no crash under its release
        if lottery == 0:
            check_against_runtime(package)

    assert_sharded("test_generated_packages_match_the_runtime_at_scale", drawn, sampled, SCALE_EXAMPLES)
