"""One repository, many packages: running pkgcheck on a folder that holds N packages reports
exactly the union of running it on each package alone — the same findings, with the same
messages, and the same specs — although their module names (``api``, ``bot.base``,
``common.helpers``) clash. The boundary of each package is what a user reads as one: its
``steamship.json``, else its ``pyproject.toml``/``setup.cfg``/``requirements.txt``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Dict, Set, Tuple

import pytest

from linter.run import engine
from rules import load_all

FIXTURES = Path(__file__).parent / "fixtures"
#: fixture packages whose module names clash (api, bot.*), with findings of every family
PACKAGES = (
    "shp401_mixins_across_modules",
    "shp301_class_level_conflicts",
    "shp301_instance_level_conflicts",
    "shp401_base_class_receivers",
    "inheritance_across_modules",
    "relative_imports",
    "src_layout",
    "shp303_listed_never_added",
)
#: package -> the root marker it gets instead of its steamship.json
MARKERS = {"relative_imports": "requirements.txt", "inheritance_across_modules": "pyproject.toml"}

Finding = Tuple[str, str, int, int, str, str]


def build(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    for name in PACKAGES:
        target = repo / "packages" / name
        shutil.copytree(FIXTURES / name, target)
        if name in MARKERS:
            (target / "steamship.json").unlink()
            (target / MARKERS[name]).write_text("steamship\n" if MARKERS[name] == "requirements.txt" else "")
    (repo / "pyproject.toml").write_text('[project]\nname = "monorepo"\n')
    return repo


def findings(paths, packages_dir: Path) -> Set[Finding]:
    report = engine.check(paths, sorted(load_all()))
    assert not report.internal_errors, report.internal_errors
    result = set()
    for v in report.violations:
        relative = Path(v.path).resolve().relative_to(packages_dir.resolve())
        package, _, file = relative.as_posix().partition("/")
        result.add((package, file, v.line, v.column, v.code, v.message))
    return result


def test_a_folder_of_packages_reports_the_union_of_each_alone(tmp_path: Path) -> None:
    repo = build(tmp_path)
    packages_dir = repo / "packages"
    together = findings([repo], packages_dir)
    alone: Set[Finding] = set()
    for name in PACKAGES:
        alone |= findings([packages_dir / name], packages_dir)
    assert {f[0] for f in alone} >= {"shp301_class_level_conflicts", "shp401_base_class_receivers"}
    assert together == alone, {"only together": together - alone, "only alone": alone - together}


def specs(paths, level: str) -> Dict[str, dict]:
    from linter.run.engine import project_specs

    result = {}
    for group in project_specs(paths, level):
        for key, spec in group.specs.items():
            result[f"{group.project.root.name}:{key}"] = spec.to_dict()
    return result


@pytest.mark.parametrize("level", ["instance", "class"])
def test_a_folder_of_packages_gives_each_package_its_own_spec(tmp_path: Path, level: str) -> None:
    repo = build(tmp_path)
    together = specs([repo], level)
    alone: Dict[str, dict] = {}
    for name in PACKAGES:
        alone.update(specs([repo / "packages" / name], level))
    assert len(alone) > len(PACKAGES)
    assert together == alone
