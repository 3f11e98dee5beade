"""Evidently snapshot dicts -> DriftHound's metric rows (names of DESIGN.md).

Pure functions over plain dicts (what `Snapshot.dict()` returns), so every mapping
is testable without running Evidently.
"""

from __future__ import annotations

from typing import Any

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


def drift_verdicts(snapshot: dict[str, Any]) -> dict[tuple[str, str], bool]:
    """(column, method) -> drift detected, from the ValueDrift tests Evidently ran."""
    verdicts: dict[tuple[str, str], bool] = {}
    for test in snapshot.get("tests", []):
        params = test.get("metric_config", {}).get("params", {})
        if str(params.get("type", "")).endswith(":ValueDrift"):
            verdicts[(params["column"], params.get("method", ""))] = test.get("status") == "FAIL"
    return verdicts


def flatten(snapshot: dict[str, Any], roles: ColumnRoles) -> list[MetricRow]:
    rows: list[MetricRow] = []
    verdicts = drift_verdicts(snapshot)
    for entry in snapshot.get("metrics", []):
        kind = metric_type(entry)
        config = entry["config"]
        value = entry["value"]
        column = config.get("column")
        if kind == "DriftedColumnsCount":
            rows.append(MetricRow("drift.count", "", _number(value["count"])))
            rows.append(MetricRow("drift.share", "", _number(value["share"])))
        elif kind == "ValueDrift":
            rows.extend(_drift_rows(column, config, _number(value), verdicts, roles))
        elif kind == "MissingValueCount":
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


def _drift_rows(
    column: str, config: dict[str, Any], score: float | None, verdicts: dict[tuple[str, str], bool], roles: ColumnRoles
) -> list[MetricRow]:
    method = config.get("method")
    detected = verdicts.get((column, method or ""))
    flag = None if detected is None else float(detected)
    if column == roles.prediction:
        return [
            MetricRow("prediction.drift.score", "", score, method),
            MetricRow("prediction.drift.detected", "", flag, method),
        ]
    if column == roles.target:
        return [MetricRow("target.drift.score", "", score, method)]
    threshold = config.get("threshold")
    return [
        MetricRow("drift.score", column, score, method),
        MetricRow("drift.threshold", column, _number(threshold), method),
        MetricRow("drift.detected", column, flag, method),
    ]


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
