"""Run one property over many examples on every core: the slow fuzz profiles' runner.

Hypothesis runs a test in one process, one example after another. A 10,000-example run of
pkgcheck's properties spends its time in two places that do not share anything: drawing the
example (``hypothesmith.from_grammar`` spends ~75 ms an example in Hypothesis's own engine) and
analysing it (~50-100 ms). Both are CPU-bound Python, so the only way to use a second core is a
second process. :func:`run_in_shards` forks one process per core; each runs the same property
under its own fixed seed (so a run is repeatable, and the shards draw different examples) for its
share of the examples, and sends back how many it ran and, on failure, Hypothesis's report with
the falsifying example, which the caller turns into a test failure.

Forking (not spawning) is deliberate: each shard inherits the loaded catalogue, libcst and the
compiled strategies, and closures need not be picklable. Where fork does not exist the shards run
one after another in this process, with the same seeds and the same results.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional, Tuple

from hypothesis import HealthCheck, given, seed, settings
from hypothesis.strategies import SearchStrategy

SUPPRESSED = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

#: (strategy, property, examples per shard, shard count), set before the pool forks
_JOB: Optional[Tuple[SearchStrategy, Callable[[Any], None], int, int]] = None


@dataclass
class ShardedRun:
    """What the shards did: examples run, wall-clock minutes, failures (Hypothesis's reports)."""

    examples: int = 0
    minutes: float = 0.0
    shards: int = 1
    #: the CPU minutes of the busiest shard: the wall-clock time on idle cores (on a shared
    #: machine ``minutes`` is longer by the time the shards waited for a core)
    cpu_minutes: float = 0.0
    failures: List[str] = field(default_factory=list)

    def summary(self, name: str) -> str:
        return (
            f"{name}: {self.examples} examples in {self.minutes:.1f} min on {self.shards} processes"
            f" (busiest process: {self.cpu_minutes:.1f} CPU min)"
        )


def shard_count() -> int:
    """One shard per core (``PKGCHECK_FUZZ_SHARDS`` overrides; at most 8)."""
    wanted = os.environ.get("PKGCHECK_FUZZ_SHARDS")
    if wanted and wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    return max(1, min(os.cpu_count() or 1, 8))


def _run_shard(index: int) -> Tuple[int, float, Optional[str]]:
    assert _JOB is not None
    started = time.process_time()
    strategy, prop, per_shard, _ = _JOB
    ran = 0

    def counted(value: Any) -> None:
        nonlocal ran
        ran += 1
        prop(value)

    test = seed(index)(
        settings(
            max_examples=per_shard,
            deadline=None,
            derandomize=False,  # the seed above fixes the draws; it differs per shard
            database=None,
            print_blob=True,
            suppress_health_check=SUPPRESSED,
        )(given(strategy)(counted))
    )
    try:
        test()
    except BaseException:  # noqa: B902 - every failure is reported to the parent, with its example
        failure = f"shard {index} (seed {index}):\n" + "".join(traceback.format_exception(*sys.exc_info()))
        if len(failure) > 12_000:  # a huge example (a 100,000-level manifest) would bury the report
            failure = failure[:6_000] + "\n[... cut ...]\n" + failure[-6_000:]
        return ran, time.process_time() - started, failure
    return ran, time.process_time() - started, None


def run_in_shards(
    strategy: SearchStrategy, prop: Callable[[Any], None], examples: int, shards: Optional[int] = None
) -> ShardedRun:
    """Check ``prop`` on ``examples`` examples of ``strategy``, split over ``shards`` processes."""
    global _JOB
    count = shards or shard_count()
    per_shard = -(-examples // count)
    _JOB = (strategy, prop, per_shard, count)
    start = time.monotonic()
    results: List[Tuple[int, float, Optional[str]]]
    try:
        if count > 1 and "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
                results = list(pool.map(_run_shard, range(count)))
        else:
            results = [_run_shard(index) for index in range(count)]
    finally:
        _JOB = None
    run = ShardedRun(shards=count, minutes=(time.monotonic() - start) / 60)
    for ran, cpu, failure in results:
        run.examples += ran
        run.cpu_minutes = max(run.cpu_minutes, cpu / 60)
        if failure:
            run.failures.append(failure)
    return run


def assert_sharded(
    name: str, strategy: SearchStrategy, prop: Callable[[Any], None], examples: int
) -> ShardedRun:
    """:func:`run_in_shards`, failing with every shard's report; prints the summary line that
    docs/SECURITY.md records (run with ``-s`` to see it)."""
    run = run_in_shards(strategy, prop, examples)
    print(f"\n[fuzz] {run.summary(name)}", flush=True)
    assert not run.failures, "\n\n".join(run.failures)
    assert run.examples >= examples, f"only {run.examples} of {examples} examples ran"
    return run
