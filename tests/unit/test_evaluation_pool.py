"""The pool hands each monitor's runs to one worker, replaces a worker alone (its monitors go to its replacement),
and moves a monitor only when its worker is far behind while another is idle. Workers are threads here (the
process side is tested in tests/integration/test_worker_recycling.py and test_worker_orphans.py)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime

import pytest
from structlog.testing import capture_logs

from monitor.service import pool as pool_module
from monitor.service.affinity import MOVE_BACKLOG
from monitor.service.pool import EvaluationPool, RunSummary, WorkerBroken

START, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC)


class ThreadWorker(ThreadPoolExecutor):
    """One thread in place of one process; `broken` makes its next submit fail as a dead process's does."""

    def __init__(self, *, max_workers: int, mp_context=None, initializer=None, initargs=()) -> None:
        super().__init__(max_workers=max_workers)
        self.broken = False

    def submit(self, fn, /, *args, **kwargs):
        if self.broken:
            raise BrokenProcessPool("a worker died")
        return super().submit(fn, *args, **kwargs)


@pytest.fixture
def gates(monkeypatch):
    """A monitor's runs wait while it has a closed gate; each returns a summary naming the thread (the "worker")
    that ran it."""
    closed: dict[str, threading.Event] = {}

    def evaluate(monitor, start, end, notify, force=False):
        if monitor in closed:
            closed[monitor].wait(10)
        return RunSummary(monitor, end, "ok", None, 0.1, 150, 0, worker_pid=threading.get_ident())

    monkeypatch.setattr(pool_module, "ProcessPoolExecutor", ThreadWorker)
    monkeypatch.setattr(pool_module, "_evaluate", evaluate)
    yield closed
    for gate in closed.values():
        gate.set()


def _pool(steal_after: float = EvaluationPool.steal_after) -> EvaluationPool:
    pool = EvaluationPool(config_text="", config_file="config.toml", owner="o", log_format=None, workers=2)
    pool.steal_after = steal_after
    return pool


def test_two_monitors_taking_turns_stay_on_their_own_workers(gates):
    pool = _pool()
    try:
        handed = [pool.submit(name, START, END, False) for _ in range(5) for name in ("a", "b")]
        ran = {(h.future.result().monitor, h.future.result().worker_pid) for h in handed}
        slots = {(h.future.result().monitor, h.worker.slot) for h in handed}
    finally:
        pool.shutdown(wait=True)
    assert len(ran) == 2 and len(dict(ran)) == 2  # one worker for each monitor's five runs, one each
    assert len(set(dict(ran).values())) == 2
    assert dict(slots) == {"a": 0, "b": 1}


def test_a_replaced_worker_is_replaced_alone_and_its_monitors_go_to_its_replacement(gates):
    pool = _pool()
    try:
        a, b = pool.submit("a", START, END, False), pool.submit("b", START, END, False)
        assert pool.replace(a.worker, cancel=False)
        assert not pool.replace(a.worker, cancel=False), "once per worker: the second caller is told it was done"
        a2, b2 = pool.submit("a", START, END, False), pool.submit("b", START, END, False)
        assert a2.worker.slot == 0 and a2.worker is not a.worker
        assert b2.worker is b.worker  # the other worker, and what it fitted, kept
        assert a.future.result().status == "ok"  # a run handed to the replaced worker finishes there

        b2.future.result()
        b2.worker.executor.broken = True  # its process died: the next submit says which worker
        with pytest.raises(WorkerBroken) as died:
            pool.submit("b", START, END, False)
        assert died.value.worker is b2.worker
        assert pool.replace(died.value.worker, cancel=True)
        assert pool.submit("b", START, END, False).worker.slot == 1
    finally:
        pool.shutdown(wait=True)
    with pytest.raises(RuntimeError):
        pool.submit("a", START, END, False)


def test_a_monitor_moves_only_when_its_worker_is_far_behind_and_another_is_idle(gates):
    pool = _pool(steal_after=60)  # no run waits long enough to be taken by the idle worker here
    gates["a"], gates["b"] = threading.Event(), threading.Event()
    try:
        handed = [pool.submit("a", START, END, False)]  # "a" on worker 0, "b" on worker 1
        b = pool.submit("b", START, END, False)
        handed += [pool.submit("a", START, END, False) for _ in range(MOVE_BACKLOG)]
        assert {h.worker.slot for h in handed} == {0}  # worker 1 is busy: "a" waits for its own worker
        gates["b"].set()
        b.future.result()
        while b.worker.inflight:  # its bookkeeping follows the result
            threading.Event().wait(0.01)
        with capture_logs() as logs:
            moved = pool.submit("a", START, END, False)  # 1 running and 8 waiting on worker 0, worker 1 idle
        assert moved.worker.slot == 1
        assert [e["event"] for e in logs] == ["monitor.reassigned"]
        assert logs[0]["from_worker"] == 0 and logs[0]["to_worker"] == 1
        gates["a"].set()
        assert pool.submit("a", START, END, False).worker.slot == 1  # and stays there
    finally:
        pool.shutdown(wait=True)


@pytest.fixture
def slow_first(monkeypatch):
    """A run asked to notify waits for the returned gate (a slow run); the others are quick."""
    gate = threading.Event()

    def evaluate(monitor, start, end, notify, force=False):
        if notify:
            gate.wait(10)
        return RunSummary(monitor, end, "ok", None, 0.01, 150, 0, worker_pid=threading.get_ident())

    monkeypatch.setattr(pool_module, "ProcessPoolExecutor", ThreadWorker)
    monkeypatch.setattr(pool_module, "_evaluate", evaluate)
    yield gate
    gate.set()


def test_runs_waiting_behind_a_slow_run_are_taken_by_the_idle_worker(slow_first):
    pool = _pool(steal_after=0.05)
    try:
        slow = pool.submit("a", START, END, True)  # worker 0, held up
        with capture_logs() as logs:
            waiting = [pool.submit("a", START, END, False) for _ in range(3)]  # behind it; worker 1 idle
            summaries = [h.future.result(timeout=5) for h in waiting]  # done while the slow run still runs
        assert not slow.future.done()
        assert {h.worker.slot for h in waiting} == {1}
        assert len({s.worker_pid for s in summaries}) == 1  # all on the other worker's thread
        stolen = [e for e in logs if e["event"] == "monitor.reassigned"]
        assert [(e["reason"], e["from_worker"], e["to_worker"]) for e in stolen] == [("stolen", 0, 1)]
        assert pool.submit("a", START, END, False).worker.slot == 1  # its later runs follow it
        slow_first.set()
        assert slow.future.result(timeout=5).status == "ok" and slow.worker.slot == 0
    finally:
        pool.shutdown(wait=True)


def test_shutting_down_cancels_the_runs_waiting(slow_first):
    pool = _pool(steal_after=60)
    running = pool.submit("a", START, END, True)
    waiting = [pool.submit("a", START, END, False) for _ in range(3)]
    pool.shutdown(wait=False)
    assert all(h.future.cancelled() for h in waiting)
    slow_first.set()
    assert running.future.result(timeout=5).status == "ok"  # the run under way finishes
