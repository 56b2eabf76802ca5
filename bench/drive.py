"""Small drivers that ``bench/run.py`` times: the engine API and the parse-only baselines.

Run with the interpreter that has pkgcheck installed::

    python bench/drive.py check PATH [--cache] [--serial] [--no-prefilter] [--json OUT]
    python bench/drive.py relevant PATH OUT      # the files the prefilter keeps, one a line
    python bench/drive.py parse LIST [--jobs N] [--ast]
    python bench/drive.py edit FILE              # append a unique comment line (one-edit runs)

``check`` calls :func:`linter.run.engine.check` with the default rules, like ``pkgcheck PATH``
does; ``--cache`` turns the on-disk cache on (``.pkgcheck_cache/`` at the project root),
``--serial`` keeps every parse in this process, so its output can be compared with a parallel
run. ``parse`` is the floor pkgcheck is measured against: import LibCST, read the listed files
and ``libcst.parse_module`` each (``--ast``: ``ast.parse`` instead), on ``--jobs`` processes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence


def default_codes() -> List[str]:
    from rules import load_all

    return sorted(code for code, rule in load_all().items() if not getattr(rule, "opt_in", False))


def run_check(args: argparse.Namespace) -> int:
    from linter.run import workers
    from linter.run.engine import check

    if args.serial:
        workers.PARALLEL_MIN = sys.maxsize  # the engine's own switch for "use the pool"
    report = check(
        [Path(args.path)], default_codes(), cache=args.cache, prefilter=not args.no_prefilter
    )
    found = [
        {"code": v.code, "path": v.path, "line": v.line, "column": v.column, "message": v.message}
        for v in report.violations
    ]
    found += [{"code": "SHP001", "path": f.path, "message": f.message} for f in report.failures]
    if args.json:
        Path(args.json).write_text(json.dumps(found, indent=1, sort_keys=True), encoding="utf-8")
    return 0


def run_relevant(args: argparse.Namespace) -> int:
    from linter.run.engine import DEFAULT_EXCLUDES, open_project
    from linter.project.scope import in_scope, project_files

    path = Path(os.path.abspath(args.path))
    project = open_project([path])
    chosen = in_scope(project, project_files(project, DEFAULT_EXCLUDES))
    Path(args.out).write_text("".join(f"{p}\n" for p in chosen), encoding="utf-8")
    return 0


def _parse_file(job: Sequence[str]) -> int:
    path, how = job
    data = Path(path).read_bytes()
    if how == "ast":
        import ast

        ast.parse(data)
    else:
        import libcst

        try:
            libcst.parse_module(data.decode("utf-8"))
        except Exception:  # a file that does not parse costs what it costs; go on
            pass
    return 1


def run_parse(args: argparse.Namespace) -> int:
    how = "ast" if args.ast else "libcst"
    if how == "libcst":
        import libcst  # noqa: F401 - the import is part of the baseline's cost
    files = [line for line in Path(args.list).read_text(encoding="utf-8").splitlines() if line]
    jobs = [(path, how) for path in files]
    if args.jobs > 1 and len(jobs) > 1:
        import concurrent.futures

        chunk = max(1, len(jobs) // (args.jobs * 4))
        with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
            done = sum(pool.map(_parse_file, jobs, chunksize=chunk))
    else:
        done = sum(_parse_file(job) for job in jobs)
    if args.verbose:
        print(f"parsed {done} files", file=sys.stderr)
    return 0


def run_edit(args: argparse.Namespace) -> int:
    with open(args.file, "a", encoding="utf-8") as handle:
        handle.write(f"# bench edit {time.time_ns()}\n")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="pkgcheck benchmark drivers")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check")
    check.add_argument("path")
    check.add_argument("--cache", action="store_true")
    check.add_argument("--serial", action="store_true")
    check.add_argument("--no-prefilter", action="store_true")
    check.add_argument("--json")
    check.set_defaults(func=run_check)
    relevant = sub.add_parser("relevant")
    relevant.add_argument("path")
    relevant.add_argument("out")
    relevant.set_defaults(func=run_relevant)
    parse = sub.add_parser("parse")
    parse.add_argument("list")
    parse.add_argument("--jobs", type=int, default=1)
    parse.add_argument("--ast", action="store_true")
    parse.add_argument("-v", "--verbose", action="store_true")
    parse.set_defaults(func=run_parse)
    edit = sub.add_parser("edit")
    edit.add_argument("file")
    edit.set_defaults(func=run_edit)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
