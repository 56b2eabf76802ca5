"""The house: linter/ is a stack of layers, each importing only downward, with no import circle.

Imports are read with the standard library's ``ast`` (nothing of pkgcheck is imported), every
``import`` statement counted wherever it stands: at the top of a module, inside a function
(the lazy imports that keep start-up cheap) or under ``if TYPE_CHECKING``. A lazy import that
runs back up is still a circle in the design, only one that Python tolerates.
"""

from __future__ import annotations

import ast
import graphlib
import re
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: The layers, bottom first. A module may import from its own layer and the layers before it
#: in this list. The same order is written in linter/__init__.py's docstring (checked below).
LAYERS = ("source", "sdk", "project", "semantic", "rules", "run", "tools", "frontends")

#: A module longer than this is split where a seam is natural.
MAX_LINES = 700


def module_files() -> Dict[str, Path]:
    """Every module of linter/ and rules/, by its dotted name (a package by its own name)."""
    found: Dict[str, Path] = {}
    for top in ("linter", "rules"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = module_files()


def imported_modules(name: str, path: Path) -> Iterator[str]:
    """The modules of linter/ and rules/ that ``name`` imports, anywhere in its text."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            # ``from a import b`` imports module a.b when there is one, else a name of a
            targets = [f"{origin}.{alias.name}" for alias in node.names] + [origin]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def import_graph() -> Dict[str, Set[str]]:
    return {name: set(imported_modules(name, path)) for name, path in MODULES.items()}


GRAPH = import_graph()


def layer_of(module: str) -> str:
    """The layer a module belongs to; ``linter`` (the root package) for the root itself."""
    parts = module.split(".")
    if parts[0] == "rules":
        return "rules"
    if module == "linter.__main__":
        return "frontends"  # ``python -m linter`` runs the CLI
    if len(parts) == 1:
        return "linter"
    return parts[1]


def circle(graph: Dict[str, Set[str]]) -> List[str]:
    """An import circle of ``graph`` (its modules in order, the first repeated last), or []
    when the graph has a topological order."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return list(error.args[1])
    return []


def test_the_graph_sees_imports_of_every_kind() -> None:
    """The reader is not vacuous: a top-level import, a lazy import inside a function, a
    TYPE_CHECKING import and a relative-free ``from package import module`` all count."""
    assert "linter.run.checker" in GRAPH["linter.run.engine"]  # top level
    assert "linter.run.cache" in GRAPH["linter.run.engine"]  # inside open_project
    assert "linter.semantic.context" in GRAPH["rules"]  # under TYPE_CHECKING
    assert "linter.run.incremental" in GRAPH["linter.run.checker"]  # from linter.run import incremental
    assert set(layer_of(m) for m in MODULES) == {*LAYERS, "linter"}


def test_every_layer_is_a_subpackage_with_its_docstring() -> None:
    for layer in LAYERS:
        init = ROOT / ("rules" if layer == "rules" else f"linter/{layer}") / "__init__.py"
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring, f"{init.relative_to(ROOT)} says what its layer owns and may import"


def test_the_root_docstring_lists_the_layers_in_this_order() -> None:
    docstring = ast.get_docstring(ast.parse((ROOT / "linter" / "__init__.py").read_text(encoding="utf-8")))
    assert docstring
    listed = re.findall(r"^    (\w+)  +\S", docstring, re.M)
    assert tuple(reversed(listed)) == LAYERS, "linter/__init__.py lists the layers top first"


def test_no_import_circle_between_modules() -> None:
    assert circle(GRAPH) == []


def test_no_import_circle_between_layers() -> None:
    layers: Dict[str, Set[str]] = {}
    for module, targets in GRAPH.items():
        layers.setdefault(layer_of(module), set()).update(
            layer_of(target) for target in targets if layer_of(target) != layer_of(module)
        )
    assert circle(layers) == []


def upward_imports() -> List[Tuple[str, str]]:
    found = []
    for module, targets in sorted(GRAPH.items()):
        for target in sorted(targets):
            here, there = layer_of(module), layer_of(target)
            if there == "linter":
                continue  # the root package: __version__ only
            if here == "linter" or LAYERS.index(there) > LAYERS.index(here):
                found.append((module, target))
    return found


def test_every_import_runs_down_the_layers() -> None:
    assert upward_imports() == []


def test_the_root_package_imports_nothing() -> None:
    assert GRAPH["linter"] == set()


@pytest.mark.parametrize("above", ["linter.run", "linter.tools", "linter.frontends"])
def test_rules_see_the_semantic_layer_and_below_only(above: str) -> None:
    """What a rule may see is the semantic layer and what it stands on: never the run that calls it,
    the tools or the front ends."""
    reached = sorted(
        (module, target)
        for module, targets in GRAPH.items()
        if layer_of(module) == "rules"
        for target in targets
        if target == above or target.startswith(above + ".")
    )
    assert reached == []


def counted_lines(path: Path) -> int:
    """A module's lines; in a rule module the rules' docstrings are left out, since each is
    that rule's documentation page (``pkgcheck rule``, docs/rules.md are made from them)."""
    text = path.read_text(encoding="utf-8")
    lines = len(text.splitlines())
    if path.parent.name != "rules":
        return lines
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef) and ast.get_docstring(node) is not None:
            first = node.body[0]
            lines -= first.end_lineno - first.lineno + 1  # type: ignore[operator]
    return lines


def test_no_module_is_too_long() -> None:
    long = {name: counted_lines(path) for name, path in MODULES.items() if counted_lines(path) > MAX_LINES}
    assert long == {}
