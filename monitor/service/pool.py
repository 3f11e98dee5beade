"""Evaluation in worker processes, so health checks, scheduling and delivery never wait behind a big report.

Each worker parses the same config text the daemon validated and keeps one Runner
(source engines, cached references) for its lifetime; workers are recycled after a
number of runs so the memory a large run took is given back. A worker dies with
the daemon, and ignores SIGINT/SIGTERM: the daemon decides when runs stop.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

RUNS_PER_WORKER = 25

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


def _die_with_parent() -> None:
    """Exit when the daemon is gone (kill -9 included), so no orphan keeps a claim alive.

    Not prctl(PR_SET_PDEATHSIG): that fires when the *thread* that started the worker exits,
    and the pool starts workers from short-lived threads.
    """
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _init_worker(config_text: str, config_file: str, owner: str, log_format: str | None) -> None:
    global _runner
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    from monitor import logs
    from monitor.config import parse_config
    from monitor.runner import Runner
    from monitor.store import Store
    from monitor.store.owners import worker_owner_id

    logs.configure(log_format, level="INFO")
    path = Path(config_file)
    config = parse_config(config_text, where=str(path), base_dir=path.resolve().parent)
    _runner = Runner(config, Store(config.service.store_url), owner=worker_owner_id(owner))


def _evaluate(monitor_name: str, start: datetime, end: datetime, notify: bool, force: bool = False) -> RunSummary:
    from monitor.figures import as_mapping
    from monitor.windows import Window

    assert _runner is not None, "worker not initialised"
    monitor = _runner.config.monitor(monitor_name)
    result = _runner.run(monitor, Window(start, end), notify=notify, force=force)
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
    )


class EvaluationPool:
    def __init__(
        self, *, config_text: str, config_file: str, owner: str, log_format: str | None, workers: int | None
    ) -> None:
        self.size = workers or os.cpu_count() or 1
        self._executor = ProcessPoolExecutor(
            max_workers=self.size,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(config_text, config_file, owner, log_format),
            max_tasks_per_child=RUNS_PER_WORKER,
        )

    def submit(
        self, monitor: str, start: datetime, end: datetime, notify: bool, force: bool = False
    ) -> Future[RunSummary]:
        return self._executor.submit(_evaluate, monitor, start, end, notify, force)

    def shutdown(self, *, wait: bool) -> None:
        self._executor.shutdown(wait=wait, cancel_futures=True)

    def kill(self) -> None:
        """After the grace period: stop the workers where they stand (their claims are released by the daemon)."""
        processes = dict(getattr(self._executor, "_processes", None) or {})  # no public API for this
        self._executor.shutdown(wait=False, cancel_futures=True)
        for process in processes.values():
            if process.is_alive():
                process.kill()
        for process in processes.values():
            process.join(timeout=5)
