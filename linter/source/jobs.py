"""What a worker process does with one file: its facts, or the positions of some of its nodes.

Plain functions of their job's data, so a process pool can run them; each answers what the
serial loader would (a :class:`~linter.source.facts.ParseFailure` for a file that does not
parse), never raises.
"""

from __future__ import annotations

from typing import List, Tuple

from linter.source.collect import collect_facts, collect_node_spans
from linter.source.facts import ParseFailure
from linter.source.parse import SyntaxProblem


def facts_of(job: Tuple[str, str, bool, str]) -> object:
    """The facts of one module: ``job`` is (path, module name, is a package, text)."""
    path, name, is_package, text = job
    try:
        return collect_facts(text, name, path, is_package)
    except SyntaxProblem as problem:
        return ParseFailure(path, problem.message, problem.span)
    except Exception as error:  # noqa: BLE001 - reported like the serial loader does
        return ParseFailure(
            path,
            f"internal error while analysing this file ({type(error).__name__}: {error}); "
            "please report it with the file attached",
            internal=True,
        )


def node_spans_of(job: Tuple[str, List[int]]) -> object:
    """Positions of some nodes of one module: ``job`` is (text, node numbers)."""
    source, nodes = job
    try:
        return collect_node_spans(source, nodes)
    except SyntaxProblem:
        return {node: None for node in nodes}
