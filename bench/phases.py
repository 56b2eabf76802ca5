"""Where one pkgcheck run spends its CPU time, phase by phase (no profiler overhead).

    python bench/phases.py TREE [--cprofile OUT.prof]

Runs the engine's steps one after another in this process, serially, and prints the CPU time
(``time.process_time``) of each: imports, the walk, the prefilter, the bare LibCST parse of the
kept files, the collector (parse + walk), the project modules the kept files' class bases and
annotations import (which the engine parses on its workers), the JSON-ready encoding of the facts
and its decoding, the rules, and ``locate`` (positions of what is reported, also on the workers).
The steps mirror :func:`linter.run.checker.analyse`; it uses the engine's internals, so it may need
a touch when they change. ``--cprofile`` also writes a CPU-time cProfile of a normal serial
``check`` run (the profiler inflates calls into Python code, LibCST's node constructors most).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent


def phases(tree: Path) -> List[Tuple[str, float]]:
    clock = time.process_time
    marks: List[Tuple[str, float]] = []

    def timed(label: str, start: float) -> None:
        marks.append((label, clock() - start))

    start = clock()
    sys.path.insert(0, str(HERE))
    import drive
    from rules import load_all

    registry = load_all()
    from linter.run import checker, collector, workers
    from linter.source import collect, parse
    from linter.run import engine
    from linter.project.files import iter_python_files
    from linter.project import scope
    from linter.source import serial
    from linter.semantic.context import Context
    from linter.source.facts import ModuleFacts, ParseFailure

    timed("import pkgcheck and the rules", start)
    fewer = contextlib.ExitStack()
    fewer.enter_context(collector.few_collections())  # as the engine runs
    start = clock()
    import libcst  # noqa: F401

    timed("import libcst", start)
    codes = set(drive.default_codes())
    root = Path(os.path.abspath(tree))
    start = clock()
    walked = list(iter_python_files([root], engine.DEFAULT_EXCLUDES))
    timed(f"walk the tree ({len(walked)} files; the engine walks it once)", start)
    project = engine.open_project([root])
    files = scope.project_files(project, engine.DEFAULT_EXCLUDES)
    start = clock()
    chosen = scope.in_scope(project, files)
    timed(f"prefilter: read, substring, import graph ({len(chosen)} kept)", start)
    texts = [(path, project.source(path)) for path in chosen]
    start = clock()
    for _, text in texts:
        try:
            parse.parse_module(text)
        except parse.SyntaxProblem:
            pass
    parse = clock() - start
    marks.append(("libcst.parse_module of the kept files (the floor)", parse))
    start = clock()
    for path, text in texts:
        name, is_package = project.module_name(path)
        try:
            loaded = collect.collect_facts(text, name, str(path), is_package)
        except parse.SyntaxProblem as problem:
            loaded = ParseFailure(str(path), problem.message, problem.span)
        project.adopt(path, loaded)
    collected = clock() - start
    marks.append(("collect_facts of the kept files (parse + collector walk)", collected))
    facts = [project.load_path(path) for path in chosen]
    start = clock()
    imported = 0
    for item in facts:
        if isinstance(item, ModuleFacts):
            for name in workers.imported_for_rules(project, item):
                before = len(project.loaded_paths)
                project.module(name, Path(item.path))
                imported += len(project.loaded_paths) - before
    timed(f"parse the {imported} modules their bases and annotations import (on the workers)", start)
    start = clock()
    encoded = [serial.encode(item) for item in facts]
    timed("serial.encode of the facts (in the pool workers)", start)
    start = clock()
    for item in encoded:
        serial.decode(item)
    timed("serial.decode of the facts (main process, serial)", start)
    start = clock()
    modules = [item for item in facts if isinstance(item, ModuleFacts)]
    # as the engine runs them: every package's summary for the indexes, then the rules over
    # one module at a time
    context = Context(project, [], sdk_exact=True, names=[m.name for m in modules])
    context.use_summaries([summary for module in modules for summary in context.summarise(module)])
    timed("package summaries for the project-wide indexes (specs of every package)", start)
    start = clock()
    findings = []
    per_rule: dict = {}
    rules = [(code, rule_class()) for code, rule_class in registry.items() if code in codes]
    for module in modules:
        unit = context.unit(module)
        for code, rule in rules:
            if code == checker.PARSE_ERROR:
                continue
            begun = clock()
            findings.extend(rule.check(unit))
            per_rule[code] = per_rule.get(code, 0.0) + clock() - begun
    timed(f"rules, one module at a time ({len(findings)} findings)", start)
    start = clock()
    checker.locate(project, findings, registry)
    timed("locate: re-parse reported modules, positions of the reported nodes (on the workers)", start)
    slowest = sorted(per_rule.items(), key=lambda item: -item[1])[:4]
    shown = ", ".join(f"{code} {seconds:.3f} s" for code, seconds in slowest)
    marks.append((f"  of which the slowest rules: {shown}", 0.0))
    walk = (collected - parse) / parse if parse else 0.0
    marks.append((f"  collector walk alone: {walk:.2f}x parse", 0.0))
    fewer.close()
    return marks


def cprofile(tree: Path, out: Path) -> None:
    import cProfile

    sys.path.insert(0, str(HERE))
    import drive
    from linter.run import workers
    from linter.run.engine import check

    workers.PARALLEL_MIN = sys.maxsize
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    check([Path(os.path.abspath(tree))], drive.default_codes())
    profiler.disable()
    profiler.dump_stats(str(out))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--cprofile", type=Path, metavar="OUT")
    args = parser.parse_args(argv)
    os.chdir(args.tree)
    if args.cprofile:
        cprofile(args.tree, args.cprofile)
        return 0
    for label, seconds in phases(args.tree):
        print(f"{seconds:8.3f} s  {label}" if seconds else f"{'':10}  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
