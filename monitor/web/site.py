"""Gathering what the reports site shows, from the store (the I/O half of the pages)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import silences
from alerts.models import Alert
from monitor.column_figures import RANKING, column_rank
from monitor.config import Config, MonitorConfig
from monitor.metric_names import (
    CLASSIFICATION_METRICS,
    ESTIMATED_CLASSIFICATION,
    ESTIMATED_REGRESSION,
    REGRESSION_METRICS,
    estimated_name,
    reference_names,
)
from monitor.reports import report_name, report_stamps
from monitor.store.dropped import dropped_in
from monitor.store.models import MetricValue, Run
from monitor.times import format_duration, parse_file_stamp
from monitor.web.charts import Threshold
from monitor.web.column_page import column_url
from monitor.web.cycle_note import cycle_warning
from monitor.web.pages import AlertRow, HeatMap, MonitorView, RunRow, Series

TREND_RUNS = 500
# Every quality figure gets its chart, its estimate beside it when there is one: roc_auc first (the index page
# shows the first), then the order of metric_names.
QUALITY = ("roc_auc", *(m for m in (*CLASSIFICATION_METRICS, *REGRESSION_METRICS) if m != "roc_auc"))
ESTIMATED = frozenset((*ESTIMATED_CLASSIFICATION, *ESTIMATED_REGRESSION))
QUALITY_NAMES = tuple(
    name
    for m in QUALITY
    for figure in ((m, estimated_name(m)) if m in ESTIMATED else (m,))
    for name in (figure, *reference_names(figure))
)


def monitor_view(
    session: Session, monitor: MonitorConfig, now: datetime, *, runs: int = TREND_RUNS, reports_dir: Path | None = None
) -> MonitorView:
    """What the monitor's page shows. With `reports_dir`, only reports whose files exist are linked (housekeeping,
    or a hand, may have deleted some that runs still name)."""
    rows = list(
        session.scalars(select(Run).where(Run.monitor == monitor.name).order_by(Run.window_end.desc()).limit(runs))
    )
    existing = None if reports_dir is None else existing_reports(reports_dir, monitor.name)

    def report_of(run: Run) -> str | None:
        return run.report_path if existing is None or run.report_path in existing else None

    since = rows[-1].window_end - timedelta(seconds=1) if rows else now
    figures = session.execute(
        select(MetricValue.metric, MetricValue.window_end, MetricValue.value).where(
            MetricValue.monitor == monitor.name,
            MetricValue.column_name == "",
            MetricValue.segment == "",  # the whole window's: a segment's rows or quality are not the window's
            MetricValue.window_end > since,
            MetricValue.metric.in_(
                (
                    "drift.share",
                    "rows",
                    "missing.share",
                    "prediction.drift.score",
                    "labels.coverage",
                    *QUALITY_NAMES,
                )
            ),
        )
    ).all()
    by_metric: dict[str, dict[datetime, float | None]] = {}
    for metric, end, value in figures:
        by_metric.setdefault(metric, {})[end] = value
    ends = sorted({r.window_end for r in rows if r.status == "ok"})
    shares = by_metric.get("drift.share", {})
    run_rows = tuple(
        RunRow(r.window_start, r.window_end, r.status, r.reason, r.rows, report_of(r), shares.get(r.window_end))
        for r in rows
    )
    gaps = tuple(
        (r.window_end, f"{r.status}: {r.reason or ''}") for r in rows if r.status in ("failed", "skipped", "dropped")
    )
    links = {r.window_end: f"/reports/{report_of(r)}" for r in rows if report_of(r)}
    series = [_series("drift share (drifted features / features)", ends, shares, gaps, links)]
    series += [
        _quality_series(monitor, m, ends, by_metric, links)
        for m in QUALITY
        if m in by_metric or estimated_name(m) in by_metric
    ]
    for metric, title in (
        ("prediction.drift.score", "prediction drift score"),
        ("missing.share", "missing share"),
        ("rows", "rows per window"),
    ):
        if metric in by_metric:
            series.append(_series(title, ends, by_metric[metric], links=links))
    alerts = session.scalars(
        select(Alert)
        .where(Alert.monitor == monitor.name, Alert.state.in_(("firing", "pending")))
        .order_by(Alert.state, Alert.rule)
    ).all()
    active = silences.active(session, now=now, monitor=monitor.name)
    maps = (
        _column_heat_map(session, monitor.name, since, ends, links),
        _segment_heat_map(session, monitor.name, since, ends, links),
    )
    heat_maps = tuple(h for h in maps if h is not None)
    return MonitorView(
        name=monitor.name,
        schedule=monitor.schedule or f"every {format_duration(monitor.every)}",
        window=format_duration(monitor.window),
        runs=run_rows,
        alerts=tuple(
            AlertRow(
                a.rule, a.column_name, a.state, a.severity, a.metric, a.value, a.threshold, a.op, a.since, a.segment
            )
            for a in alerts
        ),
        series=tuple(series),
        silenced_until=max((s.ends_at for s in active if s.rule is None), default=None),
        heat_maps=heat_maps,
        dropped=dropped_in(session, monitor.name, since=now - timedelta(days=1)),
        cycle_warning=cycle_warning(reports_dir, rows),
    )


def existing_reports(reports_dir: Path, monitor: str) -> set[str]:
    """The report paths (as runs store them) whose files are there now: one listing of the folder."""
    return {report_name(monitor, parse_file_stamp(stamp)) for stamp in report_stamps(reports_dir / monitor)}


def _band_width(monitor: MonitorConfig, *metrics: str) -> float:
    """The `outside_reference = k` of the monitor's rule on the first of `metrics` that has one (3 without one):
    the band the chart shades is the one the rule holds the figure to."""
    for metric in metrics:
        for rule in monitor.rules:
            if rule.metric == metric and rule.segment is None and rule.outside_reference is not None:
                return float(rule.outside_reference)
    return 3.0


def _thresholds(monitor: MonitorConfig, metric: str) -> tuple[Threshold, ...]:
    """The fixed bounds of the monitor's rules on the whole window's `metric` (a segment's rule holds a segment's
    figure, not the charted one)."""
    found = []
    for rule in monitor.rules:
        if rule.metric != metric or rule.segment is not None:
            continue
        if rule.above is not None:
            found.append(Threshold(rule.above, True, metric, rule.name))
        if rule.below is not None:
            found.append(Threshold(rule.below, False, metric, rule.name))
    return tuple(found)


def _quality_series(
    monitor: MonitorConfig,
    metric: str,
    ends: list[datetime],
    by_metric: dict[str, dict[datetime, float | None]],
    links: dict[datetime, str],
) -> Series:
    """One quality figure's chart: the estimate as the line and the realized figure as squares (or the realized
    figure as the line when nothing estimates it), the band (mean +- k std of the realized figure over reference
    windows) at each window, and the fixed thresholds of the rules on either."""
    estimated = estimated_name(metric)
    estimate = by_metric.get(estimated)
    realized = by_metric.get(metric, {})
    # An estimate always stores its band; a realized figure only for a rule relative to the reference.
    banded = estimated if estimate is not None else metric
    k = _band_width(monitor, banded, metric)
    mean_name, std_name = reference_names(banded)
    means, stds = by_metric.get(mean_name, {}), by_metric.get(std_name, {})
    band = []
    for end in ends:
        mean, std = means.get(end), stds.get(end)
        band.append((mean - k * std, mean + k * std) if mean is not None and std is not None else None)
    shaded = f", reference band ±{k:g} std" if any(band) else ""
    if estimate is None:
        return Series(
            f"{metric}: realized{shaded}",
            tuple((end, realized.get(end)) for end in ends),
            band=tuple(band),
            rules=_thresholds(monitor, metric),
            links=links,
        )
    squares = ", realized (squares)" if any(v is not None for v in realized.values()) else ""
    return Series(
        f"{metric}: estimated (line){squares}{shaded}",
        tuple((end, estimate.get(end)) for end in ends),
        realized=tuple(realized.get(end) for end in ends),
        band=tuple(band),
        rules=_thresholds(monitor, estimated),
        realized_rules=_thresholds(monitor, metric),
        links=links,
    )


MAX_HEAT_ROWS = 25


def _column_heat_map(
    session: Session, monitor: str, since: datetime, ends: list[datetime], links: dict[datetime, str]
) -> HeatMap | None:
    """Since when, at a glance: each column's drift ratio (its deciding statistic over its threshold; 1 is the
    threshold) per window; the columns whose drift moved the model most first (their largest drift.impact over
    the period) when the runs have impacts, then the most drifted (column_figures.column_rank); each column's
    label opens its page."""
    found = session.execute(
        select(MetricValue.column_name, MetricValue.window_end, MetricValue.metric, MetricValue.value).where(
            MetricValue.monitor == monitor,
            MetricValue.metric.in_(sorted({*RANKING, "drift.score", "drift.threshold"})),
            MetricValue.column_name != "",
            MetricValue.segment == "",
            MetricValue.window_end > since,
        )
    ).all()
    if not found:
        return None
    parts: dict[tuple[str, datetime], dict[str, float | None]] = {}
    for column, end, metric, value in found:
        parts.setdefault((column, end), {})[metric] = value
    values: dict[tuple[str, datetime], float | None] = {}
    for key, figures in parts.items():
        ratio = figures.get("drift.ratio")
        if ratio is None:
            score, threshold = figures.get("drift.score"), figures.get("drift.threshold")
            ratio = score / threshold if score is not None and threshold else None
        values[key] = ratio
    # Each ranking figure's values over the period, per column (the ratio as the cells show it).
    over_time: dict[str, dict[str, list[float]]] = {name: {} for name in RANKING}
    for (column, end), figures in parts.items():
        seen = {**figures, "drift.ratio": values[(column, end)] or 0.0}
        for name in RANKING:
            if seen.get(name) is not None:
                over_time[name].setdefault(column, []).append(seen[name])  # type: ignore[arg-type]
    rank = column_rank({name: {c: max(v) for c, v in by_column.items()} for name, by_column in over_time.items()})
    rows = tuple(sorted({column for column, _ in parts}, key=lambda c: (rank[c], c))[:MAX_HEAT_ROWS])
    return HeatMap(
        "Columns over time: drift ratio (the deciding statistic over its threshold; 1 and above is drift), "
        "click a cell for that run's report",
        rows,
        tuple(ends),
        values,
        4.0,
        1.0,
        links,
        "drift ratio",
        {column: column_url(monitor, column) for column in rows},
    )


def _segment_heat_map(
    session: Session, monitor: str, since: datetime, ends: list[datetime], links: dict[datetime, str]
) -> HeatMap | None:
    """Which segments drift, over time: each segment's drift share per window, the most drifted first."""
    found = session.execute(
        select(MetricValue.segment, MetricValue.window_end, MetricValue.value).where(
            MetricValue.monitor == monitor,
            MetricValue.metric == "drift.share",
            MetricValue.column_name == "",
            MetricValue.segment != "",
            MetricValue.window_end > since,
        )
    ).all()
    if not found:
        return None
    values: dict[tuple[str, datetime], float | None] = {(segment, end): value for segment, end, value in found}
    worst: dict[str, float] = {}
    for (segment, _), value in values.items():
        worst[segment] = max(worst.get(segment, 0.0), value or 0.0)
    rows = tuple(sorted(worst, key=lambda s: (-worst[s], s))[:MAX_HEAT_ROWS])
    return HeatMap(
        "Segments over time: each one's share of drifted features (click a cell for that run's report)",
        rows,
        tuple(ends),
        values,
        1.0,
        0.3,
        links,
        "drift share",
    )


def _series(
    title: str,
    ends: list[datetime],
    values: dict[datetime, float | None],
    gaps: tuple[tuple[datetime, str], ...] = (),
    links: dict[datetime, str] | None = None,
) -> Series:
    return Series(title, tuple((end, values.get(end)) for end in ends), gaps=gaps, links=links or {})


def all_views(session: Session, config: Config, now: datetime) -> list[MonitorView]:
    return [
        monitor_view(session, monitor, now, runs=TREND_RUNS, reports_dir=config.service.reports_dir)
        for monitor in config.monitors
    ]
