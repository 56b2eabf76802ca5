"""The cyclic garbage collector's thresholds while pkgcheck runs: a module of its own, which
imports nothing of pkgcheck's, so that the command line raises them before the engine loads."""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator

#: The cyclic garbage collector's thresholds while analysing (CPython's default: 700, 10, 10).
GC_THRESHOLDS = (100_000, 50, 100)


def raise_thresholds() -> None:
    """Make the collector's generations at least :data:`GC_THRESHOLDS` (not when collection is
    switched off: that stays so)."""
    old = gc.get_threshold()
    if old[0]:
        gc.set_threshold(*(max(now, ours) for now, ours in zip(old, GC_THRESHOLDS)))


@contextlib.contextmanager
def few_collections() -> Iterator[None]:
    """Run with the cyclic garbage collector's generations much larger (restored afterwards).

    A run allocates millions of objects — syntax trees that die as soon as their facts are
    taken, facts and specs that live to the end, the classes and functions of the modules it
    imports — and next to none in reference cycles. With CPython's default thresholds the
    collector keeps traversing everything alive: on the large benchmark tree 0.4-0.7 s of a
    2.3 s CPU run, most of it in full collections in the main process; on 30 small packages,
    0.96-0.97x the command's wall time when the thresholds are raised from its start rather
    than for the analysis only (importing LibCST and the engine leaves 25,000 objects for the
    collector to track). With these, young garbage is still collected, every 100,000
    allocations.
    """
    old = gc.get_threshold()
    raise_thresholds()
    try:
        yield
    finally:
        gc.set_threshold(*old)
