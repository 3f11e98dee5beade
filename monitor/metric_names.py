"""The metric names of DESIGN.md: what is stored per run and what rules may name.

Plain names only, so `alerts` can validate rules without importing pandas or Evidently.
"""

from __future__ import annotations

from monitor.column_figures import COLUMN_FIGURES

# A numerical column's quantiles in the window, stored as `quantile.p<q>` (its page charts them over time).
QUANTILES = (5, 25, 50, 75, 95)


def quantile_name(q: int) -> str:
    return f"quantile.p{q}"


DATASET_METRICS = frozenset(
    {
        "rows",
        "reference_rows",
        "drift.share",
        "drift.count",
        "prediction.drift.score",
        "prediction.drift.detected",
        "target.drift.score",
        "missing.share",
        "labels.coverage",
        "monitor.failed_runs",
        "windows.dropped",  # windows that aged past catch_up unevaluated since the previous run (0 when none)
        "multivariate.drift.score",
        "multivariate.drift.threshold",
        "multivariate.drift.detected",
        "multivariate.reconstruction_error",
        "multivariate.classifier_auc",
    }
)

COLUMN_METRICS = frozenset(
    {
        "drift.score",
        "drift.threshold",
        "drift.ratio",  # score over threshold, >= 1 beyond it: comparable across methods
        "drift.effect",
        "drift.detected",
        "missing.share",
        "new_categories.count",
        "out_of_range.share",
        "multivariate.contribution",  # a column's share of the multivariate change (where to look)
        *(quantile_name(q) for q in QUANTILES),
        # Fairness: column = the protected attribute (selection_rate: segment = "<attribute>=<group>").
        "fairness.selection_rate",
        "fairness.selection_rate_ratio",
        "fairness.selection_rate_difference",
        "fairness.tpr_difference",
        "fairness.fpr_difference",
        "fairness.accuracy_difference",
        *(figure.name for figure in COLUMN_FIGURES),  # importance, drift.impact (explanations)
    }
)

CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss")
REGRESSION_METRICS = ("mae", "rmse", "mape", "r2")
# Estimated without labels (performance/estimator.py), each with its sampling error.
ESTIMATED_CLASSIFICATION = ("roc_auc", "accuracy", "precision", "recall", "f1")
ESTIMATED_REGRESSION = ("mae", "rmse", "mape")


def estimated_name(metric: str) -> str:
    return f"estimated.{metric}"


def sampling_error_name(metric: str) -> str:
    return f"estimated.{metric}.sampling_error"


def shift_effect_name(metric: str) -> str:
    """Per drifted feature: how much the feature's shift moved the estimate of `metric` (the estimate minus the
    estimate with that feature alone taking the reference's distribution; explain/shift.py)."""
    return f"estimated.{metric}.shift_effect"


def realized_of(metric: str) -> str:
    """The realized metric an estimated one stands for ("estimated.roc_auc" -> "roc_auc")."""
    return metric.removeprefix("estimated.")


ESTIMATED_METRICS = frozenset(estimated_name(m) for m in (*ESTIMATED_CLASSIFICATION, *ESTIMATED_REGRESSION))
QUALITY_METRICS = frozenset({*CLASSIFICATION_METRICS, *REGRESSION_METRICS, *ESTIMATED_METRICS})

ALL_METRICS = (
    DATASET_METRICS
    | COLUMN_METRICS
    | frozenset(CLASSIFICATION_METRICS)
    | frozenset(REGRESSION_METRICS)
    | ESTIMATED_METRICS
)


def is_known(metric: str) -> bool:
    return metric in ALL_METRICS


def is_per_column(metric: str) -> bool:
    return metric in COLUMN_METRICS


# Rules may compare these with their range on the reference (`outside_reference = k`).
REFERENCE_RELATIVE = frozenset({"rows", "missing.share", "labels.coverage", *QUALITY_METRICS})


def reference_names(metric: str) -> tuple[str, str]:
    """The stored names of a metric's reference range: its mean and std over reference windows."""
    return f"{metric}.reference_mean", f"{metric}.reference_std"


# What a run may store besides the metrics themselves: reference ranges and sampling errors.
DERIVED_NAMES = frozenset(
    {name for metric in REFERENCE_RELATIVE for name in reference_names(metric)}
    | {sampling_error_name(metric) for metric in (*ESTIMATED_CLASSIFICATION, *ESTIMATED_REGRESSION)}
    | {shift_effect_name(metric) for metric in (*ESTIMATED_CLASSIFICATION, *ESTIMATED_REGRESSION)}
)
STORED_NAMES = ALL_METRICS | DERIVED_NAMES


def may_be_stored(name: str) -> bool:
    """Whether a run may store a figure of this name (what `drifthound metrics --metric` accepts)."""
    return name in STORED_NAMES
