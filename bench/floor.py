"""The least a LibCST-based check of a tree costs: start Python, import LibCST, parse every file.

Usage::

    python bench/floor.py DIR [--processes N] [--engine]

Reads every ``*.py`` below DIR, then parses them with ``libcst.parse_module`` on N processes
(default: one per core, at most 8; forked after the import, as pkgcheck's pool is), the files
dealt out in turn. Nothing else is done: no rules, no specs, no output. With ``--engine``, the
process first loads what one of pkgcheck's analysing processes needs before it reads a file
(the engine, the rules, the steamship catalogue's index), so the figure is pkgcheck's own floor
for the tree: its time minus this one is what the analysis itself costs.

``bench/cost.py`` times this as a whole process beside ``pkgcheck --no-cache DIR``. Prints the
number of files parsed and how many LibCST refused.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import List, Optional, Sequence


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--processes", type=int, default=min(os.cpu_count() or 1, 8))
    parser.add_argument("--engine", action="store_true", help="load pkgcheck's engine, rules and catalogue first")
    options = parser.parse_args(argv)
    import libcst

    if options.engine:
        from linter.run import workers

        workers.load_for_workers(parses=True)
    texts: List[str] = []
    for path in sorted(options.root.rglob("*.py")):
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
    children = []
    share = 0
    for n in range(1, max(1, options.processes)):
        if not hasattr(os, "fork"):
            break
        pid = os.fork()
        if pid == 0:
            share = n
            children = []
            break
        children.append(pid)
    refused = 0
    mine = texts[share :: max(1, options.processes)] if (children or share) else texts
    for text in mine:
        try:
            libcst.parse_module(text)
        except Exception:  # a file LibCST cannot parse costs its attempt, as it does pkgcheck
            refused += 1
    if share:
        os._exit(0)
    for pid in children:
        os.waitpid(pid, 0)
    parsed = len(mine) - refused
    print(f"{len(texts)} files, {options.processes} processes, parsed by this one {parsed}, refused {refused}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
