"""Evaluation in worker processes, so health checks, scheduling and delivery never wait behind a big report.

Each worker parses the same config text the daemon validated and keeps one Runner
(source engines, cached references) for its lifetime, and gets the same monitors' runs (affinity.py), so each
reference is fitted by one worker, not by all of them. A worker whose resident memory stays
above WORKER_MEMORY_LIMIT after a run (its heap trimmed first) is replaced (alone: the others keep what they
fitted), so the memory a large run took is given back; a worker is not replaced after a count of runs, which threw away
every reference it had fitted (bench/README.md, "Many monitors"). A worker dies with
the process that started it (the daemon, or `backfill`), ignores SIGINT, and on
SIGTERM exits only when idle: the daemon decides when runs stop.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

import structlog

from monitor.service.affinity import MOVE_BACKLOG, Reason, assign

log = structlog.get_logger("drifthound.daemon")

# Resident memory above which a worker is replaced after its run: imports take about 0.4 GB, the references it
# keeps at most about 0.7 GB (runner.CACHED_REFERENCE_CELLS), so more is what a large run left behind.
WORKER_MEMORY_LIMIT = 2 * 1024**3

_runner = None


@dataclass(frozen=True)
class RunSummary:
    """What the daemon learns of a run (plain values: it crosses a process boundary)."""

    monitor: str
    window_end: datetime
    status: str
    reason: str | None
    duration_seconds: float
    rows: float | None
    notifications: int
    recorded: bool = True
    worker_memory: int | None = None  # the worker's resident bytes after the run (None where unknown)
    worker_pid: int | None = None


def _die_with_parent(parent: int) -> None:
    """Exit when the process that started this worker is gone (kill -9 included), so no orphan keeps a claim
    alive or holds its memory.

    `parent` is the starter's pid as the starter saw it, not os.getppid() read here: a worker spends its first
    second or more importing, and a parent killed in that time has already been replaced by init (or a
    subreaper) when the initializer runs; a watch of "my parent now" would then watch init forever. The spawn
    start method also hands the worker a pipe from its parent that reads as closed once the parent is gone
    (`parent_process().sentinel`): waiting on it notices the death at once, even one that came first.

    Not prctl(PR_SET_PDEATHSIG): that fires when the *thread* that started the worker exits,
    and the pool starts workers from short-lived threads.
    """
    starter = multiprocessing.parent_process()
    sentinel = starter.sentinel if starter is not None else None

    def gone() -> bool:
        return os.getppid() != parent

    def watch() -> None:
        while not gone():
            if sentinel is not None:
                if wait([sentinel], timeout=1.0):
                    break
            else:
                time.sleep(1.0)
        os._exit(1)

    if gone():
        os._exit(1)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


_busy = threading.Event()
_running: Any = None  # the workers' shared count of runs in progress (a multiprocessing Value)


def _on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM ends an idle worker; a worker in a run finishes it (the daemon decides when runs stop)."""
    if not _busy.is_set():
        os._exit(0)


def _init_worker(
    parent: int, config_text: str, config_file: str, owner: str, log_format: str | None, running: Any
) -> None:
    global _runner, _running
    _die_with_parent(parent)
    from monitor import parallel

    _running = running
    parallel.share_with(lambda: running.value)  # the cores are shared with the other workers running a run
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    from monitor import logs
    from monitor.config import parse_config
    from monitor.runner import Runner
    from monitor.store import Store
    from monitor.store.owners import worker_owner_id

    logs.configure(log_format, level="INFO")
    path = Path(config_file)
    config = parse_config(config_text, where=str(path), base_dir=path.resolve().parent)
    _runner = Runner(config, Store(config.service.store_url), owner=worker_owner_id(owner))


def _count_running(step: int) -> None:
    if _running is not None:
        with _running.get_lock():
            _running.value += step


def _evaluate(monitor_name: str, start: datetime, end: datetime, notify: bool, force: bool = False) -> RunSummary:
    from monitor.figures import as_mapping
    from monitor.windows import Window

    assert _runner is not None, "worker not initialised"
    monitor = _runner.config.monitor(monitor_name)
    _busy.set()
    _count_running(+1)
    try:
        result = _runner.run(monitor, Window(start, end), notify=notify, force=force)
    finally:
        _count_running(-1)
        _busy.clear()
    rows = as_mapping(result.metrics).get(("rows", ""))
    return RunSummary(
        monitor_name,
        end,
        result.status,
        result.reason,
        result.duration_seconds,
        rows,
        result.notifications,
        result.recorded,
        _memory_after_run(),
        os.getpid(),
    )


def _memory_after_run() -> int | None:
    """The worker's resident bytes; above the limit, first what it can give back (a large run's freed frames
    stay in the C heap until trimmed)."""
    resident = resident_bytes()
    if resident is not None and resident > WORKER_MEMORY_LIMIT:
        import gc

        gc.collect()
        _trim_heap()
        resident = resident_bytes()
    return resident


def resident_bytes() -> int | None:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):  # not Linux
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _trim_heap() -> None:
    """glibc's malloc_trim: returns the free parts of the heap to the system (elsewhere nothing to do)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        return


@dataclass(eq=False)
class Worker:
    """One worker process (a single-process executor) in its slot of the pool, and its runs in flight."""

    slot: int
    executor: ProcessPoolExecutor
    inflight: int = 0


@dataclass(frozen=True)
class Handed:
    """A run handed to a worker: its future, and the worker (which the daemon replaces if it dies or bloats)."""

    future: Future[RunSummary]
    worker: Worker


class WorkerBroken(BrokenProcessPool):
    """The worker a run was for had died before the run was handed over."""

    def __init__(self, worker: Worker) -> None:
        super().__init__(f"evaluation worker {worker.slot} died")
        self.worker = worker


class EvaluationPool:
    """`size` workers, each its own single-process executor, and each monitor's runs sent to the same one
    (affinity.assign), so each reference is read and fitted by one worker only. A worker that dies or keeps too
    much memory is replaced alone (`replace`): the others keep what they fitted, and its monitors go to its
    replacement."""

    def __init__(
        self, *, config_text: str, config_file: str, owner: str, log_format: str | None, workers: int | None
    ) -> None:
        self.size = workers or os.cpu_count() or 1
        self._context = multiprocessing.get_context("spawn")
        running = self._context.Value("i", 0)  # workers running a run now: they share the cores' threads (parallel.py)
        self._initargs = (os.getpid(), config_text, config_file, owner, log_format, running)
        self._lock = threading.Lock()
        # Counts and costs, updated by the executors' threads as runs finish: a lock of their own, never held
        # while calling an executor (whose threads may hold their own lock while they resolve a future).
        self._tally = threading.Lock()
        self._closed = False
        self._owners: dict[str, int] = {}  # monitor -> slot
        self._costs: dict[str, float] = {}  # monitor -> its last run's seconds
        self._retired: list[Worker] = []  # replaced workers still finishing runs handed to them
        self._workers = [self._start(slot) for slot in range(self.size)]

    def _start(self, slot: int) -> Worker:
        executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=self._context,
            initializer=_init_worker,
            initargs=self._initargs,
        )
        return Worker(slot, executor)  # its process starts with its first run

    def submit(self, monitor: str, start: datetime, end: datetime, notify: bool, force: bool = False) -> Handed:
        """Hands the run to the monitor's worker. Raises WorkerBroken when that worker had died, RuntimeError
        once the pool is shut down."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the evaluation pool is shut down")
            with self._tally:
                choice = assign(
                    monitor, owners=self._owners, inflight=[w.inflight for w in self._workers], costs=self._costs
                )
            worker = self._workers[choice.worker]
            if choice.reason is Reason.MOVED:
                previous = self._workers[self._owners[monitor]]
                log.info(
                    "monitor.reassigned",
                    monitor=monitor,
                    from_worker=previous.slot,
                    to_worker=worker.slot,
                    runs_waiting=previous.inflight - 1,
                    hint=f"its worker had {MOVE_BACKLOG} or more runs waiting while this one was idle; "
                    "the new worker fits its reference once",
                )
            try:
                future = worker.executor.submit(_evaluate, monitor, start, end, notify, force)
            except BrokenProcessPool:
                raise WorkerBroken(worker) from None
            self._owners[monitor] = worker.slot
            with self._tally:
                worker.inflight += 1
        future.add_done_callback(lambda done: self._finished(worker, monitor, done))
        return Handed(future, worker)

    def _finished(self, worker: Worker, monitor: str, future: Future[RunSummary]) -> None:
        with self._tally:
            worker.inflight -= 1
            if not future.cancelled() and future.exception() is None:
                self._costs[monitor] = future.result().duration_seconds

    def replace(self, worker: Worker, *, cancel: bool) -> bool:
        """A new process in the worker's slot, its monitors assigned to it; True for the first caller only (the
        one to say so in the log). `cancel=False` lets the old process finish the runs it was handed first."""
        with self._lock:
            if self._closed or self._workers[worker.slot] is not worker:
                return False
            self._workers[worker.slot] = self._start(worker.slot)
            with self._tally:
                self._retired = [w for w in self._retired if w.inflight]
            if not cancel:
                self._retired.append(worker)
        worker.executor.shutdown(wait=False, cancel_futures=cancel)
        return True

    def pids(self) -> list[int]:
        """The pids of the current workers' processes, by slot (those started: a process starts with its first
        run)."""
        with self._lock:
            executors = [w.executor for w in self._workers]
        return [pid for executor in executors for pid in _processes(executor)]

    def shutdown(self, *, wait: bool, cancel: bool = True) -> None:
        """`cancel`: drop the runs not yet started (else the old workers run them, then exit)."""
        executors = self._close()
        if not wait:
            for executor in executors:
                executor.shutdown(wait=False, cancel_futures=cancel)
            return
        stopping = [threading.Thread(target=e.shutdown, kwargs={"cancel_futures": cancel}) for e in executors]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()

    def kill(self) -> None:
        """After the grace period: stop the workers where they stand (their claims are released by the daemon)."""
        executors = self._close()
        processes = [process for executor in executors for process in _processes(executor).values()]
        for executor in executors:
            executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.kill()
        for process in processes:
            process.join(timeout=5)

    def _close(self) -> list[ProcessPoolExecutor]:
        with self._lock:
            self._closed = True
            return [w.executor for w in self._workers + self._retired]


def _processes(executor: ProcessPoolExecutor) -> dict:
    return dict(getattr(executor, "_processes", None) or {})  # no public API for this
