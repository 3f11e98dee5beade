"""A run's summary of each column, for the column's page: its quantiles in the window (stored, charted over
time) and its distribution against the reference's (in the run's JSON, read when the page is shown: the page
never reads the source).

The distribution is the report's drift table's: the reference's range cut in equal bins for a number, the
categories for a category (the most frequent CATEGORIES of both, the rest summed as one).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from monitor.columns.roles import ColumnRoles
from monitor.drift.detect import ReferenceProfile
from monitor.evaluation.prepare import Prepared
from monitor.evaluation.report_widgets import histograms
from monitor.evaluation.step import StepOutput
from monitor.figures import MetricRow
from monitor.metric_names import QUANTILES, quantile_name

CATEGORIES = 30
OTHERS = "(others)"
LEVELS = [q / 100 for q in QUANTILES]


def column_summary_step(current: Prepared, profile: ReferenceProfile, roles: ColumnRoles) -> StepOutput:
    out = StepOutput()
    summaries = {}
    for column in roles.drift_columns:
        if column not in profile:
            continue
        p = profile.profile(column)
        numerical = p.kind == "numerical" and p.sorted_values is not None
        if numerical:
            values = current.frame[column].to_numpy(dtype=float)
            if np.isfinite(values).any():
                found = np.nanquantile(values, LEVELS)
                out.metrics += [
                    MetricRow(quantile_name(q), column, float(v)) for q, v in zip(QUANTILES, found, strict=True)
                ]
        counted = histograms(column, profile, current.frame)
        if counted is None:
            continue
        x, reference, window = counted if numerical else _capped(*counted)
        summaries[column] = {"kind": "numerical" if numerical else "categorical", "x": x}
        summaries[column] |= {"reference": reference, "window": window}
        if numerical:
            assert p.sorted_values is not None
            found = np.quantile(p.sorted_values, LEVELS)
            summaries[column]["reference_quantiles"] = {
                quantile_name(q): float(v) for q, v in zip(QUANTILES, found, strict=True)
            }
    out.snapshot["columns"] = summaries
    return out


def _capped(x: Sequence, reference: Sequence[int], window: Sequence[int]) -> tuple[list, list, list]:
    """The CATEGORIES most frequent categories (in both together), the rest as one."""
    if len(x) <= CATEGORIES:
        return list(x), list(reference), list(window)
    order = sorted(range(len(x)), key=lambda i: -(reference[i] + window[i]))
    kept, rest = order[: CATEGORIES - 1], order[CATEGORIES - 1 :]
    return (
        [str(x[i]) for i in kept] + [OTHERS],
        [reference[i] for i in kept] + [sum(reference[i] for i in rest)],
        [window[i] for i in kept] + [sum(window[i] for i in rest)],
    )
