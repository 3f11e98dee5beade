"""The range each figure keeps on the reference, for rules with `outside_reference = k`.

The reference is cut into windows of the monitor's window size (by timestamp; a
reference table without timestamps into chunks of the current window's row count),
the figure is computed on each, and its mean and standard deviation are stored with
the run as `<metric>.reference_mean` and `<metric>.reference_std`. The formulas are
the run's own (performance/realized.py; tests hold them equal to Evidently's).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

import numpy as np
import pandas as pd

from monitor.columns.roles import ColumnRoles
from monitor.figures import MetricRow
from monitor.metric_names import realized_of, reference_names
from monitor.performance.outcomes import labelled
from monitor.performance.realized import realized
from monitor.windows import Window

# Fewer reference windows than this give no range (the rule then has no verdict).
MIN_WINDOWS = 5
# Reference windows with fewer rows than this are too noisy to count.
MIN_WINDOW_ROWS = 20


def reference_windows(
    frame: pd.DataFrame,
    timestamps: pd.Series | None,
    window: timedelta,
    current_rows: int,
    spans: Sequence[Window] | None = None,
) -> list[pd.DataFrame]:
    """`spans`: a seasonal reference's spans (the same hours of each day), each cut on its own from its start,
    so the reference windows are the same-hour slices, never a piece of two days."""
    if timestamps is not None and timestamps.notna().any():
        if spans and len(spans) > 1:
            index = _span_windows(timestamps, spans, window)
        else:
            index = ((timestamps - timestamps.min()) // pd.Timedelta(window)).to_numpy()
        groups = [part for _, part in frame.groupby(index, sort=True)]
    else:
        size = max(current_rows, MIN_WINDOW_ROWS)
        groups = [frame.iloc[i : i + size] for i in range(0, len(frame) - size + 1, size)]
    return [g for g in groups if len(g) >= MIN_WINDOW_ROWS]


def _span_windows(timestamps: pd.Series, spans: Sequence[Window], window: timedelta) -> np.ndarray:
    """A window number for each row: which span it is in, then which window-long part of that span."""
    starts = pd.DatetimeIndex([s.start for s in spans]).tz_convert("UTC")
    times = pd.DatetimeIndex(timestamps).tz_convert("UTC")
    which = np.clip(starts.searchsorted(times, side="right") - 1, 0, len(spans) - 1)
    per_span = max(int(-(-max(s.end - s.start for s in spans) // window)), 1)
    within = ((times - starts[which]) // pd.Timedelta(window)).to_numpy()
    return which * per_span + within


def sized_like(windows: list[pd.DataFrame], current_rows: int) -> list[pd.DataFrame]:
    """Windows of about the current window's row count. A sampled reference (max_rows) holds fewer rows per
    time window than the window it is compared with, and a figure computed on fewer rows scatters more: its
    band would be too wide. Consecutive time windows are then merged until each holds about as many rows."""
    if not windows or np.median([len(w) for w in windows]) >= 0.8 * current_rows:
        return windows
    merged, part, rows = [], [], 0
    for window in windows:
        part.append(window)
        rows += len(window)
        if rows >= current_rows:
            merged.append(pd.concat(part))
            part, rows = [], 0
    return merged


def _figure(
    metric: str,
    column: str,
    frame: pd.DataFrame,
    roles: ColumnRoles,
    prediction_kind: str | None,
    rows_scale: float,
    quality: dict[int, dict[str, float]],
) -> float | None:
    if metric == "rows":
        return len(frame) * rows_scale
    if metric == "missing.share":
        if column:
            return float(frame[column].isna().mean())
        return float(frame.isna().any(axis=1).mean())
    if metric == "labels.coverage":
        return float(frame[roles.target].notna().mean()) if roles.target else None
    # An estimated figure's band is what the model really did: the realized figure's (estimates are smooth, so
    # a band of estimates would be far too narrow and page on noise).
    if id(frame) not in quality:  # every quality figure of a window at once: the labelled rows are found once
        data = labelled(frame, roles, prediction_kind)
        quality[id(frame)] = {} if data is None else realized(data)
    return quality[id(frame)].get(realized_of(metric))


def baselines(
    windows: list[pd.DataFrame],
    wanted: Iterable[tuple[str, str]],
    roles: ColumnRoles,
    prediction_kind: str | None,
    rows_scale: float = 1.0,
    current_rows: int | None = None,
) -> list[MetricRow]:
    """`windows`: the reference cut by time. Row counts are compared per time window; every other figure on
    windows of about `current_rows` rows (see sized_like)."""
    sized = sized_like(windows, current_rows) if current_rows else windows
    rows: list[MetricRow] = []
    quality: dict[int, dict[str, float]] = {}
    for metric, column in wanted:
        values = [
            v
            for v in (
                _figure(metric, column, w, roles, prediction_kind, rows_scale, quality)
                for w in (windows if metric == "rows" else sized)
            )
            if v is not None and np.isfinite(v)
        ]
        if len(values) < MIN_WINDOWS:
            continue
        mean_name, std_name = reference_names(metric)
        rows += [
            MetricRow(mean_name, column, float(np.mean(values))),
            MetricRow(std_name, column, float(np.std(values, ddof=1))),
        ]
    return rows


def wanted_baselines(rules: Iterable[object], roles: ColumnRoles) -> list[tuple[str, str]]:
    """(metric, column) pairs the monitor's relative rules need."""
    wanted: list[tuple[str, str]] = []
    for rule in rules:
        if getattr(rule, "outside_reference", None) is None:
            continue
        column = getattr(rule, "column", None)
        columns = list(roles.columns) if column == "*" else [column or ""]
        wanted += [(rule.metric, c) for c in columns if (rule.metric, c) not in wanted]  # type: ignore[attr-defined]
    return wanted
