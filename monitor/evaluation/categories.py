"""Categories seen in the window but never in the reference."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from monitor.figures import MetricRow


def new_category_counts(current: pd.DataFrame, reference: pd.DataFrame, columns: Iterable[str]) -> list[MetricRow]:
    rows = []
    for column in columns:
        known = set(reference[column].dropna().unique())
        seen = set(current[column].dropna().unique())
        rows.append(MetricRow("new_categories.count", column, float(len(seen - known))))
    return rows
