"""The report's drift and data-quality sections, as Evidently widgets built from DriftHound's own figures.

Evidently's DataDriftPreset computes every column's drift three times and builds a plotly figure per
column; these widgets show the verdicts already computed (the ones stored and alerted on) in the same
table Evidently draws (distribution sparklines, the test, the score, the verdict), from histograms of
data in hand, as plain plotly JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from monitor.column_figures import SHOWN_BESIDE_DRIFT, column_rank
from monitor.columns.roles import ColumnRoles
from monitor.drift.detect import ColumnDrift, ReferenceProfile, window_categories
from monitor.evaluation.flatten import feature_verdicts
from monitor.figures import MetricRow
from monitor.widgets import (
    HISTOGRAM,
    ColumnDefinition,
    CounterData,
    RichTableDataRow,
    counter,
    header_text,
    plotly_data,
    rich_table_data,
    table_data,
    text_widget,
)

BINS = 20
Histogram = tuple[list, list, list]  # (x, reference counts, window counts) on the same bins
MARKDOWN_SPECIALS = frozenset("\\`*_{}[]()#+-.!|<>~&")
REFERENCE_COLOUR = "#4d4d4d"
CURRENT_COLOUR = "#ed0400"

_DISPLAY = {
    "wasserstein (calibrated)": "Wasserstein distance (normed), threshold calibrated on the reference",
    "tail means (calibrated)": "tail means (z-score), threshold calibrated on the reference",
    "jensenshannon (calibrated)": "Jensen-Shannon distance, threshold calibrated on the reference",
}


def method_display(method: str) -> str:
    if method in _DISPLAY:
        return _DISPLAY[method]
    if method.endswith(" (calibrated)"):  # a kind's own test (text, embeddings)
        return f"{method.removesuffix(' (calibrated)')}, threshold calibrated on the reference"
    from evidently.legacy.calculations.stattests.registry import _registered_stat_tests

    tests = _registered_stat_tests.get(method, {})
    name = next(iter(tests.values())).display_name if tests else method
    return f"{name}, threshold corrected for the number of columns"


def drift_section(
    drift: Sequence[ColumnDrift],
    profile: ReferenceProfile,
    current: pd.DataFrame,
    roles: ColumnRoles,
    share: float,
    wholes: Sequence[ColumnDrift] = (),
    *,
    explained: Mapping[str, Mapping[str, float | None]] = MappingProxyType({}),
    counted: Mapping[str, Histogram | None] | None = None,
) -> list[Any]:
    """`wholes`: the features judged as a whole (text, embeddings), one row each (their own sections follow).
    `explained`: per-column figures shown beside the verdicts (metric -> column -> value), e.g. importance and
    impact; with impacts, the drifted features are ordered by them. `counted`: the columns' histograms when
    already drawn (see `histograms`)."""
    features = feature_verdicts(drift, roles, [(w.column, w.detected) for w in wholes])
    drifted = sum(features)
    ratio = drifted / len(features) if features else 0.0
    verdict = "detected" if features and ratio >= share else "not detected"
    title = f"Drift is detected for {round(ratio * 100, 3)}% of columns ({drifted} out of {len(features)})."
    ordered = _ordered([*drift, *wholes], roles, explained)
    return [
        counter(
            title="Data drift",
            counters=[
                CounterData("dataset drift", f"{verdict} (share of drifted features >= {share:g})"),
                CounterData("drifted features", f"{drifted} of {len(features)} ({ratio:.0%})"),
            ],
        ),
        header_text(label="Data Drift Summary"),
        *drift_table(title, ordered, profile, current, explained=explained, counted=counted),
        column_links([d.column for d in ordered]),
    ]


def drift_table(
    title: str,
    drift: Sequence[ColumnDrift],
    profile: ReferenceProfile,
    current: pd.DataFrame,
    *,
    explained: Mapping[str, Mapping[str, float | None]] = MappingProxyType({}),
    counted: Mapping[str, Histogram | None] | None = None,
) -> list[Any]:
    """Evidently's drift table of `drift` (in that order): distribution sparklines, the test, score, verdict;
    `profile` and `current` hold the columns' reference and window values; `explained`, the declared per-column
    figures the run has (column_figures.py), each a column of the table."""
    shown = [f for f in SHOWN_BESIDE_DRIFT if explained.get(f.name)]
    rows = []
    for d in drift:
        if counted is not None and d.column in counted:
            histogram = counted[d.column]
        else:
            histogram = histograms(d.column, profile, current) if d.column in profile else None
        details = []
        if histogram is not None:
            x, reference, window = histogram
            details.append(("DATA DISTRIBUTION", plotly_data(title="", **_overlay(x, reference, window))))
        fields = {
            "column_name": d.column,
            "column_type": _type(d.column, profile),
            "stattest_name": method_display(d.method),
            "data_drift": {True: "Detected", False: "Not Detected", None: "No values"}[d.detected],
            "drift_score": _rounded(d.score),
            "threshold": _rounded(d.threshold),
            "effect": _rounded(d.effect),
            **{_key(f.name): _rounded(explained[f.name].get(d.column), 3) for f in shown},
        }
        if histogram is not None:
            x, reference, window = histogram
            fields["reference_distribution"] = {"x": x, "y": reference}
            fields["current_distribution"] = {"x": x, "y": window}
        rows.append(RichTableDataRow(fields=fields, details=details))
    sparkline = {"xField": "x", "yField": "y", "color": CURRENT_COLOUR}
    columns = [
        ColumnDefinition("Column", "column_name"),
        ColumnDefinition("Type", "column_type"),
        ColumnDefinition("Reference Distribution", "reference_distribution", HISTOGRAM, options=sparkline),
        ColumnDefinition("Current Distribution", "current_distribution", HISTOGRAM, options=sparkline),
        ColumnDefinition("Data Drift", "data_drift"),
        ColumnDefinition("Stat Test", "stattest_name"),
        ColumnDefinition("Drift Score", "drift_score"),
        ColumnDefinition("Threshold", "threshold"),
        ColumnDefinition("Effect", "effect"),
        *(ColumnDefinition(f.heading, _key(f.name)) for f in shown),
    ]
    return [rich_table_data(title=title, columns=columns, data=rows, rows_per_page=25)]


def column_links(columns: Sequence[str]) -> Any:
    """Under the drift table: each column's page (its drift, distribution and quantiles over time), relative to
    the report (/reports/<monitor>/columns/<column>)."""

    def markdown(text: str) -> str:
        return "".join(f"\\{c}" if c in MARKDOWN_SPECIALS else c for c in text)

    links = " · ".join(f"[{markdown(c)}](columns/{quote(c, safe='')})" for c in columns)
    return text_widget(title="Each column over time, on its own page", text=links)


def quality_section(figures: Sequence[MetricRow], roles: ColumnRoles) -> list[Any]:
    by_key = {(f.metric, f.column): f.value for f in figures}
    columns = [c for c in roles.columns if c != roles.target]
    table = []
    for column in columns:
        out_of_range = by_key.get(("out_of_range.share", column))
        new = by_key.get(("new_categories.count", column))
        table.append(
            [
                column,
                _percent(by_key.get(("missing.share", column))),
                _percent(out_of_range) if ("out_of_range.share", column) in by_key else "",
                "" if new is None else int(new),
            ]
        )
    return [
        counter(
            title="Data quality",
            counters=[CounterData("rows with a missing value", _percent(by_key.get(("missing.share", ""))))],
        ),
        table_data(
            title="Missing values, values outside the reference's range, categories the reference never had",
            column_names=["Column", "Missing", "Outside the reference's range", "New categories"],
            data=table,
        ),
    ]


def _ordered(
    drift: Sequence[ColumnDrift], roles: ColumnRoles, explained: Mapping[str, Mapping[str, float | None]]
) -> list[ColumnDrift]:
    """The target and the prediction first, then the features: the drifted ones by their impact on the model
    when the run has it (column_figures.column_rank), then the rest most drifted first (as Evidently orders)."""
    special = [d for c in (roles.target, roles.drifting_prediction) for d in drift if c is not None and d.column == c]
    ratios = {d.column: -1.0 if d.ratio is None else d.ratio for d in drift}
    rank = column_rank({**explained, "drift.ratio": ratios})
    rest = sorted((d for d in drift if d not in special), key=lambda d: rank[d.column])
    return special + rest


def _key(name: str) -> str:
    return name.replace(".", "_")


def _type(column: str, profile: ReferenceProfile) -> str:
    if column not in profile:
        return "whole"  # a text column or an embedding, judged as a whole
    return "num" if profile.profile(column).kind == "numerical" else "cat"


def histograms(column: str, profile: ReferenceProfile, current: pd.DataFrame) -> Histogram | None:
    """(x, reference counts, window counts) on the same bins: the reference's range for numerical columns
    (values beyond it at its edges, as compared), every category for categorical ones."""
    p = profile.profile(column)
    values = current[column].dropna()
    if not len(values) or not p.rows:
        return None
    if p.kind == "numerical" and p.sorted_values is not None:
        low, high = float(p.sorted_values[0]), float(p.sorted_values[-1])
        edges = _edges(low, high)
        if edges is None:
            return None
        reference = _sorted_histogram(p.sorted_values, edges)
        window = binned_counts(np.clip(values.to_numpy(dtype=float), low, high), edges)
        x = (edges[:-1] / 2 + edges[1:] / 2).tolist()  # halves first: no overflow at +-1e308
        return [_short(v) for v in x], reference.tolist(), window.tolist()
    categories, seen = window_categories(values, p)
    assert p.shares is not None
    new = len(categories) - len(p.categories)
    reference_counts = [*np.rint(p.shares * p.rows).astype(int).tolist(), *[0] * new]
    return [str(c) for c in categories], reference_counts, [int(seen.get(c, 0)) for c in categories]


def _sorted_histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """np.histogram(values, edges) of values already sorted, as np.histogram counts them (each bin [a, b), the
    last [a, b]) but without sorting them again: a binary search per edge."""
    ends = np.concatenate([np.searchsorted(values, edges[:-1], "left"), np.searchsorted(values, edges[-1:], "right")])
    return np.diff(ends)


def binned_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """np.histogram(values, edges)[0] for values within [edges[0], edges[-1]] (bins [e_i, e_i+1), the last
    closed), without the sort np.histogram makes of the values when given its edges."""
    bins = np.searchsorted(edges, values, side="right") - 1
    bins[bins == len(edges) - 1] -= 1  # the last edge closes the last bin
    return np.bincount(bins, minlength=len(edges) - 1)


def _edges(low: float, high: float) -> np.ndarray | None:
    """BINS equal bins over [low, high], or None when the range cannot be split. Interpolated as
    low*(1-t) + high*t, which stays finite where high - low would overflow (-1e308 .. 1e308)."""
    steps = np.linspace(0.0, 1.0, BINS + 1)
    edges = np.unique(low * (1 - steps) + high * steps)
    return edges if len(edges) > 1 and np.all(np.isfinite(edges)) else None


def _overlay(x: list, reference: list, window: list) -> dict[str, Any]:
    """Both distributions in percent, side by side, as plain plotly JSON (no plotly objects built)."""

    def percent(values: list) -> list[float]:
        total = sum(values) or 1
        return [round(100 * v / total, 4) for v in values]

    data = [
        {"type": "bar", "name": "reference", "x": x, "y": percent(reference), "marker": {"color": REFERENCE_COLOUR}},
        {"type": "bar", "name": "current", "x": x, "y": percent(window), "marker": {"color": CURRENT_COLOUR}},
    ]
    layout = {"barmode": "group", "yaxis": {"title": {"text": "Percent"}}, "legend": {"orientation": "h"}}
    return {"data": data, "layout": layout}


def _rounded(value: float | None, digits: int = 6) -> float | str:
    if value is None or not np.isfinite(value):
        return ""
    return round(float(value), digits)


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.2f}%"


def _short(value: float) -> float:
    return float(f"{value:.6g}")
