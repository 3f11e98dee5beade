"""The report's account of a quality drop: for each quality figure (realized or estimated) that left its band or
crossed its rule's threshold, the segments and the features that account for it (explain/drop.py)."""

from __future__ import annotations

from typing import Any

from monitor.config import MonitorConfig
from monitor.explain.drop import LOWER_IS_BETTER, drops
from monitor.figures import MetricRow, segment_mapping
from monitor.metric_names import (
    CLASSIFICATION_METRICS,
    ESTIMATED_METRICS,
    REGRESSION_METRICS,
    realized_of,
)
from monitor.widgets import table_data

# An estimate is drawn against its band even without a rule (estimation.estimation_widget's k).
DEFAULT_K = 3.0
QUALITY = (*CLASSIFICATION_METRICS, *REGRESSION_METRICS, *sorted(ESTIMATED_METRICS))


def held_to(monitor: MonitorConfig) -> tuple[dict[str, float], dict[str, float]]:
    """(metric -> k of its band, metric -> the fixed bound on its worse side) from the monitor's rules on the whole
    window's quality figures; every estimate has a band of DEFAULT_K without a rule."""
    bands = {metric: DEFAULT_K for metric in ESTIMATED_METRICS}
    thresholds: dict[str, float] = {}
    for rule in monitor.rules:
        if rule.segment is not None or rule.metric not in QUALITY:
            continue
        if rule.outside_reference is not None:
            bands[rule.metric] = float(rule.outside_reference)
        bound = rule.above if realized_of(rule.metric) in LOWER_IS_BETTER else rule.below
        if bound is not None:
            thresholds[rule.metric] = bound
    return bands, thresholds


def drop_widget(metrics: list[MetricRow], monitor: MonitorConfig) -> list[Any]:
    bands, thresholds = held_to(monitor)
    found = drops(segment_mapping(metrics), QUALITY, bands, thresholds)
    if not found:
        return []
    rows = [
        [
            d.metric,
            f"{d.value:.4g}",
            f"{d.baseline:.4g}",
            ", ".join(f"{s.segment} {s.share:.0%} ({s.value:.3g} on {s.rows:,.0f} rows)" for s in d.segments[:5])
            or "no segment stands out",
            ", ".join(f"{f.feature} {f.share:.0%} ({f.effect:+.3g})" for f in d.features[:5]) or "none",
        ]
        for d in found
    ]
    return [
        table_data(
            title="What explains the quality drop: each segment's share of its segment column's shortfall (its rows "
            "x how far below the baseline it is), and the part of the drop that comes back when one drifted "
            "feature alone takes the reference's distribution (the estimate re-computed)",
            column_names=["metric", "value", "held to (reference mean or rule)", "segments", "features"],
            data=rows,
        )
    ]
