"""Evaluation in worker processes, so health checks, scheduling and delivery never wait behind a big report.

Each worker parses the same config text the daemon validated and keeps one Runner (source engines, cached
references) for its lifetime, and gets the same monitors' runs (affinity.py), so each reference is fitted by one
worker, not by all of them. The pool holds the runs waiting for a worker and gives it one at a time, so a run that
waits too long behind a busy worker can still go to an idle one. A worker whose resident memory stays above
WORKER_MEMORY_LIMIT after a run (its heap trimmed first) is replaced (alone: the others keep what they fitted), so
the memory a large run took is given back; a worker is not replaced after a count of runs, which threw away every
reference it had fitted (bench/README.md, "Many monitors"). A worker dies with the daemon that started it (kill -9
included; `backfill` evaluates in its own process, without a pool), ignores SIGINT, and on SIGTERM exits only when
idle: the daemon decides when runs stop.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from concurrent import futures
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

import structlog

from monitor.service.affinity import MOVE_BACKLOG, STEAL_AFTER, Reason, assign, steal

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
class _Run:
    """A run handed to the pool: the caller's future, and the worker that has it (waiting, then running)."""

    monitor: str
    args: tuple
    future: Future[RunSummary]
    queued: float  # time.monotonic() when handed over
    worker: Worker


@dataclass(eq=False)
class Worker:
    """One worker process (a single-process executor) in its slot of the pool: the run it is given (one at a
    time, so the others can still move) and the runs waiting for it."""

    slot: int
    executor: ProcessPoolExecutor
    waiting: deque[_Run] = field(default_factory=deque)
    running: _Run | None = None
    broken: bool = False  # its process died; the runs waiting go to its replacement

    @property
    def inflight(self) -> int:
        """Runs handed to it and not finished, the running one included."""
        return len(self.waiting) + (self.running is not None)


@dataclass(frozen=True)
class Handed:
    """A run handed to the pool: its future, and its worker (which the daemon replaces if it dies or bloats)."""

    _run: _Run

    @property
    def future(self) -> Future[RunSummary]:
        return self._run.future

    @property
    def worker(self) -> Worker:
        """The worker that has the run: another one than at first if an idle worker took it while it waited."""
        return self._run.worker


class WorkerBroken(BrokenProcessPool):
    """The worker a run was for had died before the run was handed over."""

    def __init__(self, worker: Worker) -> None:
        super().__init__(f"evaluation worker {worker.slot} died")
        self.worker = worker


class EvaluationPool:
    """`size` workers, each its own single-process executor, and each monitor's runs sent to the same one
    (affinity.assign), so each reference is read and fitted by one worker only. A worker that dies or keeps too
    much memory is replaced alone (`replace`): the others keep what they fitted, and its monitors go to its
    replacement.

    The pool keeps each worker's waiting runs itself and gives its executor one at a time, so a run not yet
    started can move: a worker with nothing to do takes the oldest run that has waited affinity.STEAL_AFTER
    seconds behind a busy worker (affinity.steal), checked as runs finish and a few times a second. The
    monitor's later runs follow it (`monitor.reassigned`, reason "stolen"): the thief has just paid the fit,
    and the worker it took from is behind because it was given more work than it keeps up with; leaving the
    monitor there would keep it behind, so that the next steal would take another monitor and cost another fit,
    at every burst, where moving it evens the work out once.
    """

    steal_after: float = STEAL_AFTER

    def __init__(
        self, *, config_text: str, config_file: str, owner: str, log_format: str | None, workers: int | None
    ) -> None:
        self.size = workers or os.cpu_count() or 1
        self._context = multiprocessing.get_context("spawn")
        running = self._context.Value("i", 0)  # workers running a run now: they share the cores' threads (parallel.py)
        self._initargs = (os.getpid(), config_text, config_file, owner, log_format, running)
        # Guards the workers, their runs and the counts below; never held while calling an executor (whose
        # threads may hold their own lock while they resolve a future, and so call back into the pool).
        self._lock = threading.Lock()
        self._closed = False
        self._owners: dict[str, int] = {}  # monitor -> slot
        self._costs: dict[str, float] = {}  # monitor -> its last run's seconds
        self._retired: list[Worker] = []  # replaced workers still finishing the run they were given
        self._workers = [self._start(slot) for slot in range(self.size)]
        self._wake = threading.Event()
        threading.Thread(target=self._hand_out, name="pool-hand-out", daemon=True).start()

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
            choice = assign(
                monitor, owners=self._owners, inflight=[w.inflight for w in self._workers], costs=self._costs
            )
            worker = self._workers[choice.worker]
            if worker.broken:
                raise WorkerBroken(worker)
            if choice.reason is Reason.MOVED:
                previous = self._workers[self._owners[monitor]]
                log.info(
                    "monitor.reassigned",
                    monitor=monitor,
                    from_worker=previous.slot,
                    to_worker=worker.slot,
                    reason=str(Reason.MOVED),
                    runs_waiting=previous.inflight - 1,
                    hint=f"its worker had {MOVE_BACKLOG} or more runs waiting while this one was idle; "
                    "the new worker fits its reference once",
                )
            run = _Run(monitor, (start, end, notify, force), Future(), time.monotonic(), worker)
            worker.waiting.append(run)
            self._owners[monitor] = worker.slot
            starts = self._next_runs()
        if run in self._begin(starts):
            raise WorkerBroken(worker)
        return Handed(run)

    def _next_runs(self) -> list[_Run]:
        """Under the lock: the run each idle worker starts next, its own oldest waiting or one it takes."""
        starts = []
        now = time.monotonic()
        for worker in self._workers:
            if worker.running is not None or worker.broken:
                continue
            if worker.waiting:
                run = worker.waiting.popleft()
            else:
                victim = steal(
                    worker.slot,
                    busy=[w.running is not None for w in self._workers],
                    oldest=[w.waiting[0].queued if w.waiting else None for w in self._workers],
                    now=now,
                    after=self.steal_after,
                )
                if victim is None:
                    continue
                run = self._take(self._workers[victim], worker, now)
            worker.running = run
            starts.append(run)
        return starts

    def _take(self, victim: Worker, thief: Worker, now: float) -> _Run:
        run = victim.waiting.popleft()
        run.worker = thief
        if self._owners.get(run.monitor) == victim.slot:
            self._owners[run.monitor] = thief.slot
            log.info(
                "monitor.reassigned",
                monitor=run.monitor,
                from_worker=victim.slot,
                to_worker=thief.slot,
                reason=str(Reason.STOLEN),
                runs_waiting=len(victim.waiting),
                waited_s=round(now - run.queued, 3),
                hint="its run waited behind a busy worker while this one was idle; the monitor's later runs "
                "follow it (the new worker fits its reference once)",
            )
        return run

    def _begin(self, starts: list[_Run]) -> set[_Run]:
        """Gives each run to its worker's executor; returns those whose worker had died (failed with
        WorkerBroken)."""
        failed: set[_Run] = set()
        while starts:
            run = starts.pop()
            worker = run.worker
            try:
                if not run.future.set_running_or_notify_cancel():
                    raise _Cancelled
                inner = worker.executor.submit(_evaluate, run.monitor, *run.args)
            except _Cancelled:
                with self._lock:
                    worker.running = None
                    starts += self._next_runs()
                continue
            except (BrokenProcessPool, RuntimeError) as error:  # died, or shut down (closed meanwhile)
                with self._lock:
                    worker.running = None
                    worker.broken = isinstance(error, BrokenProcessPool)
                    starts += self._next_runs()
                run.future.set_exception(WorkerBroken(worker) if worker.broken else error)
                failed.add(run)
                continue
            inner.add_done_callback(lambda done, run=run, worker=worker: self._finished(worker, run, done))
        return failed

    def _finished(self, worker: Worker, run: _Run, inner: Future[RunSummary]) -> None:
        """In the executor's thread: the worker is free; the pool's thread gives it its next run (not this
        thread, which may hold the executor's own lock)."""
        error = CancelledError() if inner.cancelled() else inner.exception()
        with self._lock:
            worker.running = None
            if error is None:
                self._costs[run.monitor] = inner.result().duration_seconds
            elif isinstance(error, BrokenProcessPool):
                worker.broken = True
        self._wake.set()
        if error is None:
            run.future.set_result(inner.result())
        else:
            run.future.set_exception(error)

    def _hand_out(self) -> None:
        """The pool's thread: gives a free worker its next run as runs finish, and a few times a second in case
        a run waited past steal_after while none finished. Ends once the pool is closed and has no run waiting."""
        while True:
            self._wake.wait(min(self.steal_after / 4, 0.5))
            self._wake.clear()
            with self._lock:
                starts = self._next_runs()
                if self._closed and not any(w.waiting for w in self._workers):
                    return
            self._begin(starts)

    def replace(self, worker: Worker, *, cancel: bool) -> bool:
        """A new process in the worker's slot, its monitors and waiting runs given to it; True for the first
        caller only (the one to say so in the log). `cancel=False` lets the old process finish the run it was
        given first."""
        with self._lock:
            if self._closed or self._workers[worker.slot] is not worker:
                return False
            new = self._workers[worker.slot] = self._start(worker.slot)
            new.waiting, worker.waiting = worker.waiting, deque()
            for run in new.waiting:
                run.worker = new
            self._retired = [w for w in self._retired if w.running is not None]
            if not cancel:
                self._retired.append(worker)
            starts = self._next_runs()
        worker.executor.shutdown(wait=False, cancel_futures=cancel)
        self._begin(starts)
        return True

    def pids(self) -> list[int]:
        """The pids of the current workers' processes, by slot (those started: a process starts with its first
        run)."""
        with self._lock:
            executors = [w.executor for w in self._workers]
        return [pid for executor in executors for pid in _processes(executor)]

    def shutdown(self, *, wait: bool, cancel: bool = True) -> None:
        """`cancel`: drop the runs not yet started (else the workers run them, then exit)."""
        executors, left = self._close(cancel)

        def stop() -> None:
            futures.wait(left)
            stopping = [threading.Thread(target=e.shutdown, kwargs={"cancel_futures": cancel}) for e in executors]
            for thread in stopping:
                thread.start()
            for thread in stopping:
                thread.join()

        if wait:
            stop()
        elif cancel:
            for executor in executors:
                executor.shutdown(wait=False, cancel_futures=True)
        else:
            threading.Thread(target=stop, name="pool-drain", daemon=True).start()

    def kill(self) -> None:
        """After the grace period: stop the workers where they stand (their claims are released by the daemon)."""
        executors, _ = self._close(cancel=True)
        processes = [process for executor in executors for process in _processes(executor).values()]
        for executor in executors:
            executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.kill()
        for process in processes:
            process.join(timeout=5)

    def _close(self, cancel: bool) -> tuple[list[ProcessPoolExecutor], list[Future[RunSummary]]]:
        """Closes the pool (cancelling the waiting runs where asked); its executors, and the futures of the
        runs it still has."""
        with self._lock:
            self._closed = True
            dropped = [run for w in self._workers for run in w.waiting] if cancel else []
            for worker in self._workers if cancel else []:
                worker.waiting.clear()
            left = [run.future for w in self._workers for run in (*w.waiting, w.running) if run is not None]
            executors = [w.executor for w in self._workers + self._retired]
        self._wake.set()
        for run in dropped:
            run.future.cancel()
        return executors, left


class _Cancelled(Exception):
    """A waiting run's future was cancelled before its worker was free."""


def _processes(executor: ProcessPoolExecutor) -> dict:
    return dict(getattr(executor, "_processes", None) or {})  # no public API for this
