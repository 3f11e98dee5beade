"""`drifthound run`: the daemon systemd runs, in the foreground.

The main process schedules, serves HTTP and delivers notifications; evaluation
happens in worker processes. SIGTERM/SIGINT stop it cleanly within
shutdown_grace (unfinished runs abandoned, their claims released); SIGHUP reloads
the config (a bad new config is refused and the old one keeps running).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NoReturn

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor as JobThreads
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.orm import Session

from alerts.channels import build_channels
from alerts.delivery import Deliverer
from monitor import logs, redaction
from monitor.config import Config, parse_config
from monitor.errors import ConfigError
from monitor.runner import new_owner_id
from monitor.service import scheduling, systemd
from monitor.service.housekeeping import housekeep
from monitor.service.http import HttpContext, HttpServer
from monitor.service.pool import EvaluationPool, RunSummary
from monitor.service.prom import DaemonMetrics
from monitor.store import Store
from monitor.store.runs import expire_abandoned, fail_unfinished, labels_due, release_claims
from monitor.times import format_duration, iso, utc_now
from monitor.windows import due_windows

log = structlog.get_logger("drifthound.daemon")

HOUSEKEEPING_EVERY = timedelta(hours=1)


def read_config(path: Path) -> tuple[str, Config]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(str(path), f"cannot read it ({error.strerror or error})") from None
    return text, parse_config(text, where=str(path), base_dir=path.resolve().parent)


class Daemon:
    def __init__(self, config_file: Path, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.config_file = config_file
        self.config_text, self.config = read_config(config_file)
        logs.configure(self.config.service.log_format, level="INFO")
        self.clock = clock
        self.store = Store(self.config.service.store_url)
        self.store.ensure_schema()
        self.owner = new_owner_id()
        self.stopping = threading.Event()
        self._stop_requested = threading.Event()
        self._reload_requested = threading.Event()
        self._inflight: set[Future] = set()
        self._inflight_lock = threading.Lock()
        # Windows whose run broke off, to be failed at their monitor's next tick: True when it was the window's
        # own doing (its worker died under it), False when the store went away.
        self._unfinished: dict[tuple[str, datetime], bool] = {}
        self._workers_stopped = threading.Event()  # runs that broke off while the store was away
        self.metrics = DaemonMetrics(self.store, lambda: self.config, clock)
        self.http = HttpServer(
            self.config.service.http_listen,
            HttpContext(
                config=lambda: self.config,
                store=self.store,
                registry=self.metrics.registry,
                healthy=self.healthy,
                clock=clock,
            ),
        )
        self.pool = self._new_pool()
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": JobThreads(max(4, min(32, len(self.config.monitors) + 2)))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        self.deliverer = Deliverer(
            self.store,
            build_channels(self.config.channels, self.config.alerting.repeat_interval),
            owner=self.owner,
            clock=clock,
        )
        self._delivery_wake = threading.Event()
        self._delivery_thread = threading.Thread(target=self._deliver_loop, name="delivery", daemon=True)
        self._watchdog_thread = threading.Thread(target=self._watchdog_loop, name="watchdog", daemon=True)

    # --- lifecycle -------------------------------------------------------------------

    def serve(self) -> int:
        signal.signal(signal.SIGTERM, lambda *_: self._stop_requested.set())
        signal.signal(signal.SIGINT, lambda *_: self._stop_requested.set())
        signal.signal(signal.SIGHUP, lambda *_: self._reload_requested.set())
        self.start()
        while not self._stop_requested.wait(0.5):
            if self._reload_requested.is_set():
                self._reload_requested.clear()
                self.reload()
        self.stop()
        return 0

    def start(self) -> None:
        with self.store.session() as session:
            expired = expire_abandoned(session, now=self.clock())
        if expired:
            log.warning("runs.abandoned", runs=expired, hint="their owners died mid-run; they count as failed")
        self.http.start()
        self.scheduler.start()
        self._install_jobs()
        self._delivery_thread.start()
        self._watchdog_thread.start()
        systemd.notify("READY=1\nSTATUS=running")
        log.info(
            "daemon.started",
            owner=self.owner,
            monitors=len(self.config.monitors),
            workers=self.pool.size,
            reports=f"http://{self.http.address}/reports/",
        )

    def stop(self) -> None:
        if self.stopping.is_set():
            return
        self.stopping.set()
        systemd.notify("STOPPING=1")
        grace = self.config.service.shutdown_grace.total_seconds()
        self.scheduler.shutdown(wait=False)
        with self._inflight_lock:
            inflight = set(self._inflight)
        log.info("daemon.stopping", grace_s=grace, runs_in_progress=len(inflight))
        _, unfinished = wait(inflight, timeout=grace)
        if unfinished:
            self.pool.kill()
        else:
            self.pool.shutdown(wait=True)
        self._workers_stopped.set()
        with self.store.session() as session:
            released = release_claims(session, owner=self.owner, now=self.clock())
        self._delivery_wake.set()
        self._delivery_thread.join(timeout=30)
        self.deliverer.close()
        self.http.stop()
        self.store.dispose()
        log.info("daemon.stopped", abandoned_runs=released)

    def reload(self) -> None:
        try:
            text, config = read_config(self.config_file)
        except ConfigError as error:
            log.error(
                "config.reload_refused",
                error=redaction.redact(str(error)),
                hint="the running configuration stays; fix the file and send SIGHUP again",
            )
            return
        for key in ("store_url", "http_listen"):
            if getattr(config.service, key) != getattr(self.config.service, key):
                log.warning(
                    "config.reload_needs_restart",
                    key=f"service.{key}",
                    hint="this change takes effect at the next restart",
                )
        old_pool, old_channels = self.pool, self.deliverer.channels
        self.config_text, self.config = text, config
        self.pool = self._new_pool()
        old_pool.shutdown(wait=False)
        self.deliverer.replace_channels(build_channels(config.channels, config.alerting.repeat_interval))
        for channel in old_channels.values():
            channel.close()
        self._install_jobs()
        log.info("config.reloaded", monitors=len(config.monitors))

    def healthy(self) -> tuple[bool, str]:
        if self.stopping.is_set():
            return False, "stopping"
        if not self.scheduler.running:
            return False, "the scheduler is not running"
        if not self._delivery_thread.is_alive():
            return False, "the delivery worker stopped"
        return True, f"{len(self.config.monitors)} monitors scheduled"

    # --- work --------------------------------------------------------------------------

    def _new_pool(self) -> EvaluationPool:
        return EvaluationPool(
            config_text=self.config_text,
            config_file=str(self.config_file),
            owner=self.owner,
            log_format=self.config.service.log_format,
            workers=self.config.service.workers,
        )

    def _install_jobs(self) -> None:
        for job in self.scheduler.get_jobs():
            job.remove()
        now = self.clock()
        for monitor in self.config.monitors:
            trigger, grace = scheduling.trigger_for(monitor)
            self.scheduler.add_job(
                self._run_monitor,
                trigger,
                args=[monitor.name],
                id=f"monitor:{monitor.name}",
                name=monitor.name,
                misfire_grace_time=grace,
                next_run_time=now,
            )
        self.scheduler.add_job(
            self._housekeeping,
            "interval",
            seconds=HOUSEKEEPING_EVERY.total_seconds(),
            id="housekeeping",
            next_run_time=now + timedelta(minutes=1),
        )

    def _run_monitor(self, name: str) -> None:
        config = self.config
        monitor = next((m for m in config.monitors if m.name == name), None)
        if monitor is None or self.stopping.is_set():
            return
        now = self.clock()
        schedule = scheduling.schedule_of(monitor)
        horizon = config.service.catch_up
        try:
            with self.store.session() as session:
                self._fail_unfinished(session, name, now)
                settled = scheduling.settled_ends(session, name, since=schedule.last_tick(now) - horizon, now=now)
        except Exception as error:
            self.metrics.store_errors.inc()
            log.error("schedule.store_unavailable", monitor=name, error=redaction.redact(str(error)))
            return
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
        for index, window in enumerate(windows):
            if self.stopping.is_set():
                return
            # Catch-up runs fold into one message: only the latest (first) and the last run notify.
            notify = index == 0 or index == len(windows) - 1
            self._evaluate(name, window, notify)
        if monitor.labels is not None:
            self._label_passes(name)

    def _label_passes(self, name: str) -> None:
        """Windows whose labels are now due are evaluated again, with their model quality."""
        try:
            with self.store.session() as session:
                due = labels_due(session, monitor=name, now=self.clock())
        except Exception as error:
            self.metrics.store_errors.inc()
            log.error("schedule.store_unavailable", monitor=name, error=redaction.redact(str(error)))
            return
        if due:
            log.info("labels.due", monitor=name, windows=len(due), oldest=iso(due[0].end))
        for index, window in enumerate(due):
            if self.stopping.is_set():
                return
            self._evaluate(name, window, notify=index == len(due) - 1, force=True)

    def _evaluate(self, name: str, window, notify: bool, force: bool = False) -> None:
        try:
            future = self.pool.submit(name, window.start, window.end, notify, force)
        except RuntimeError:  # the pool is shutting down (stop, or a reload swapped it)
            return
        with self._inflight_lock:
            self._inflight.add(future)
        try:
            summary = self._result(future)
            if summary is None:
                return
        except BrokenProcessPool:
            if not self.stopping.is_set():
                log.error(
                    "worker.died",
                    monitor=name,
                    window_end=iso(window.end),
                    hint="a worker process exited mid-run; the window is retried as a missed one",
                )
                with self._inflight_lock:
                    self._unfinished[(name, window.end)] = True  # counts: a window that kills workers is given up
                self._replace_broken_pool()
            return
        except Exception as error:
            if not self.stopping.is_set():
                self.metrics.runs.labels(name, "error").inc()
                log.error("run.error", monitor=name, window_end=iso(window.end), error=redaction.redact(repr(error)))
                with self._inflight_lock:
                    self._unfinished.setdefault((name, window.end), False)
            return
        finally:
            with self._inflight_lock:
                self._inflight.discard(future)
        if not summary.recorded:
            with self._inflight_lock:
                self._unfinished.setdefault((name, window.end), False)
        self.metrics.observe(summary.monitor, summary.status, summary.duration_seconds, summary.rows)
        if summary.notifications:
            self._delivery_wake.set()

    def _result(self, future: Future) -> RunSummary | None:
        """The run's summary; None once the daemon has stopped its workers (a killed worker's future may never
        resolve, and a job thread waiting on it for ever would keep the process from exiting)."""
        while True:
            try:
                return future.result(timeout=1.0)
            except TimeoutError:
                if self._workers_stopped.is_set():
                    return None

    def _fail_unfinished(self, session: Session, name: str, now: datetime) -> None:
        """Windows whose run broke off are failed now the store answers, so this tick retries them instead of
        waiting for their claims to time out."""
        with self._inflight_lock:
            mine = {key: its_own for key, its_own in self._unfinished.items() if key[0] == name}
        for (monitor, window_end), its_own in mine.items():
            reason = (
                "the worker evaluating this window died; retried"
                if its_own
                else "the run broke off before its result was stored (store unreachable); retried"
            )
            fail_unfinished(session, monitor=monitor, window_end=window_end, reason=reason, now=now, its_own=its_own)
            with self._inflight_lock:
                self._unfinished.pop((monitor, window_end), None)

    def _replace_broken_pool(self) -> None:
        broken = self.pool
        self.pool = self._new_pool()
        broken.shutdown(wait=False)

    def _deliver_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                sent = self.deliverer.run_once()
            except Exception as error:  # the store may be away; try again shortly
                log.error("delivery.error", error=redaction.redact(str(error)))
                sent = 0
            if not sent:
                self._delivery_wake.wait(1.0)
                self._delivery_wake.clear()

    def _watchdog_loop(self) -> None:
        interval = systemd.watchdog_interval()
        if interval is None:
            return
        while not self.stopping.wait(interval):
            ok, _ = self.healthy()
            if ok:  # a hung daemon stops pinging, and systemd restarts it
                systemd.notify("WATCHDOG=1")

    def _housekeeping(self) -> None:
        now = self.clock()
        try:
            with self.store.session() as session:
                expire_abandoned(session, now=now)
            purged = housekeep(
                self.store, self.config.service.reports_dir, before=now - self.config.service.report_retention
            )
        except Exception as error:
            log.error("housekeeping.failed", error=redaction.redact(str(error)))
            return
        if purged.runs or purged.reports or purged.notifications:
            log.info(
                "housekeeping.purged", runs=purged.runs, reports=purged.reports, notifications=purged.notifications
            )


def run(config_file: Path) -> int:
    daemon = Daemon(config_file)
    print(
        f"drifthound: running {len(daemon.config.monitors)} monitors; reports at "
        f"http://{daemon.http.address}/reports/ (Ctrl-C stops)",
        flush=True,
    )
    started = time.monotonic()
    code = daemon.serve()
    log.info("daemon.exit", uptime_s=round(time.monotonic() - started, 1))
    return code


def exit_now(code: int) -> NoReturn:
    """Ends the process once the daemon has stopped: everything is stored and its claims released, but
    concurrent.futures joins its threads at interpreter exit, and a process pool whose workers were killed
    after the grace period can wait there for ever (seen with 50 monitors busy at SIGTERM)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
