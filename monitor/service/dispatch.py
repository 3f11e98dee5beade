"""What a monitor's tick does: find the windows owed, hand each to an evaluation worker, account for the outcome.

Evaluation happens in worker processes (pool.py), each monitor in the same one. When one of them dies (kill -9,
out of memory), that worker alone is replaced, once: `worker.died` is logged once,
and exactly the runs whose worker is gone are failed (counted against their window).
Runs of live workers, and every other process's runs, are left alone. A run whose
result could not be stored (the store went away) is failed at the monitor's next
tick, if it is still ours, so the window is retried at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timedelta
from pathlib import Path

import structlog

from alerts.pipeline import notify_unsent, rules_for
from monitor import redaction
from monitor.config import Config, MonitorConfig
from monitor.service import scheduling
from monitor.service.pool import WORKER_MEMORY_LIMIT, EvaluationPool, RunSummary, Worker, WorkerBroken
from monitor.service.prom import DaemonMetrics
from monitor.store import Store
from monitor.store.runs import fail_dead_workers, fail_unfinished, labels_due
from monitor.times import format_duration, iso
from monitor.windows import Window, due_windows, window_ending

log = structlog.get_logger("drifthound.daemon")

# How many times a tick starts over when a worker died under one of its runs (a window that kills every
# worker it meets fails its own runs, and is given up after scheduling.MAX_FAILURES).
RETRIES_AFTER_WORKER_DEATH = 2


class _Interrupted:
    """A run cut short by a worker's death."""


INTERRUPTED = _Interrupted()


class Dispatcher:
    def __init__(
        self,
        *,
        config: Callable[[], Config],
        config_text: Callable[[], str],
        config_file: Path,
        store: Store,
        owner: str,
        metrics: DaemonMetrics,
        clock: Callable[[], datetime],
        on_notifications: Callable[[], None],
    ) -> None:
        self.config, self.config_text, self.config_file = config, config_text, config_file
        self.store, self.owner, self.metrics, self.clock = store, owner, metrics, clock
        self.on_notifications = on_notifications
        self.stopping = threading.Event()
        self._workers_stopped = threading.Event()
        self._lock = threading.Lock()
        self._inflight: set[Future] = set()
        # Runs whose result could not be stored, by (monitor, window end): failed at the monitor's next tick.
        self._unrecorded: set[tuple[str, datetime]] = set()
        # Per monitor, the catch-up horizon up to which aged windows were looked for.
        self._scanned_to: dict[str, datetime] = {}
        self.pool = self._new_pool()

    # --- lifecycle ------------------------------------------------------------------------

    def renew(self) -> None:
        """After a reload: new runs go to workers with the new config; runs in progress finish on the old."""
        with self._lock:
            old, self.pool = self.pool, self._new_pool()
        old.shutdown(wait=False)

    def stop(self, grace: float) -> int:
        """Waits up to `grace` seconds for runs in progress, then stops the workers where they stand.
        Returns how many runs were still in progress when asked."""
        from concurrent.futures import wait

        self.stopping.set()
        with self._lock:
            inflight = set(self._inflight)
        log.info("daemon.stopping", grace_s=grace, runs_in_progress=len(inflight))
        _, unfinished = wait(inflight, timeout=grace)
        if unfinished:
            self.pool.kill()
        else:
            self.pool.shutdown(wait=True)
        self._workers_stopped.set()
        return len(inflight)

    @property
    def size(self) -> int:
        return self.pool.size

    # --- a monitor's tick -----------------------------------------------------------------

    def tick(self, name: str) -> None:
        """Evaluates what the monitor owes now: the latest window, missed ones, then windows whose labels came.

        Runs cut short by a worker's death (theirs or a neighbour's) are owed again at once, not at the next
        tick, which for a weekly schedule is a week away (and beyond the catch-up horizon).
        """
        for _ in range(1 + RETRIES_AFTER_WORKER_DEATH):
            if not self._tick_once(name):
                return

    def _tick_once(self, name: str) -> bool:
        """One pass; True when a worker died under one of its runs."""
        config = self.config()
        monitor = next((m for m in config.monitors if m.name == name), None)
        if monitor is None or self.stopping.is_set():
            return False
        now = self.clock()
        schedule = scheduling.schedule_of(monitor)
        horizon = config.service.catch_up
        try:
            self._fail_unrecorded(name)
            with self.store.reading() as session:
                settled = scheduling.settled_ends(session, name, since=schedule.last_tick(now) - horizon, now=now)
        except Exception as error:
            self.metrics.store_errors.inc()
            log.error("schedule.store_unavailable", monitor=name, error=redaction.redact(str(error)))
            return False
        self._drop_aged(monitor, now, horizon)
        windows = due_windows(
            schedule, monitor.window, now, settled=settled, catch_up=horizon, limit=scheduling.MAX_CATCH_UP_WINDOWS
        )
        if len(windows) > 1:
            log.info(
                "schedule.catching_up",
                monitor=name,
                windows=len(windows),
                horizon=format_duration(horizon),
                oldest=iso(min(w.end for w in windows)),
            )
        interrupted = False
        newest = max((w.end for w in windows), default=None)
        index = 0
        while index < len(windows):
            if self.stopping.is_set():
                return False
            # A tick that came during a long catch-up goes first: on-time windows do not wait for old ones. The
            # ticks it jumped over join this catch-up, so none can age past the horizon before a later tick.
            latest = schedule.last_tick(self.clock())
            if index > 0 and newest is not None and latest > newest:
                windows += [window_ending(t, monitor.window) for t in schedule.ticks(newest, latest) if t < latest]
                newest = latest
                interrupted |= self.evaluate(name, window_ending(latest, monitor.window), notify=True) is INTERRUPTED
            # Catch-up runs fold into one message: only the latest (first) and the last run notify...
            outcome = self.evaluate(name, windows[index], notify=index == 0 or index == len(windows) - 1)
            interrupted |= outcome is INTERRUPTED
            index += 1
        if len(windows) > 2:
            self._settle(name)  # ...and what a middle run fired is told even when the last run had no figures
        if monitor.labels is not None:
            interrupted |= self._label_passes(name)
        return interrupted

    def _drop_aged(self, monitor: MonitorConfig, now: datetime, horizon: timedelta) -> None:
        """Windows that aged past catch_up unevaluated: recorded, counted and logged, never lost in silence."""
        dropped_total = self.metrics.windows_dropped.labels(monitor.name)  # the series exists from the start, at 0
        try:
            dropped = scheduling.drop_aged_windows(
                self.store, monitor, now, catch_up=horizon, scanned_to=self._scanned_to.get(monitor.name)
            )
        except Exception as error:
            self.metrics.store_errors.inc()
            log.error("schedule.store_unavailable", monitor=monitor.name, error=redaction.redact(str(error)))
            return
        self._scanned_to[monitor.name] = dropped.scanned_to
        if not dropped.windows:
            return
        dropped_total.inc(len(dropped.windows))
        log.warning(
            "schedule.windows_dropped",
            monitor=monitor.name,
            windows=len(dropped.windows),
            oldest=iso(dropped.windows[0].end),
            newest=iso(dropped.windows[-1].end),
            catch_up=format_duration(horizon),
            workers=self.size,
            hint="the workers did not keep up with the schedules: add workers, run less often or lengthen "
            "catch_up; `drifthound config check` estimates the load",
        )

    def _label_passes(self, name: str) -> bool:
        """Windows whose labels are now due are evaluated again, with their model quality."""
        try:
            with self.store.reading() as session:
                due = labels_due(session, monitor=name, now=self.clock())
        except Exception as error:
            self.metrics.store_errors.inc()
            log.error("schedule.store_unavailable", monitor=name, error=redaction.redact(str(error)))
            return False
        if due:
            log.info("labels.due", monitor=name, windows=len(due), oldest=iso(due[0].end))
        interrupted = False
        for index, window in enumerate(due):
            if self.stopping.is_set():
                return False
            interrupted |= self.evaluate(name, window, notify=index == len(due) - 1, force=True) is INTERRUPTED
        if len(due) > 1:
            self._settle(name)
        return interrupted

    def _settle(self, name: str) -> None:
        """Queues what the stored alert states owe receivers (see alerts.pipeline.notify_unsent)."""
        config = self.config()
        monitor = next((m for m in config.monitors if m.name == name), None)
        if monitor is None:
            return
        try:
            with self.store.transaction() as session:
                queued = notify_unsent(
                    session,
                    monitor=name,
                    rules=rules_for(monitor, config.alerting, config.channels),
                    alerting=config.alerting,
                    now=self.clock(),
                    reports_base_url=f"{config.service.base_url}/reports/",
                )
        except Exception as error:  # the next tick's runs notify what is still owed
            self.metrics.store_errors.inc()
            log.error("notifications.settle_failed", monitor=name, error=redaction.redact(str(error)))
            return
        if queued:
            log.info("notifications.settled", monitor=name, messages=len(queued))
            self.on_notifications()

    # --- one window -------------------------------------------------------------------------

    def evaluate(
        self, name: str, window: Window, *, notify: bool, force: bool = False
    ) -> RunSummary | _Interrupted | None:
        """The run's summary; INTERRUPTED when a worker died under it; None when there is nothing to say."""
        pool = self.pool
        try:
            handed = pool.submit(name, window.start, window.end, notify, force)
        except WorkerBroken as broken:  # its worker died before this run was handed over: replace it, owe it again
            if self.stopping.is_set():
                return None
            self._worker_died(pool, broken.worker)
            return INTERRUPTED
        except RuntimeError:  # shutting down, or a reload swapped the pool
            return None
        future = handed.future
        with self._lock:
            self._inflight.add(future)
        try:
            summary = self._result(future)
        except BrokenProcessPool:
            if self.stopping.is_set():
                return None
            self._worker_died(pool, handed.worker)
            return INTERRUPTED
        except Exception as error:
            if not self.stopping.is_set():
                self.metrics.runs.labels(name, "error").inc()
                log.error("run.error", monitor=name, window_end=iso(window.end), error=redaction.redact(repr(error)))
            return None
        finally:
            with self._lock:
                self._inflight.discard(future)
        if summary is None:
            return None
        if summary.worker_memory is not None and summary.worker_memory > WORKER_MEMORY_LIMIT:
            self._recycle(pool, handed.worker, summary.worker_memory)
        if not summary.recorded:
            with self._lock:
                self._unrecorded.add((name, window.end))
        self.metrics.observe(summary.monitor, summary.status, summary.duration_seconds, summary.rows)
        if summary.notifications:
            self.on_notifications()
        return summary

    def _result(self, future: Future) -> RunSummary | None:
        """The run's summary; None once the daemon has stopped its workers (a killed worker's future may never
        resolve, and a job thread waiting on it for ever would keep the process from exiting)."""
        while True:
            try:
                return future.result(timeout=1.0)
            except TimeoutError:
                if self._workers_stopped.is_set():
                    return None

    def _worker_died(self, pool: EvaluationPool, worker: Worker) -> None:
        """Once per dead worker: a new one in its place (the others and their fitted references are kept), one
        log line, and the dead worker's runs failed."""
        with self._lock:
            if self.pool is not pool:
                return  # a reload replaced every worker already
        if not pool.replace(worker, cancel=True):
            return  # another job thread saw the same death first
        try:
            with self.store.session() as session:
                dead = fail_dead_workers(session, owner=self.owner, now=self.clock())
        except Exception as error:
            self.metrics.store_errors.inc()
            log.error("worker.died", error=redaction.redact(str(error)), hint="the store is away; claims go stale")
            return
        log.error(
            "worker.died",
            runs_failed=[{"monitor": d.monitor, "window_end": iso(d.window_end), "pid": d.worker_pid} for d in dead],
            hint="an evaluation process exited mid-run (killed, or out of memory); its window is retried",
        )

    def _recycle(self, pool: EvaluationPool, worker: Worker, memory: int) -> None:
        """A worker kept more memory than a worker should after its run: a new process takes its place and its
        monitors; runs already handed to the old one finish there, then it exits. Once per worker."""
        with self._lock:
            if self.pool is not pool or self.stopping.is_set():
                return
        if not pool.replace(worker, cancel=False):
            return
        log.info(
            "worker.recycled",
            worker=worker.slot,
            resident_mb=round(memory / 2**20),
            limit_mb=round(WORKER_MEMORY_LIMIT / 2**20),
            hint="a run left its worker holding more memory than the limit; a new process takes its monitors",
        )

    def _fail_unrecorded(self, name: str) -> None:
        with self._lock:
            mine = {key for key in self._unrecorded if key[0] == name}
        if not mine:
            return
        with self.store.session() as session:
            for monitor, window_end in mine:
                fail_unfinished(
                    session,
                    monitor=monitor,
                    window_end=window_end,
                    owner=self.owner,
                    reason="the run broke off before its result was stored (store unreachable); retried",
                    now=self.clock(),
                )
        with self._lock:
            self._unrecorded -= mine

    def _new_pool(self) -> EvaluationPool:
        config = self.config()
        return EvaluationPool(
            config_text=self.config_text(),
            config_file=str(self.config_file),
            owner=self.owner,
            log_format=config.service.log_format,
            workers=config.service.workers,
        )
