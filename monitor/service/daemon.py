"""`drifthound run`: the daemon systemd runs, in the foreground.

A short composition of parts, each with start and stop: the scheduler (when each
monitor's tick fires), the dispatcher (what a tick evaluates, in worker processes),
the delivery loop, the watchdog, the housekeeper, and the HTTP server. SIGTERM and
SIGINT stop it cleanly within shutdown_grace (unfinished runs abandoned, their claims
released); SIGHUP reloads the config (a bad new config is refused, and the old one
keeps running).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import structlog

from alerts.channels import build_channels
from alerts.delivery import Deliverer
from monitor import logs, redaction
from monitor.config import Config, MonitorConfig, parse_config
from monitor.errors import ConfigError
from monitor.service import scheduling, systemd
from monitor.service.delivery_loop import DeliveryLoop
from monitor.service.dispatch import Dispatcher
from monitor.service.housekeeper import Housekeeper
from monitor.service.prom import DaemonMetrics
from monitor.service.scheduler import Job, Scheduler
from monitor.service.watchdog import Watchdog
from monitor.store import Store
from monitor.store.owners import new_owner_id
from monitor.store.runs import expire_abandoned, release_claims
from monitor.times import utc_now
from monitor.web.http import HttpContext, HttpServer
from monitor.web.tls import server_context

log = structlog.get_logger("drifthound.daemon")

# Threads that wait on monitors' runs (started as needed): a slow monitor must not hold up the others.
JOB_THREADS = 32


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
        self.started = threading.Event()
        self._stop_requested = threading.Event()
        self._reload_requested = threading.Event()
        self.metrics = DaemonMetrics(self.store, lambda: self.config, clock)
        service = self.config.service
        tls = server_context(service.tls_cert_file, service.tls_key_file) if service.tls else None
        self.http = HttpServer(
            self.config.service.http_listen,
            HttpContext(
                config=lambda: self.config,
                store=self.store,
                registry=self.metrics.registry,
                healthy=self.healthy,
                clock=clock,
            ),
            tls=tls,
        )
        self.delivery = DeliveryLoop(
            Deliverer(
                self.store,
                build_channels(self.config.channels, self.config.alerting.repeat_interval),
                owner=self.owner,
                clock=clock,
            )
        )
        self.dispatcher = Dispatcher(
            config=lambda: self.config,
            config_text=lambda: self.config_text,
            config_file=config_file,
            store=self.store,
            owner=self.owner,
            metrics=self.metrics,
            clock=clock,
            on_notifications=self.delivery.wake,
        )
        self.scheduler = Scheduler(threads=JOB_THREADS, clock=clock)
        self.watchdog = Watchdog(self.healthy)
        self.housekeeper = Housekeeper(self.store, lambda: self.config, clock)

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
        self.scheduler.set_jobs(self._jobs())
        self.scheduler.start()
        self.delivery.start()
        self.housekeeper.start()
        self.started.set()
        systemd.notify("READY=1\nSTATUS=running")
        self.watchdog.start()  # its first ping must not come before READY
        log.info(
            "daemon.started",
            owner=self.owner,
            monitors=len(self.config.monitors),
            workers=self.dispatcher.size,
            reports=f"{self.http.url}/reports/",
        )

    def stop(self) -> None:
        if self.stopping.is_set():
            return
        self.stopping.set()
        systemd.notify("STOPPING=1")
        self.scheduler.stop()
        self.housekeeper.stop()
        self.watchdog.stop()
        self.dispatcher.stop(self.config.service.shutdown_grace.total_seconds())
        with self.store.session() as session:
            released = release_claims(session, owner=self.owner, now=self.clock())
        self.delivery.stop()
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
        for key in ("store_url", "http_listen", "tls"):
            if getattr(config.service, key) != getattr(self.config.service, key):
                log.warning(
                    "config.reload_needs_restart",
                    key=f"service.{key}",
                    hint="this change takes effect at the next restart",
                )
        self._reload_certificate(config)
        self.config_text, self.config = text, config
        self.dispatcher.renew()
        self.delivery.replace_channels(build_channels(config.channels, config.alerting.repeat_interval))
        self.scheduler.set_jobs(self._jobs())
        log.info("config.reloaded", monitors=len(config.monitors))

    def _reload_certificate(self, config: Config) -> None:
        """A renewed certificate is presented from the next connection on (SIGHUP after the files change)."""
        service = config.service
        if not (service.tls and self.config.service.tls):
            return
        try:
            self.http.renew_tls(server_context(service.tls_cert_file, service.tls_key_file))
        except ConfigError as error:
            log.error("tls.reload_refused", error=str(error), hint="the certificate loaded before stays in use")

    def healthy(self) -> tuple[bool, str]:
        # The listener opens first, so a probe can arrive before the scheduler and delivery worker run.
        if not self.started.is_set():
            return False, "starting"
        if self.stopping.is_set():
            return False, "stopping"
        if not self.scheduler.running:
            return False, "the scheduler is not running"
        if not self.delivery.alive:
            return False, "the delivery worker stopped"
        return True, f"{len(self.config.monitors)} monitors scheduled"

    def _jobs(self) -> list[Job]:
        return [self._job(monitor) for monitor in self.config.monitors]

    def _job(self, monitor: MonitorConfig) -> Job:
        schedule = scheduling.schedule_of(monitor)
        name = monitor.name
        return Job(name, schedule.next_tick, lambda: self.dispatcher.tick(name))


def run(config_file: Path) -> int:
    daemon = Daemon(config_file)
    print(
        f"drifthound: running {len(daemon.config.monitors)} monitors; reports at "
        f"{daemon.http.url}/reports/ (Ctrl-C stops)",
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
