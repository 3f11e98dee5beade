"""Which drifted features move the estimated quality, asked only when an estimate left its band (or crossed its
rule's threshold): each drifted feature (the MAX_FEATURES most drifted) reset alone to the reference's
distribution and the window re-estimated (explain/shift.py), stored per feature as
`estimated.<metric>.shift_effect` when it exceeds the figure's sampling error over the rows the reset rests on.
It needs the estimates' bands, so it follows the reference baselines; a run whose estimates stay in their bands
pays nothing for it."""

from __future__ import annotations

import pandas as pd

from monitor.config import MonitorConfig
from monitor.evaluation.drop_widget import held_to
from monitor.evaluation.prepare import Prepared
from monitor.explain.drop import left_band
from monitor.explain.shift import shift_effects
from monitor.figures import MetricRow, as_mapping, segment_mapping
from monitor.metric_names import ESTIMATED_METRICS, shift_effect_name
from monitor.performance.estimator import Estimator, estimated_names

# Each feature costs one more estimate (on SAMPLE_ROWS rows at most): a bound on the run's cost when many drift.
MAX_FEATURES = 8


def shift_rows(
    monitor: MonitorConfig,
    current: Prepared,
    reference: Prepared,
    estimator: Estimator | str | None,
    metrics: list[MetricRow],
    numerical: tuple[str, ...],
) -> list[MetricRow]:
    if not isinstance(estimator, Estimator):
        return []
    figures = segment_mapping(metrics)
    bands, thresholds = held_to(monitor)
    if not any(left_band(figures, m, bands.get(m), thresholds.get(m)) for m in ESTIMATED_METRICS):
        return []
    whole = as_mapping(metrics)
    drifted = sorted(
        (column for (metric, column), value in whole.items() if metric == "drift.detected" and value == 1.0),
        key=lambda column: -(whole.get(("drift.ratio", column)) or 0.0),
    )
    features = [c for c in drifted if c in estimator.roles.features][:MAX_FEATURES]
    if not features:
        return []

    def estimate(frame: pd.DataFrame) -> dict[str, float] | None:
        found = estimator.estimate(frame)
        return None if isinstance(found, str) else found.values

    def noise(rows: int) -> dict[str, float]:  # the realized figure's scatter: at least the estimate's
        return estimator.sampling_errors(rows, tuple(estimator_names))

    estimator_names = estimated_names(estimator.roles.task)
    effects = shift_effects(current.frame, reference.frame, features, estimate, lambda c: c in numerical, noise)
    return [MetricRow(shift_effect_name(m), feature, v) for feature, by in effects.items() for m, v in by.items()]
