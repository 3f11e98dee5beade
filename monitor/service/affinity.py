"""Which worker evaluates a monitor's run: the one that already read and fitted its reference.

A worker keeps every reference it fitted (runner.CACHED_REFERENCE_CELLS), so a monitor that any worker may get is
fitted once per worker, and held in memory once per worker. A monitor therefore sticks to one worker; a new one
goes to the worker with the least work assigned; and one moves only when its worker is far behind while
another has nothing to do (the move costs the new worker one fit). A pure decision on plain values, so every
case is a table-driven test; the pool (pool.py) does the handing over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

# Runs waiting (beyond the one running) on a monitor's worker before the monitor moves to an idle worker: a few
# warm runs' wait is less than the fit a move costs, and at start-up every worker has a queue for a while.
MOVE_BACKLOG = 8


class Reason(StrEnum):
    KEPT = "kept"  # its worker has its reference
    ASSIGNED = "assigned"  # first seen (or its worker is gone): the worker with the least work assigned
    MOVED = "moved"  # its worker is MOVE_BACKLOG runs behind and another worker is idle


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
