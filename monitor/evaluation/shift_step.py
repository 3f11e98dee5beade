"""The step that says which drifted features move the estimated quality: each drifted feature (the MAX_FEATURES
most drifted) reset alone to the reference's distribution and the window re-estimated (explain/shift.py),
stored per feature as `estimated.<metric>.shift_effect`. Nothing to do (and no cost) when no feature drifted or
nothing estimates quality."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from monitor.columns.roles import ColumnRoles
from monitor.drift.detect import ColumnDrift
from monitor.evaluation.prepare import Prepared
from monitor.evaluation.step import StepOutput
from monitor.explain.shift import shift_effects
from monitor.figures import MetricRow
from monitor.metric_names import shift_effect_name
from monitor.performance.estimator import Estimator

# Each feature costs one more estimate of the window: a bound on the run's cost when many drift.
MAX_FEATURES = 8


def shift_step(
    current: Prepared,
    reference: Prepared,
    estimator: Estimator | str | None,
    drift: Sequence[ColumnDrift],
    roles: ColumnRoles,
) -> StepOutput:
    out = StepOutput()
    if not isinstance(estimator, Estimator):
        return out
    drifted = sorted((d for d in drift if d.detected and d.column in roles.features), key=lambda d: -(d.ratio or 0.0))[
        :MAX_FEATURES
    ]
    if not drifted:
        return out

    def estimate(frame: pd.DataFrame) -> dict[str, float] | None:
        found = estimator.estimate(frame)
        return None if isinstance(found, str) else found.values

    effects = shift_effects(
        current.frame,
        reference.frame,
        [d.column for d in drifted],
        estimate,
        numerical=lambda column: column in roles.numerical,
    )
    for feature, by_metric in effects.items():
        out.metrics += [MetricRow(shift_effect_name(m), feature, v) for m, v in by_metric.items()]
    return out
