"""Which worker evaluates a monitor's run: the one that already read and fitted its reference.

A worker keeps every reference it fitted (runner.CACHED_REFERENCE_CELLS), so a monitor that any worker may get is
fitted once per worker, and held in memory once per worker. A monitor therefore sticks to one worker; a new one
goes to the worker with the least work assigned; and one moves only when its worker is far behind while
another has nothing to do (the move costs the new worker one fit). A run not yet started can still move: an idle
worker takes the oldest waiting run of a worker that is behind (`steal`). Pure decisions on plain values, so
every case is a table-driven test; the pool (pool.py) does the handing over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

# Runs waiting (beyond the one running) on a monitor's worker before the monitor moves to an idle worker: a few
# warm runs' wait is less than the fit a move costs, and at start-up every worker has a queue for a while.
MOVE_BACKLOG = 8

# Seconds a run has waited behind a busy worker before an idle worker takes it: longer than a burst of warm runs
# takes to clear (tens of milliseconds each, at most 32 handed over at once), so while the workers keep up each
# run stays where its reference is; much longer than the fit that taking it costs (a few tenths of a second).
STEAL_AFTER = 2.0


class Reason(StrEnum):
    KEPT = "kept"  # its worker has its reference
    ASSIGNED = "assigned"  # first seen (or its worker is gone): the worker with the least work assigned
    MOVED = "moved"  # its worker is MOVE_BACKLOG runs behind and another worker is idle
    STOLEN = "stolen"  # its run waited STEAL_AFTER seconds behind a busy worker and an idle one took it


@dataclass(frozen=True)
class Assignment:
    worker: int
    reason: Reason


def assign(
    monitor: str, *, owners: Mapping[str, int], inflight: Sequence[int], costs: Mapping[str, float]
) -> Assignment:
    """The worker (an index into `inflight`) for the monitor's next run.

    `owners`: the worker each monitor was last given; `inflight`: per worker, runs handed over and not finished
    (the one running included); `costs`: a monitor's last run's seconds, where known (an unknown one counts as
    the mean of the known, else 1). Ties go to the lowest index, so the answer depends on the arguments only.
    """
    workers = range(len(inflight))
    owner = owners.get(monitor)
    if owner is not None and owner in workers:
        idle = [w for w in workers if inflight[w] == 0 and w != owner]
        if inflight[owner] - 1 >= MOVE_BACKLOG and idle:
            return Assignment(_least_assigned(idle, monitor, owners, inflight, costs), Reason.MOVED)
        return Assignment(owner, Reason.KEPT)
    return Assignment(_least_assigned(list(workers), monitor, owners, inflight, costs), Reason.ASSIGNED)


def _least_assigned(
    candidates: Sequence[int],
    monitor: str,
    owners: Mapping[str, int],
    inflight: Sequence[int],
    costs: Mapping[str, float],
) -> int:
    """The candidate with the least cost of monitors assigned to it, then the fewest runs in flight."""
    unknown = sum(costs.values()) / len(costs) if costs else 1.0
    assigned = dict.fromkeys(candidates, 0.0)
    for name, worker in owners.items():
        if worker in assigned and name != monitor:
            assigned[worker] += costs.get(name, unknown)
    return min(candidates, key=lambda w: (assigned[w], inflight[w], w))


def steal(
    thief: int, *, busy: Sequence[bool], oldest: Sequence[float | None], now: float, after: float = STEAL_AFTER
) -> int | None:
    """The worker whose oldest waiting run the idle worker `thief` (its own queue empty) takes, or None.

    `busy`: per worker, whether a run is running on it; `oldest`: per worker, when its oldest waiting run was
    handed over (monotonic seconds, None when nothing waits); `now` on the same clock. Only a busy worker's runs
    are taken (a worker with runs waiting and none running is starting one, or has died and is being replaced),
    and only one that has waited `after` seconds or more. Among those, the most behind: the oldest waiting run,
    then the lowest index.
    """
    behind = [
        w
        for w in range(len(busy))
        if w != thief and busy[w] and (first := oldest[w]) is not None and now - first >= after
    ]
    return min(behind, key=lambda w: (oldest[w], w)) if behind else None
