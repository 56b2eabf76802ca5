"""One engine behind every front end: paths in, specs and findings out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from linter.facts import ModuleFacts, ParseFailure
from linter.index import Project, SteamshipSource, find_project_root, iter_python_files, locate_steamship
from linter.spec import Spec, SpecBuilder, iter_package_specs

DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "env", ".env", "__pycache__",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".pkgcheck_cache", "build", "dist",
    "*.egg-info", "node_modules", "site-packages",
)  # fmt: skip


def open_project(
    paths: Sequence[Path],
    steamship_path: Optional[Path] = None,
    overrides: Optional[Dict[Path, str]] = None,
    cache: Optional[object] = None,
) -> Project:
    """A project for the given paths: its root is the nearest marked directory above them."""
    first = Path(os.path.abspath(paths[0])) if paths else Path.cwd()
    root = find_project_root(first)
    steamship: SteamshipSource = locate_steamship(steamship_path, root)
    project = Project(root, steamship, overrides, cache)
    # The directories named on the command line are import roots too (and their src/).
    for path in paths:
        path = Path(os.path.abspath(path))
        if path.is_dir():
            for extra in (path / "src", path):
                if (
                    extra.is_dir()
                    and not (extra / "__init__.py").is_file()
                    and extra not in project.base_roots
                ):
                    project.base_roots.insert(0, extra)
    return project


def load_files(
    project: Project, paths: Sequence[Path], excludes: Sequence[str] = DEFAULT_EXCLUDES
) -> Tuple[List[ModuleFacts], List[ParseFailure]]:
    modules: List[ModuleFacts] = []
    failures: List[ParseFailure] = []
    for file in iter_python_files(paths, excludes):
        loaded = project.load_path(file)
        if isinstance(loaded, ModuleFacts):
            modules.append(loaded)
        else:
            failures.append(loaded)
    return modules, failures


def package_specs(
    paths: Sequence[Path], level: str = "instance", steamship_path: Optional[Path] = None
) -> Tuple[Dict[str, Spec], List[ParseFailure], Project]:
    """The static spec of every package class defined under ``paths``."""
    project = open_project(paths, steamship_path)
    modules, failures = load_files(project, paths)
    builder = SpecBuilder(project)
    specs = dict(iter_package_specs(builder, modules, level))
    return specs, failures, project
