"""Prometheus metrics: counters kept by this process, and gauges read from the store at each scrape.

Counters (runs, durations, rows) count what this daemon did since it started, as
Prometheus expects; states (last success, alerts, the outbox, broken channels) come
from the store, so every replica reports the same truth. Labels are bounded: no
label per window or per run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from monitor.service.prom_figures import LatestFigures
from monitor.store import Store
from monitor.store.models import Run

# The `_created` series double every counter for little use (and promtool flags them).
disable_created_metrics()

# From 0.05 s: a small window's run takes well under half a second (bench/README.md, "A small run's fixed cost").
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800)


class DaemonMetrics:
    def __init__(self, store: Store, config_getter: Callable[[], object], clock: Callable[[], datetime]) -> None:
        self.registry = CollectorRegistry()
        self.runs = Counter(
            "drifthound_runs",
            "Runs finished by this process, by monitor and outcome.",
            ["monitor", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "drifthound_run_duration_seconds",
            "How long runs took, reading included.",
            ["monitor"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.rows = Counter(
            "drifthound_rows_read", "Rows of current windows read by this process.", ["monitor"], registry=self.registry
        )
        self.store_errors = Counter(
            "drifthound_store_errors",
            "Times this process could not reach the store to schedule a monitor's runs (an outage shows here).",
            registry=self.registry,
        )
        self.windows_dropped = Counter(
            "drifthound_windows_dropped",
            "Windows that aged past catch_up unevaluated (the workers did not keep up), found by this process.",
            ["monitor"],
            registry=self.registry,
        )
        self.registry.register(_StoreCollector(store, config_getter, clock))
        self.registry.register(LatestFigures(store, config_getter))  # type: ignore[arg-type]

    def observe(self, monitor: str, status: str, duration_seconds: float, rows: float | None) -> None:
        self.runs.labels(monitor, status).inc()
        if status in ("ok", "skipped", "failed"):
            self.duration.labels(monitor).observe(duration_seconds)
        if rows:
            self.rows.labels(monitor).inc(rows)


class _StoreCollector:
    def __init__(self, store: Store, config_getter: Callable[[], object], clock: Callable[[], datetime]) -> None:
        self.store, self.config_getter, self.clock = store, config_getter, clock

    def describe(self) -> list[Metric]:
        return []  # collected fresh at every scrape

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("drifthound_store_up", "1 when the store answered this scrape.")
        try:
            families = list(self._from_store())
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _from_store(self) -> Iterator[Metric]:
        from alerts import health, outbox
        from alerts.models import Alert

        config = self.config_getter()
        monitors = [m.name for m in config.monitors]  # type: ignore[attr-defined]
        last = GaugeMetricFamily(
            "drifthound_last_success_timestamp_seconds",
            "When the monitor's latest ok run finished (Unix time).",
            labels=["monitor"],
        )
        window = GaugeMetricFamily(
            "drifthound_last_window_end_timestamp_seconds",
            "End of the latest window with an ok run (Unix time).",
            labels=["monitor"],
        )
        alerts = GaugeMetricFamily("drifthound_alerts", "Alerts by state.", labels=["monitor", "state"])
        messages = GaugeMetricFamily(
            "drifthound_outbox_messages", "Notifications in the outbox by status.", labels=["status"]
        )
        oldest = GaugeMetricFamily(
            "drifthound_outbox_oldest_queued_age_seconds", "Age of the oldest queued notification (0 when none)."
        )
        broken = GaugeMetricFamily(
            "drifthound_channel_broken",
            "1 when the channel refused a notification outright (e.g. channel_is_archived).",
            labels=["channel"],
        )
        with self.store.reading() as session:
            rows = session.execute(
                select(Run.monitor, func.max(Run.finished_at), func.max(Run.window_end))
                .where(Run.status == "ok")
                .group_by(Run.monitor)
            ).all()
            latest = {monitor: (finished, end) for monitor, finished, end in rows}
            counts = session.execute(
                select(Alert.monitor, Alert.state, func.count()).group_by(Alert.monitor, Alert.state)
            ).all()
            backlog = outbox.backlog(session)
            broken_names = {row.channel for row in health.broken_channels(session)}
        for monitor in monitors:
            if monitor in latest:
                last.add_metric([monitor], latest[monitor][0].timestamp())
                window.add_metric([monitor], latest[monitor][1].timestamp())
        by_key = {(monitor, state): count for monitor, state, count in counts}
        for monitor in monitors:
            for state in ("pending", "firing"):
                alerts.add_metric([monitor, state], by_key.get((monitor, state), 0))
        messages.add_metric(["queued"], backlog.queued)
        messages.add_metric(["dead"], backlog.dead)
        age = (self.clock() - backlog.oldest_queued).total_seconds() if backlog.oldest_queued else 0.0
        oldest.add_metric([], max(0.0, age))
        for channel in config.channels:  # type: ignore[attr-defined]
            broken.add_metric([channel], 1 if channel in broken_names else 0)
        yield from (last, window, alerts, messages, oldest, broken)
