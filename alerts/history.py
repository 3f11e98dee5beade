"""Stored figures -> each alert key's history, oldest first. Pure: the daemon's pipeline and
`drifthound rules test` read the rows, and both build the histories they replay here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from alerts.rules import Baseline, Rule
from monitor.metric_names import reference_names

Key = tuple[str, str]  # (column, segment): "" for a dataset figure, "" for the whole window
History = list[tuple[datetime, datetime, float | None, Baseline | None]]  # (window_start, window_end, value, range)
# (column, segment, window_start, window_end, metric, value), as read from the store.
StoredFigure = tuple[str, str, datetime, datetime, str, float | None]


def wanted_metrics(rule: Rule) -> list[str]:
    """The figures a rule's histories are built from: its metric, and its reference range when relative to it."""
    return [rule.metric, *(reference_names(rule.metric) if rule.outside_reference is not None else ())]


def alert_keys(rule: Rule, figures: Mapping[tuple[str, str, str], float | None]) -> list[Key]:
    """The alert keys of `rule` one run has a figure for (the others cannot change); figures by
    (metric, column, segment)."""
    keys = []
    for (metric, column, segment), value in figures.items():
        if metric != rule.metric or value is None:
            continue
        wanted_column = column != "" if rule.column == "*" else column == (rule.column or "")
        wanted_segment = segment != "" if rule.segment == "*" else segment == (rule.segment or "")
        if wanted_column and wanted_segment:
            keys.append((column, segment))
    return sorted(keys)


def histories(rule: Rule, rows: Iterable[StoredFigure], keys: Iterable[Key] | None = None) -> dict[Key, History]:
    """(window_start, window_end, value, reference range) per alert key, oldest first; every key of the rule
    when `keys` is None. A window without the rule's own figure is not in the history."""
    rows = list(rows)
    if keys is None:
        keys = [
            (column, segment)
            for column, segment, _, _, metric, value in rows
            if alert_keys(rule, {(metric, column, segment): value})
        ]
    wanted = set(keys)
    points: dict[Key, dict[datetime, dict[str, object]]] = defaultdict(dict)
    for column, segment, start, end, metric, value in rows:
        if (column, segment) in wanted:
            points[(column, segment)].setdefault(end, {"start": start})[metric] = value
    found: dict[Key, History] = {}
    mean_name, std_name = reference_names(rule.metric)
    for key, by_end in points.items():
        history: History = []
        for end in sorted(by_end):
            point = by_end[end]
            if rule.metric not in point:
                continue
            mean, std = point.get(mean_name), point.get(std_name)
            baseline = (mean, std) if mean is not None and std is not None else None
            history.append((point["start"], end, point[rule.metric], baseline))  # type: ignore[arg-type]
        if history:
            found[key] = history
    return found
