"""A run's summary of each column, for the column's page: its quantiles in the window (stored, charted over
time, with the reference's in the run's JSON) and its distribution against the reference's (in the run's JSON,
read when the page is shown: the page never reads the source).

The distribution is the report's drift table's, drawn once for both (data_steps.drift_step): the reference's
range cut in equal bins for a number, the categories for a category (the most frequent CATEGORIES of both, the
rest summed as one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from monitor.columns.roles import ColumnRoles
from monitor.drift.detect import ColumnDrift, ReferenceProfile
from monitor.evaluation.prepare import Prepared
from monitor.evaluation.report_widgets import Histogram, histograms
from monitor.evaluation.step import StepOutput
from monitor.figures import MetricRow
from monitor.metric_names import QUANTILES, quantile_name

CATEGORIES = 30
OTHERS = "(others)"
LEVELS = [q / 100 for q in QUANTILES]


def quantile_step(current: Prepared, profile: ReferenceProfile, roles: ColumnRoles) -> StepOutput:
    """`quantile.p<q>` of each numerical column compared, and the reference's in the run's JSON."""
    out = StepOutput()
    reference: dict[str, dict[str, float]] = {}
    for column in roles.drift_columns:
        if column not in profile or profile.profile(column).kind != "numerical":
            continue
        values = current.frame[column].to_numpy(dtype=float)
        if not np.isfinite(values).any():
            continue
        found = np.nanquantile(values, LEVELS)
        out.metrics += [MetricRow(quantile_name(q), column, float(v)) for q, v in zip(QUANTILES, found, strict=True)]
        known = profile.profile(column).sorted_values
        if known is not None and len(known):
            at = np.quantile(known, LEVELS)
            reference[column] = {quantile_name(q): float(v) for q, v in zip(QUANTILES, at, strict=True)}
    out.snapshot["reference_quantiles"] = reference
    return out


def column_histograms(
    drift: Sequence[ColumnDrift], profile: ReferenceProfile, current: pd.DataFrame
) -> dict[str, Histogram | None]:
    return {d.column: histograms(d.column, profile, current) for d in drift if d.column in profile}


def distributions(counted: Mapping[str, Histogram | None], profile: ReferenceProfile) -> dict[str, dict[str, Any]]:
    """Each column's histogram as the run's JSON keeps it: {"kind", "x", "reference", "window"} (counts)."""
    kept = {}
    for column, histogram in counted.items():
        if histogram is None:
            continue
        numerical = profile.profile(column).kind == "numerical"
        x, reference, window = histogram if numerical else _capped(*histogram)
        kind = "numerical" if numerical else "categorical"
        kept[column] = {"kind": kind, "x": x, "reference": reference, "window": window}
    return kept


def _capped(x: Sequence, reference: Sequence[int], window: Sequence[int]) -> Histogram:
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
