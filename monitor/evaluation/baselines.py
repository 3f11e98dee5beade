"""The range each figure keeps on the reference, for rules with `outside_reference = k`.

The reference is cut into windows of the monitor's window size (by timestamp; a
reference table without timestamps into chunks of the current window's row count),
the figure is computed on each, and its mean and standard deviation are stored with
the run as `<metric>.reference_mean` and `<metric>.reference_std`. The formulas are
the ones Evidently uses for the run's own figures (tests hold them equal).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

import numpy as np
import pandas as pd
from sklearn import metrics as sk

from monitor.evaluation.roles import ColumnRoles
from monitor.figures import MetricRow
from monitor.metric_names import reference_names

# Fewer reference windows than this give no range (the rule then has no verdict).
MIN_WINDOWS = 5
# Reference windows with fewer rows than this are too noisy to count.
MIN_WINDOW_ROWS = 20


def reference_windows(
    frame: pd.DataFrame, timestamps: pd.Series | None, window: timedelta, current_rows: int
) -> list[pd.DataFrame]:
    if timestamps is not None and timestamps.notna().any():
        start = timestamps.min()
        index = ((timestamps - start) // pd.Timedelta(window)).to_numpy()
        groups = [part for _, part in frame.groupby(index, sort=True)]
    else:
        size = max(current_rows, MIN_WINDOW_ROWS)
        groups = [frame.iloc[i : i + size] for i in range(0, len(frame) - size + 1, size)]
    return [g for g in groups if len(g) >= MIN_WINDOW_ROWS]


def _binary(
    frame: pd.DataFrame, roles: ColumnRoles, prediction_kind: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    labelled = frame[frame[roles.target].notna() & frame[roles.prediction].notna()]
    if labelled.empty:
        return None
    truth = labelled[roles.target].to_numpy(dtype=int)
    scores = labelled[roles.prediction].to_numpy(dtype=float)
    if prediction_kind == "probability":
        return truth, (scores >= 0.5).astype(int), scores
    return truth, scores.astype(int), None


def _regression(frame: pd.DataFrame, roles: ColumnRoles) -> tuple[np.ndarray, np.ndarray] | None:
    labelled = frame[frame[roles.target].notna() & frame[roles.prediction].notna()]
    if labelled.empty:
        return None
    return labelled[roles.target].to_numpy(dtype=float), labelled[roles.prediction].to_numpy(dtype=float)


def _figure(
    metric: str, column: str, frame: pd.DataFrame, roles: ColumnRoles, prediction_kind: str | None, rows_scale: float
) -> float | None:
    if metric == "rows":
        return len(frame) * rows_scale
    if metric == "missing.share":
        if column:
            return float(frame[column].isna().mean())
        return float(frame.isna().any(axis=1).mean())
    if metric == "labels.coverage":
        return float(frame[roles.target].notna().mean()) if roles.target else None
    if roles.target is None or roles.prediction is None:
        return None
    if roles.task == "binary_classification":
        data = _binary(frame, roles, prediction_kind)
        if data is None:
            return None
        truth, labels, scores = data
        two_classes = len(np.unique(truth)) == 2
        classifiers: dict[str, Callable[[], float]] = {
            "accuracy": lambda: sk.accuracy_score(truth, labels),
            "precision": lambda: sk.precision_score(truth, labels, zero_division=0),
            "recall": lambda: sk.recall_score(truth, labels, zero_division=0),
            "f1": lambda: sk.f1_score(truth, labels, zero_division=0),
        }
        if scores is not None and two_classes:
            classifiers["roc_auc"] = lambda: sk.roc_auc_score(truth, scores)
            classifiers["log_loss"] = lambda: sk.log_loss(truth, scores, labels=[0, 1])
        return float(classifiers[metric]()) if metric in classifiers else None
    data = _regression(frame, roles)
    if data is None:
        return None
    truth, predicted = data
    errors = np.abs(truth - predicted)
    if metric == "mae":
        return float(errors.mean())
    if metric == "rmse":
        return float(np.sqrt((errors**2).mean()))
    if metric == "mape":
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.mean(errors / np.abs(truth)) * 100)
    if metric == "r2" and len(truth) >= 2:
        return float(sk.r2_score(truth, predicted))
    return None


def baselines(
    windows: list[pd.DataFrame],
    wanted: Iterable[tuple[str, str]],
    roles: ColumnRoles,
    prediction_kind: str | None,
    rows_scale: float = 1.0,
) -> list[MetricRow]:
    rows: list[MetricRow] = []
    for metric, column in wanted:
        values = [
            v
            for v in (_figure(metric, column, w, roles, prediction_kind, rows_scale) for w in windows)
            if v is not None and np.isfinite(v)
        ]
        if len(values) < MIN_WINDOWS:
            continue
        mean_name, std_name = reference_names(metric)
        rows += [
            MetricRow(mean_name, column, float(np.mean(values))),
            MetricRow(std_name, column, float(np.std(values, ddof=1))),
        ]
    return rows


def wanted_baselines(rules: Iterable[object], roles: ColumnRoles) -> list[tuple[str, str]]:
    """(metric, column) pairs the monitor's relative rules need."""
    wanted: list[tuple[str, str]] = []
    for rule in rules:
        if getattr(rule, "outside_reference", None) is None:
            continue
        column = getattr(rule, "column", None)
        columns = list(roles.columns) if column == "*" else [column or ""]
        wanted += [(rule.metric, c) for c in columns if (rule.metric, c) not in wanted]  # type: ignore[attr-defined]
    return wanted
