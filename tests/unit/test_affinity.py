"""Which worker gets a monitor's run: the one that fitted its reference, unless it is far behind while another
is idle; new monitors spread by the work already assigned."""

from __future__ import annotations

import pytest

from monitor.service.affinity import MOVE_BACKLOG, STEAL_AFTER, Assignment, Reason, assign, steal


@pytest.mark.parametrize(
    ("owners", "inflight", "costs", "expected"),
    [
        # a monitor stays on its worker, busy or not, while no other worker is idle
        ({"m": 1}, [0, 0], {}, Assignment(1, Reason.KEPT)),
        ({"m": 1}, [3, 1 + MOVE_BACKLOG + 5], {}, Assignment(1, Reason.KEPT)),
        # a backlog short of MOVE_BACKLOG is worked off where the reference is
        ({"m": 0}, [MOVE_BACKLOG, 0], {}, Assignment(0, Reason.KEPT)),
        # MOVE_BACKLOG runs waiting behind the running one, and another worker idle: it moves
        ({"m": 0}, [1 + MOVE_BACKLOG, 0], {}, Assignment(1, Reason.MOVED)),
        # among idle workers, the one with the least work assigned
        ({"m": 0, "a": 1, "b": 2}, [1 + MOVE_BACKLOG, 0, 0], {"a": 0.5, "b": 0.1}, Assignment(2, Reason.MOVED)),
        # a new monitor: the worker with the fewest monitors (unknown costs count alike)...
        ({"a": 0, "b": 0, "c": 1}, [0, 0], {}, Assignment(1, Reason.ASSIGNED)),
        # ...weighed by their cost where known (one slow monitor outweighs two quick ones)
        ({"a": 0, "b": 0, "c": 1}, [0, 0], {"a": 0.1, "b": 0.1, "c": 2.0}, Assignment(0, Reason.ASSIGNED)),
        # an unknown cost counts as the mean of the known ones
        ({"a": 0, "c": 0, "b": 1}, [0, 0], {"a": 2.0, "b": 4.0}, Assignment(1, Reason.ASSIGNED)),
        # equal work assigned: fewer runs in flight, then the lowest index
        ({}, [2, 1, 1], {}, Assignment(1, Reason.ASSIGNED)),
        # its worker is gone (fewer workers after a reload): assigned afresh
        ({"m": 3, "a": 0}, [0, 0], {}, Assignment(1, Reason.ASSIGNED)),
    ],
)
def test_assign(owners, inflight, costs, expected):
    assert assign("m", owners=owners, inflight=inflight, costs=costs) == expected


def test_monitors_arriving_together_are_spread_evenly_and_then_stay():
    owners: dict[str, int] = {}
    inflight = [0, 0]
    for k in range(100):  # start-up: every monitor's first run is handed over at once
        choice = assign(f"m{k}", owners=owners, inflight=inflight, costs={})
        owners[f"m{k}"] = choice.worker
        inflight[choice.worker] += 1
    assert inflight == [50, 50]
    again = {name: assign(name, owners=owners, inflight=inflight, costs={}).worker for name in owners}
    assert again == owners


@pytest.mark.parametrize(
    ("busy", "oldest", "expected"),
    [
        # worker 0 idle; worker 1 busy with a run that waited long enough behind it: taken
        ([False, True], [None, 100 - STEAL_AFTER], 1),
        # waited less: it stays where its reference is (the workers keep up)
        ([False, True], [None, 100 - STEAL_AFTER / 2], None),
        # nothing running there (starting its next run, or dead and being replaced): left alone
        ([False, False], [None, 0.0], None),
        # nothing waiting anywhere
        ([False, True, True], [None, None, None], None),
        # the most behind: the oldest waiting run, then the lowest index
        ([False, True, True], [None, 50.0, 40.0], 2),
        ([False, True, True], [None, 40.0, 40.0], 1),
        # never from itself
        ([True, False], [0.0, None], None),
    ],
)
def test_steal(busy, oldest, expected):
    assert steal(0, busy=busy, oldest=oldest, now=100.0) == expected
