"""Which column times the rows: the one windows are cut by. Found in a sample, by values first (times of day,
or epoch numbers under a time-like name), then by name and by how many distinct values it holds."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
from pandas.api import types as ptypes

from monitor.columns.kinds import timestamp
from monitor.sources.timestamps import TimestampError, detect_encoding

# Names that say "when the prediction was made", best first.
PREFERRED = ("ts", "timestamp", "event_time", "prediction_time", "predicted_at", "created_at", "time", "datetime")
_TIME_LIKE = re.compile(r"(^|_)(ts|time|timestamp|datetime|at)$", re.IGNORECASE)


@dataclass(frozen=True)
class TimestampColumn:
    column: str
    reason: str


def find_timestamp(sample: pd.DataFrame, dialect: str) -> TimestampColumn | None:
    """The sample's timestamp column and why; None when no column holds times of day."""
    found = []
    for column in sample.columns:
        reason = _times_of_day(sample[column].dropna(), str(column), dialect)
        if reason is not None:
            values = sample[column].dropna()
            distinct = values.nunique() / len(values) if len(values) else 0.0
            found.append((_name_rank(str(column)), -distinct, str(column), reason))
    if not found:
        return None
    _, _, column, reason = min(found)
    others = [name for _, _, name, _ in sorted(found) if name != column]
    if others:
        reason += f"; also times: {', '.join(others)} (give another with --timestamp)"
    return TimestampColumn(column, reason)


def _times_of_day(values: pd.Series, name: str, dialect: str) -> str | None:
    """Why the values are times a window can cut, or None (dates alone have no time of day)."""
    if not len(values):
        return None
    numeric = ptypes.is_numeric_dtype(values) and not ptypes.is_bool_dtype(values)
    if numeric and not _TIME_LIKE.search(name):
        return None  # epoch numbers look like any large number: only under a time-like name
    if not numeric and timestamp.detect(values) is None:
        return None
    head = values.head(200).tolist()
    try:
        encoding = detect_encoding([min(head), max(head), *head[:5]], dialect)
    except (TimestampError, TypeError, ValueError):
        return None
    shapes = {
        "aware": "timestamps with a time zone",
        "naive": "timestamps (read as UTC)",
        "text": "ISO 8601 text",
        "text_normalized": "ISO 8601 text",
    }
    return shapes.get(encoding.kind, f"epoch {encoding.kind.removeprefix('epoch_')} under a time-like name")


def _name_rank(name: str) -> int:
    lowered = name.lower()
    if lowered in PREFERRED:
        return PREFERRED.index(lowered)
    return len(PREFERRED) + (0 if _TIME_LIKE.search(lowered) else 1)
