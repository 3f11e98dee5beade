"""Results -> DriftHound's metric rows (names of DESIGN.md): drift from DriftHound's own verdicts,
data and model quality from Evidently's snapshot dicts (what `Snapshot.dict()` returns).

Pure functions over plain values, so every mapping is testable without running Evidently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monitor.drift.detect import ColumnDrift
from monitor.evaluation.roles import ColumnRoles
from monitor.figures import MetricRow

_SCALAR = {
    "Accuracy": "accuracy",
    "Precision": "precision",
    "Recall": "recall",
    "F1Score": "f1",
    "RocAuc": "roc_auc",
    "LogLoss": "log_loss",
    "RMSE": "rmse",
    "R2Score": "r2",
}
# Metrics whose value is {"mean": ..., "std": ...}
_MEAN = {"MAE": "mae", "MAPE": "mape"}


def metric_type(entry: dict[str, Any]) -> str:
    """ "evidently:metric_v2:ValueDrift" -> "ValueDrift"."""
    return str(entry["config"]["type"]).rsplit(":", 1)[-1]


def drift_rows(drift: Sequence[ColumnDrift], roles: ColumnRoles) -> list[MetricRow]:
    """DriftHound's verdicts as figures: per column, the dataset share and count, the prediction and target."""
    rows: list[MetricRow] = []
    features = [d for d in drift if d.column in roles.features and d.detected is not None]
    for d in drift:
        flag = None if d.detected is None else float(d.detected)
        if d.column == roles.prediction:
            rows += [
                MetricRow("prediction.drift.score", "", d.score, d.method),
                MetricRow("prediction.drift.detected", "", flag, d.method),
            ]
        elif d.column == roles.target:
            rows.append(MetricRow("target.drift.score", "", d.score, d.method))
        else:
            rows += [
                MetricRow("drift.score", d.column, d.score, d.method),
                MetricRow("drift.threshold", d.column, d.threshold, d.method),
                MetricRow("drift.effect", d.column, d.effect, d.method),
                MetricRow("drift.detected", d.column, flag, d.method),
            ]
    if features:
        count = sum(1 for d in features if d.detected)
        rows += [MetricRow("drift.count", "", float(count)), MetricRow("drift.share", "", count / len(features))]
    return rows


def flatten(snapshot: dict[str, Any]) -> list[MetricRow]:
    rows: list[MetricRow] = []
    for entry in snapshot.get("metrics", []):
        kind = metric_type(entry)
        config = entry["config"]
        value = entry["value"]
        column = config.get("column")
        if kind in ("DriftedColumnsCount", "ValueDrift"):
            continue  # DriftHound's own verdicts (drift_rows) are the figures; the report only shows them
        if kind == "MissingValueCount":
            rows.append(MetricRow("missing.share", column, _number(value["share"])))
        elif kind == "DatasetMissingValueCount":
            rows.append(MetricRow("missing.share", "", _number(value["share"])))
        elif kind == "OutRangeValueCount":
            rows.append(MetricRow("out_of_range.share", column, _number(value["share"])))
        elif kind in _SCALAR:
            rows.append(MetricRow(_SCALAR[kind], "", _number(value)))
        elif kind in _MEAN:
            rows.append(MetricRow(_MEAN[kind], "", _number(value["mean"])))
    return rows


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
