"""The processes of one analysis: worker processes that parse files (and the modules they
import) on every core.

Everything a worker sends back is what the main process would compute itself; without
processes (one core, a daemonic flake8 worker, a sandbox) the main process does the work.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Sequence, Set

from linter.project.index import Project
from linter.run.collector import raise_thresholds
from linter.source.facts import Expr, ModuleFacts
from linter.source.jobs import facts_of

if TYPE_CHECKING:
    import concurrent.futures


#: Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_MIN = 24


class Workers:
    """The worker processes of one analysis, started by :func:`collect_in_parallel` when there
    are enough files to parse, and kept until the analysis ends: beside the files in scope they
    parse the modules those import (while the main process takes the results in) and compute the
    positions of the findings' modules.

    Everything sent back is what the main process would compute itself; when there are no
    processes (too few files, a daemonic flake8 worker, a sandbox) or one fails, the main
    process does the work as before.
    """

    def __init__(self) -> None:
        self.executor: Optional["concurrent.futures.ProcessPoolExecutor"] = None
        self.size = 0

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self.executor is not None

    def start(self) -> bool:
        import concurrent.futures

        if self.executor is not None:
            return True
        if not may_fork():
            return False
        size = min(os.cpu_count() or 1, 8)
        ready_to_fork(parses=True)
        try:
            self.executor = concurrent.futures.ProcessPoolExecutor(max_workers=size, initializer=start_worker)
        except (OSError, RuntimeError, ValueError):
            thaw()
            return False
        self.size = size
        return True

    def submit(self, function: object, job: object) -> Optional["concurrent.futures.Future"]:
        if self.executor is None:
            return None
        try:
            return self.executor.submit(function, job)  # type: ignore[arg-type]
        except (OSError, RuntimeError):  # broken or shut down: the caller works serially
            self.close()
            return None

    def close(self) -> None:
        executor, self.executor = self.executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
            thaw()


def may_fork() -> bool:
    """Whether this process may start child processes to share its work: not inside a pool
    worker (flake8 -j: daemonic processes cannot have children), not while projects are checked
    side by side or in the language server (:data:`IN_PROJECT_POOL`), and with a second core."""
    import multiprocessing

    if multiprocessing.current_process().daemon or IN_PROJECT_POOL:
        return False
    return (os.cpu_count() or 1) >= 2


def ready_to_fork(parses: bool) -> None:
    """Load once, here, what every process forked from this one next will need — LibCST when
    files will be parsed, the rules, the catalogue's index — and freeze the collector's view of
    everything alive until :func:`thaw`: the forked processes' collections then neither
    traverse what they inherited nor copy the pages it lies in. 30 small packages checked on
    a pool of two processes: 0.83x the wall time without."""
    load_for_workers(parses)
    gc.freeze()


def load_for_workers(parses: bool) -> None:
    """Import and load what :func:`ready_to_fork` gives the processes it forks (each once per
    process: a second call costs nothing)."""
    if parses:
        import libcst  # noqa: F401
    from rules import load_all

    load_all()
    try:
        from linter.sdk.catalogue import load_bundle

        load_bundle()
    except Exception:  # the analysis that needs the catalogue reports why it cannot be read
        pass


def thaw() -> None:
    """Undo :func:`ready_to_fork`'s freeze once the processes are started (a long-lived caller,
    the test suite, would otherwise keep every cycle that was garbage then)."""
    gc.unfreeze()


def outcome(future: "concurrent.futures.Future") -> object:
    """The result of a worker's job, or None when the job or the pool failed."""
    try:
        return future.result()
    except Exception:  # BrokenProcessPool, CancelledError, a pickling error: done serially
        return None


def collect_in_parallel(project: Project, paths: Sequence[Path], workers: Optional[Workers] = None) -> None:
    """Parse the files that have no facts yet on every core, when there are enough of them.

    Each worker parses whole files and returns their facts; the result is the same as a serial
    run, in the same order. While the results come in, the main process reads the bundled
    catalogue (when it is steamship's source) and hands the workers the project modules that the
    results import names from (see :func:`prefetch_imports`).
    """
    import concurrent.futures

    own = workers is None
    workers = workers if workers is not None else Workers()
    todo = []
    for path in paths:
        if project.loaded(path):
            continue
        try:
            text = project.source(path)
        except Exception:
            continue  # the serial loader reports it
        name, is_package = project.module_name(path)
        catalogued = project.catalogued(text, name, path, is_package)
        if catalogued is not None:
            project.adopt(path, catalogued)
            continue
        if project.cache is not None:
            cached = project.cache.get_facts(text, name, str(path), is_package)  # type: ignore[attr-defined]
            if cached is not None:
                project.adopt(path, cached)  # read once, kept
                continue
            project.not_cached.add(path)  # the serial loader need not look again
        todo.append((str(path), name, is_package, text))
    if len(todo) < PARALLEL_MIN or not workers.start():
        return
    assert workers.executor is not None
    chunk = max(1, len(todo) // (workers.size * 4))
    try:
        # The pool is our own channel: facts travel pickled (the disk cache stays JSON).
        results = workers.executor.map(facts_of, todo, chunksize=chunk)
        if project.steamship.kind == "catalogue":
            try:
                project.steamship_catalogue()  # read while the workers parse: rules will need it
            except Exception:  # noqa: BLE001 - raised again where the rules ask for it
                pass
        scheduled = {Path(path) for path, _, _, _ in todo}
        for (path, _, _, text), loaded in zip(todo, results):
            project.adopt(Path(path), loaded)
            if isinstance(loaded, ModuleFacts):
                if project.cache is not None:
                    project.cache.put_facts(text, loaded)  # type: ignore[attr-defined]
                prefetch_imports(project, loaded, workers, scheduled)
    except (OSError, RuntimeError, concurrent.futures.process.BrokenProcessPool):
        workers.close()  # no processes here (a sandbox, a frozen app): the serial path does the rest
    finally:
        if own:
            workers.close()


def prefetch_imports(
    project: Project,
    module: ModuleFacts,
    workers: Workers,
    scheduled: Set[Path] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Have the workers parse the modules that ``module``'s class bases, decorators and method
    annotations are imported from (:func:`imported_for_rules`), when they are not loaded yet.

    Resolving those names is the first thing the rules do (is this class a package? is this
    decorator a route?), and it loads each such module with the name and from the file that
    :meth:`Project.module` finds. The same (file, name) is parsed here ahead of time, and
    :meth:`Project.load_path` takes the result when it gets there; a module never asked for is
    parsed for nothing, which is why only these names are followed.
    """
    if not workers.running:
        return
    near = Path(module.path)
    for wanted in imported_for_rules(project, module):
        project.prefetch(wanted, near, workers, scheduled)


def imported_for_rules(project: Project, module: ModuleFacts) -> List[str]:
    """The modules that the names of ``module``'s class bases, decorators and method
    annotations are imported from, as :meth:`Project.module` is asked for them."""
    used: Set[str] = set()

    def names(expr: Optional[Expr]) -> None:
        while expr is not None:
            if expr.dotted:
                used.add(expr.dotted.partition(".")[0])
            for item in expr.items:
                names(item)
            expr = expr.func if expr.kind in ("call", "subscript") else None

    for cls in module.classes:
        for base in cls.bases:
            names(base)
        for method in cls.methods:
            for decorator in method.decorators:
                names(decorator)
            for param in method.params:
                names(param.annotation)
            names(method.returns)
    for function in module.functions:
        for decorator in function.decorators:
            names(decorator)
    wanted: List[str] = []
    if not used:
        return wanted
    for imported in module.imports:
        if imported.local not in used or imported.name == "*":
            continue
        if imported.name is None:
            name: Optional[str] = imported.module
        else:
            name = project._absolute(module, imported.module, imported.level)
        if name and name not in wanted:
            wanted.append(name)
    return wanted


#: Set in the processes of :func:`linter.run.engine.check_groups`, which check small projects
#: side by side, and in its main process while they run (it checks the warm ones meanwhile):
#: each checks its projects serially, the cores being taken already.
IN_PROJECT_POOL = False


def start_worker() -> None:
    # Forked workers inherit the thresholds of few_collections; spawned ones start afresh.
    raise_thresholds()
