"""Prometheus gauges of each monitor's latest figures (for Grafana and Prometheus rules), bounded in labels:
dataset-level figures from a fixed list, and per-column drift only for columns a rule names."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import and_, func, select
from sqlalchemy.exc import SQLAlchemyError

from monitor.config import Config
from monitor.service.scheduling import schedule_of
from monitor.store import Store
from monitor.store.models import MetricValue, Run
from monitor.times import utc_now

DATASET_FIGURES = (
    "drift.share",
    "drift.count",
    "prediction.drift.score",
    "rows",
    "missing.share",
    "labels.coverage",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "log_loss",
    "mae",
    "rmse",
    "mape",
    "r2",
    "estimated.roc_auc",
    "estimated.accuracy",
    "estimated.precision",
    "estimated.recall",
    "estimated.f1",
    "estimated.mae",
    "estimated.rmse",
    "estimated.mape",
    "multivariate.drift.score",
    "multivariate.drift.threshold",
    "multivariate.drift.detected",
)
# Per segment: a short list, and segments are at most 21 per segment column (the largest 20 and the rest).
SEGMENT_FIGURES = (
    "rows",
    "drift.share",
    "accuracy",
    "roc_auc",
    "mae",
    "estimated.roc_auc",
    "estimated.accuracy",
    "estimated.mae",
)
FAIRNESS_FIGURES = (
    "fairness.selection_rate_ratio",
    "fairness.selection_rate_difference",
    "fairness.tpr_difference",
    "fairness.fpr_difference",
    "fairness.accuracy_difference",
)


def watched_columns(config: Config) -> dict[str, set[str] | None]:
    """Per monitor, the columns whose drift is exported: those its rules name (None: every column, for "*")."""
    watched: dict[str, set[str] | None] = {}
    for monitor in config.monitors:
        columns: set[str] | None = set()
        for rule in monitor.rules:
            if rule.metric.startswith("drift.") and rule.column:
                if rule.column == "*":
                    columns = None
                    break
                columns.add(rule.column)
        if columns is None or columns:
            watched[monitor.name] = columns
    return watched


class LatestFigures:
    def __init__(self, store: Store, config_getter: Callable[[], Config]) -> None:
        self.store, self.config_getter = store, config_getter

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        config = self.config_getter()
        period = GaugeMetricFamily(
            "drifthound_monitor_period_seconds",
            "How often the monitor runs (its schedule's period).",
            labels=["monitor"],
        )
        now = utc_now()
        for monitor in config.monitors:
            schedule = schedule_of(monitor)
            tick = schedule.next_tick(now)
            period.add_metric([monitor.name], (schedule.next_tick(tick) - tick).total_seconds())
        yield period
        try:
            rows = self._latest(config)
        except SQLAlchemyError:
            return  # drifthound_store_up says why
        figures = GaugeMetricFamily(
            "drifthound_latest_figure",
            "The figure in the monitor's latest ok run (metric names as stored).",
            labels=["monitor", "metric"],
        )
        columns = GaugeMetricFamily(
            "drifthound_latest_column_drift_score",
            "A column's drift score in the latest ok run (columns named by rules only).",
            labels=["monitor", "column"],
        )
        segments = GaugeMetricFamily(
            "drifthound_latest_segment_figure",
            "A segment's figure in the latest ok run (segment = column=value; the largest 20 values and (other)).",
            labels=["monitor", "metric", "segment"],
        )
        fairness = GaugeMetricFamily(
            "drifthound_latest_fairness",
            "Fairness across a protected attribute's groups in the latest ok run.",
            labels=["monitor", "metric", "attribute"],
        )
        watched = watched_columns(config)
        for monitor, metric, column, segment, value in rows:
            if value is None:
                continue
            if segment:
                if not column and metric in SEGMENT_FIGURES:
                    segments.add_metric([monitor, metric, segment], value)
            elif not column and metric in DATASET_FIGURES:
                figures.add_metric([monitor, metric], value)
            elif metric in FAIRNESS_FIGURES:
                fairness.add_metric([monitor, metric, column], value)
            elif (
                metric == "drift.score"
                and monitor in watched
                and (watched[monitor] is None or column in watched[monitor])
            ):
                columns.add_metric([monitor, column], value)
        yield figures
        yield columns
        yield segments
        yield fairness

    def _latest(self, config: Config) -> list[tuple[str, str, str, str, float | None]]:
        names = [m.name for m in config.monitors]
        latest = (
            select(Run.monitor, func.max(Run.window_end).label("end"))
            .where(Run.status == "ok", Run.monitor.in_(names))
            .group_by(Run.monitor)
            .subquery()
        )
        with self.store.reading() as session:
            return [
                tuple(row)
                for row in session.execute(
                    select(
                        MetricValue.monitor,
                        MetricValue.metric,
                        MetricValue.column_name,
                        MetricValue.segment,
                        MetricValue.value,
                    )
                    .join(latest, and_(MetricValue.monitor == latest.c.monitor, MetricValue.window_end == latest.c.end))
                    .where(MetricValue.metric.in_([*DATASET_FIGURES, *FAIRNESS_FIGURES, "drift.score"]))
                )
            ]  # type: ignore[misc]
