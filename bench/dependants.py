"""How much of a project an edit can touch, module by module (target 3 of the performance issue).

    python bench/dependants.py TREE FILE [FILE ...]

For each edited FILE of the project at TREE (a relative FILE is taken from TREE), from the
imports of its in-scope modules as the engine resolves them (a module imports the modules its
import statements name, their parent packages, and for ``import a`` every module under ``a``,
an over-approximation):

- ``importers``: the modules that import FILE, directly or not (FILE included): the packages
  whose own analysis reads it;
- ``may change``: the modules those import: where a finding that depends on FILE can be;
- ``to check``: the modules that import any of those: what the rules must look at when the
  project-wide indexes (mixins used, packages adding a mixin) are rebuilt by checking packages.

It parses nothing that a run would not: the facts come from the engine's loader (the cache when
the project has one).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Set

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from linter.run.engine import DEFAULT_EXCLUDES, open_project  # noqa: E402
from linter.source.facts import ModuleFacts  # noqa: E402
from linter.project.index import Project  # noqa: E402
from linter.project.scope import in_scope, project_files  # noqa: E402


def import_graph(project: Project) -> Dict[str, Set[str]]:
    """In-scope project module -> the project modules it imports (steamship's left out)."""
    modules: Dict[str, ModuleFacts] = {}
    for path in in_scope(project, project_files(project, DEFAULT_EXCLUDES)):
        loaded = project.load_path(path)
        if isinstance(loaded, ModuleFacts) and not project.is_steamship(loaded.name):
            modules[loaded.name] = loaded
    names = set(modules)
    graph: Dict[str, Set[str]] = {name: set() for name in names}
    for module in modules.values():
        for imported in module.imports:
            if imported.name is None:
                base = imported.module
            else:
                base = project._absolute(module, imported.module, imported.level)
            if not base:
                continue
            wanted = [base]
            if imported.name not in (None, "*"):
                wanted.append(f"{base}.{imported.name}")
            for name in wanted:
                parts = name.split(".")
                graph[module.name].update(
                    ".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in names
                )
            if imported.name is None:
                graph[module.name].update(n for n in names if n.startswith(base + "."))
    return graph


def closure(start: Iterable[str], edges: Dict[str, Set[str]]) -> Set[str]:
    seen = set(start)
    stack = list(seen)
    while stack:
        for other in edges.get(stack.pop(), ()):
            if other not in seen:
                seen.add(other)
                stack.append(other)
    return seen


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args(argv)
    project = open_project([args.tree])
    graph = import_graph(project)
    reverse: Dict[str, Set[str]] = {name: set() for name in graph}
    for name, imported in graph.items():
        for other in imported:
            reverse[other].add(name)
    print(f"{len(graph)} project modules in scope")
    for file in args.files:
        name = project.module_name(Path(os.path.abspath(file if file.is_absolute() else args.tree / file)))[0]
        if name not in graph:
            print(f"{file}: not an in-scope project module ({name})")
            continue
        importers = closure({name}, reverse)
        may_change = closure(importers, graph)
        to_check = closure(may_change, reverse)
        print(
            f"{file} ({name}): importers {len(importers)}, may change {len(may_change)}, "
            f"to check {len(to_check)} of {len(graph)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
