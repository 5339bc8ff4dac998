"""Spread independent per-window work over the machine's cores.

The windows of a long recording (one per candidate set) are analysed independently, and each costs
milliseconds of Python and numpy overhead on short arrays, so an hour's 145 windows or eight hours'
1,150 split well over processes. Child processes are forked: they inherit the resampled signal
instead of receiving a pickled copy of it, and only their results travel back.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 16  # fewer windows than this are done before a child process would have started

# The work a forked child takes over: it is inherited, never pickled.
_TASK: tuple[Callable, Sequence] | None = None


def can_fork() -> bool:
    """Whether work can go to forked children here: on Linux (elsewhere forking a process that has
    loaded the system's libraries is unsafe), and not from a pool's worker, which may not have
    children of its own (a batch of recordings is already spread over the cores)."""
    return sys.platform.startswith("linux") and not multiprocessing.current_process().daemon


def map_split(fn: Callable[[T], R], items: Sequence[T], workers: int, cost: Sequence[float]) -> list[R]:
    """`[fn(x) for x in items]`, the items cut into `workers` runs of about equal total `cost`, all
    but the first run done by forked children while this process does the first.

    Done here alone with `workers` <= 1, fewer than MIN_ITEMS items, or where `can_fork()` is False.
    """
    global _TASK
    workers = min(workers, len(items) // (MIN_ITEMS // 2))
    if workers <= 1 or len(items) < MIN_ITEMS or not can_fork():
        return [fn(x) for x in items]
    runs = _runs(np.asarray(cost, dtype=float), workers)
    if len(runs) == 1:
        return [fn(x) for x in items]
    _TASK = (fn, items)
    try:
        with multiprocessing.get_context("fork").Pool(len(runs) - 1) as pool:
            pending = [pool.apply_async(_do_run, (r,)) for r in runs[1:]]
            out = _do_run(runs[0])
            for p in pending:
                out += p.get()
    finally:
        _TASK = None
    return out


def _do_run(run: range) -> list:
    assert _TASK is not None
    fn, items = _TASK
    return [fn(items[i]) for i in run]


def _runs(cost: np.ndarray, k: int) -> list[range]:
    """`k` consecutive index ranges covering `cost`, each of about the same total cost."""
    total = np.cumsum(cost)
    cuts = np.searchsorted(total, total[-1] * np.arange(1, k) / k, "right")
    bounds = [0, *np.clip(cuts, 1, len(cost) - 1).tolist(), len(cost)]
    return [range(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
