"""Gathering what a column's page shows, from the store and the newest run's JSON (never the source): the I/O
half of monitor.web.column_page."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import MonitorConfig
from monitor.metric_names import QUANTILES, quantile_name
from monitor.store.models import MetricValue, Run
from monitor.web.column_page import ColumnRun, ColumnView, Distribution
from monitor.web.pages import Series
from monitor.web.site import TREND_RUNS, existing_reports

log = structlog.get_logger("drifthound.http")

DRIFT = ("drift.ratio", "drift.detected")
QUANTILE_NAMES = {quantile_name(q): q for q in QUANTILES}


def column_view(
    session: Session, monitor: MonitorConfig, column: str, *, reports_dir: Path, runs: int = TREND_RUNS
) -> ColumnView | None:
    """The column's page over the monitor's newest `runs` runs; None when the store holds no figure of it."""
    recent = list(
        session.scalars(select(Run).where(Run.monitor == monitor.name).order_by(Run.window_end.desc()).limit(runs))
    )
    since = recent[-1].window_end - timedelta(seconds=1) if recent else None
    query = select(MetricValue.metric, MetricValue.window_end, MetricValue.value, MetricValue.method).where(
        MetricValue.monitor == monitor.name,
        MetricValue.column_name == column,
        MetricValue.segment == "",
        MetricValue.metric.in_((*DRIFT, *QUANTILE_NAMES)),
    )
    found = session.execute(query if since is None else query.where(MetricValue.window_end > since)).all()
    importance = session.execute(
        select(MetricValue.value, MetricValue.window_end)
        .where(
            MetricValue.monitor == monitor.name,
            MetricValue.column_name == column,
            MetricValue.segment == "",
            MetricValue.metric == "importance",
            MetricValue.value.is_not(None),
        )
        .order_by(MetricValue.window_end.desc())
        .limit(1)
    ).first()
    if not found and importance is None:
        return None
    by_metric: dict[str, dict[datetime, float | None]] = {}
    methods: dict[datetime, str | None] = {}
    for metric, end, value, method in found:
        by_metric.setdefault(metric, {})[end] = value
        if metric == "drift.ratio":
            methods[end] = method
    existing = existing_reports(reports_dir, monitor.name)
    reports = {r.window_end: r.report_path for r in recent if r.report_path in existing}
    links = {end: f"/reports/{path}" for end, path in reports.items()}
    ends = tuple(sorted({r.window_end for r in recent if r.status == "ok"}))
    ratios = by_metric.get("drift.ratio", {})
    ratio = Series(
        f"{column}: drift ratio (1 and above is drift)",
        tuple((end, ratios.get(end)) for end in ends),
        markers=tuple((ratios.get(end) or 0.0) >= 1.0 for end in ends),
        links=links,
    )
    quantiles = {q: by_metric.get(name, {}) for name, q in QUANTILE_NAMES.items() if name in by_metric}
    medians = by_metric.get(quantile_name(50), {})
    detected = by_metric.get("drift.detected", {})
    rows = tuple(
        ColumnRun(
            r.window_start,
            r.window_end,
            ratios.get(r.window_end),
            detected.get(r.window_end),
            methods.get(r.window_end),
            medians.get(r.window_end),
            reports.get(r.window_end),
        )
        for r in recent
        if r.status == "ok"
    )
    distribution, reference = _newest_distribution(reports_dir, column, recent, reports)
    return ColumnView(
        monitor=monitor.name,
        column=column,
        ratio=ratio,
        ends=ends,
        quantiles=quantiles,
        reference_quantiles=reference,
        links=links,
        runs=rows,
        distribution=distribution,
        importance=None if importance is None else (importance[0], importance[1]),
    )


def _newest_distribution(
    reports_dir: Path, column: str, recent: list[Run], reports: dict[datetime, str]
) -> tuple[Distribution | None, dict[int, float]]:
    """The column's summary in the newest run whose JSON holds one (evaluation/column_summary.py), and the
    reference's quantiles it recorded."""
    for run in recent:
        path = reports.get(run.window_end)
        if path is None:
            continue
        try:
            snapshot = json.loads((reports_dir / path).with_suffix(".json").read_text())
        except (OSError, ValueError) as error:
            log.warning("column_page.unreadable_run", path=path, error=str(error))
            continue
        found = (snapshot.get("columns") or {}).get(column)
        quantiles = (snapshot.get("reference_quantiles") or {}).get(column) or {}
        reference = {
            QUANTILE_NAMES[name]: float(value)
            for name, value in quantiles.items()
            if name in QUANTILE_NAMES and value is not None
        }
        if not isinstance(found, dict):
            return None, reference
        return (
            Distribution(
                str(found.get("kind", "")),
                tuple(str(x) for x in found.get("x", ())),
                tuple(float(v) for v in found.get("reference", ())),
                tuple(float(v) for v in found.get("window", ())),
                run.window_end,
                path,
            ),
            reference,
        )
    return None, {}
