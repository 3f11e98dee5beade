"""Data-quality figures of one window: missing values, values outside the reference's range, new categories.

Vectorised over whole columns; what they are compared with (the reference's ranges and categories) is
learnt once per reference (`QualityBaseline`). The definitions are Evidently's: out_of_range.share is the
share of non-missing values outside [reference min, reference max] (OutRangeValueCount), missing.share
of a column is the share of its rows that are missing, and the dataset's is the share of rows with any
missing value (the target aside: a label that has not arrived yet is not missing data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitor.columns.roles import ColumnRoles
from monitor.figures import MetricRow


@dataclass(frozen=True)
class QualityBaseline:
    ranges: dict[str, tuple[float, float]]  # numerical column -> (min, max) on the reference
    categories: dict[str, frozenset[object]]  # categorical column -> the categories the reference holds

    @classmethod
    def learn(cls, reference: pd.DataFrame, roles: ColumnRoles) -> QualityBaseline:
        ranges = {}
        for column in roles.numerical:
            values = reference[column].to_numpy(dtype=float)
            values = values[~np.isnan(values)]
            if len(values):
                ranges[column] = (float(values.min()), float(values.max()))
        categories = {column: frozenset(reference[column].dropna().unique()) for column in roles.categorical}
        return cls(ranges, categories)


def data_quality_rows(current: pd.DataFrame, baseline: QualityBaseline, roles: ColumnRoles) -> list[MetricRow]:
    columns = [c for c in roles.columns if c != roles.target and c in current]
    rows_total = len(current)
    missing = current[columns].isna()
    figures = [MetricRow("missing.share", "", float(missing.any(axis=1).mean()) if rows_total else 0.0)]
    shares = missing.mean() if rows_total else pd.Series(0.0, index=columns)
    figures += [MetricRow("missing.share", column, float(shares[column])) for column in columns]
    for column in roles.numerical:
        if column not in baseline.ranges:
            continue
        low, high = baseline.ranges[column]
        values = current[column].to_numpy(dtype=float)
        present = ~np.isnan(values)
        total = int(present.sum())
        outside = int(((values < low) | (values > high)).sum())
        figures.append(MetricRow("out_of_range.share", column, outside / total if total else None))
    for column in roles.categorical:
        seen = set(current[column].dropna().unique())
        figures.append(MetricRow("new_categories.count", column, float(len(seen - baseline.categories[column]))))
    return figures
