"""The threads a run may use beside its own, and the one pool that runs them.

Only work that releases the GIL goes here (numpy's sorts and merges, its matrix products): each column's drift
verdict, the multivariate reconstruction's rows in chunks. Results come back in the order asked, and each is
computed exactly as alone, so every figure is the same with one thread or many.

How many: the cores this process may run on, shared among the daemon's worker processes busy with a run at the
time (two busy workers on two cores: one thread each; a worker running alone, or `drifthound check`: every
core). `DRIFTHOUND_THREADS` overrides (1: no threads). numpy's BLAS stays at one thread (monitor/__init__.py):
these threads are the run's only ones.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

ENV = "DRIFTHOUND_THREADS"
# Below this many values in all, a pool's hand-offs (tens of microseconds a task) cost more than they save: a
# small window's run stays on its own thread.
MIN_WORK = 200_000

T = TypeVar("T")
R = TypeVar("R")

_busy: Callable[[], int] = lambda: 1  # noqa: E731  (how many processes share the cores now, this one included)
_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_inside = threading.local()


def thread_count(cores: int, busy: int, override: str | None) -> int:
    """Threads for one run: `override` (DRIFTHOUND_THREADS) when it is a whole number of at least 1, else the
    cores divided among the processes busy with a run (this one included), at least one."""
    if override is not None and override.strip().isdigit() and int(override) >= 1:
        return int(override)
    return max(1, cores // max(1, busy))


def share_with(busy: Callable[[], int]) -> None:
    """Called in each of the daemon's worker processes: `busy` tells how many workers are running a run."""
    global _busy
    _busy = busy


def threads() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    return thread_count(cores, _busy(), os.environ.get(ENV))


def map_ordered(function: Callable[[T], R], items: Iterable[T], *, work: int) -> list[R]:
    """`function` of each item, in the items' order; spread over the pool when there are threads to spare and
    `work` (about how many values the calls touch in all) is worth it. Never nested: a call from one of the
    pool's own threads runs in that thread."""
    items = list(items)
    count = _spare(work) if len(items) > 1 else 0
    if not count:
        return [function(item) for item in items]
    return list(_executor(count).map(_flagged(function), items))


def start(function: Callable[[], R], *, work: int) -> Callable[[], R]:
    """`function` begun on the pool, where worth it as for map_ordered, while the caller goes on; returns what
    waits for its result (and raises its error). Otherwise it runs now, here."""
    count = _spare(work)
    if not count:
        result = function()
        return lambda: result
    return _executor(count).submit(_flagged(lambda _: function()), None).result


def _spare(work: int) -> int:
    """The pool's size when `work` is worth spreading over it: at least two threads, enough values, and not
    already inside the pool (never nested); else 0."""
    if work < MIN_WORK or getattr(_inside, "flag", False):
        return 0
    count = threads()
    return count if count >= 2 else 0


def _flagged(function: Callable[[T], R]) -> Callable[[T], R]:
    def run(item: T) -> R:
        _inside.flag = True
        try:
            return function(item)
        finally:
            _inside.flag = False

    return run


def _executor(size: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size != size:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool, _pool_size = ThreadPoolExecutor(max_workers=size, thread_name_prefix="drifthound-run"), size
        return _pool
