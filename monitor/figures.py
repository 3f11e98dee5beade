"""A run's figures as plain rows, and the views of them that others need."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monitor.column_figures import COLUMN_FIGURES, column_rank


@dataclass(frozen=True)
class MetricRow:
    metric: str
    column: str
    value: float | None
    method: str | None = None
    segment: str = ""  # "" the whole window; else "<column>=<value>"


def as_mapping(rows: Iterable[MetricRow]) -> dict[tuple[str, str], float | None]:
    """The whole window's figures by (metric, column)."""
    return {(row.metric, row.column): row.value for row in rows if not row.segment}


def segment_mapping(rows: Iterable[MetricRow]) -> dict[tuple[str, str, str], float | None]:
    """Every figure by (metric, column, segment)."""
    return {(row.metric, row.column, row.segment): row.value for row in rows}


def whole_window(rows: Iterable[MetricRow]) -> list[MetricRow]:
    """The whole window's figures (not a segment's)."""
    return [row for row in rows if not row.segment]


def column_figures(rows: Iterable[MetricRow]) -> dict[str, dict[str, float | None]]:
    """The whole window's declared per-column figures (column_figures.py): metric -> column -> value."""
    declared = {figure.name for figure in COLUMN_FIGURES}
    found: dict[str, dict[str, float | None]] = {}
    for row in whole_window(rows):
        if row.metric in declared and row.column:
            found.setdefault(row.metric, {})[row.column] = row.value
    return found


def drifted_columns(rows: Iterable[MetricRow]) -> list[tuple[str, float, str | None]]:
    """(column, score, method) of each column whose drift was detected in the whole window, most telling first:
    by impact on the model when the run has it, else by drift.ratio (score over threshold, since scores of
    different methods are in different units); see column_figures.column_rank."""
    rows = whole_window(rows)
    detected = {row.column for row in rows if row.metric == "drift.detected" and row.value == 1.0}
    rank = column_rank(column_figures(rows))
    scores = [
        (row.column, row.value or 0.0, row.method)
        for row in rows
        if row.metric == "drift.score" and row.column in detected
    ]
    return sorted(scores, key=lambda item: (*rank.get(item[0], (1.0, 0.0)), -item[1]))


def multivariate_columns(rows: Iterable[MetricRow], limit: int = 5) -> list[tuple[str, float, str | None]]:
    """(column, share, method) of the columns that contribute most to a detected multivariate change."""
    rows = whole_window(rows)
    if not any(r.metric == "multivariate.drift.detected" and r.value == 1.0 for r in rows):
        return []
    shares = [(r.column, r.value or 0.0, r.method) for r in rows if r.metric == "multivariate.contribution"]
    return sorted((s for s in shares if s[1] > 0), key=lambda item: -item[1])[:limit]
