"""Evidently snapshot dicts -> DriftHound's metric names."""

from __future__ import annotations

from monitor.evaluation.flatten import flatten
from monitor.evaluation.roles import ColumnRoles

ROLES = ColumnRoles(
    numerical=("age",), categorical=("region",), prediction="score", target="label", task="binary_classification"
)


def metric(kind: str, value, **config):
    return {"id": "x", "metric_name": kind, "config": {"type": f"evidently:metric_v2:{kind}", **config}, "value": value}


def drift_test(column: str, method: str, status: str):
    return {
        "id": "drift",
        "status": status,
        "metric_config": {"params": {"type": "evidently:metric_v2:ValueDrift", "column": column, "method": method}},
    }


SNAPSHOT = {
    "metrics": [
        metric("DriftedColumnsCount", {"count": 1.0, "share": 0.5}, columns=["age", "region"]),
        metric("ValueDrift", 0.42, column="age", method="Wasserstein distance (normed)", threshold=0.1),
        metric("ValueDrift", 0.03, column="region", method="Jensen-Shannon distance", threshold=0.1),
        metric("ValueDrift", 0.2, column="score", method="Wasserstein distance (normed)", threshold=0.1),
        metric("ValueDrift", 0.01, column="label", method="Z-test p_value", threshold=0.05),
        metric("MissingValueCount", {"count": 3.0, "share": 0.003}, column="age"),
        metric("DatasetMissingValueCount", {"count": 3.0, "share": 0.001}),
        metric("OutRangeValueCount", {"count": 10.0, "share": 0.01}, column="age", left=0, right=90),
        metric("OutListValueCount", {"count": 5.0, "share": 0.005}, column="region", values=["n"]),
        metric("Accuracy", 0.8),
        metric("RocAuc", 0.85),
        metric("LogLoss", 0.4),
        metric("F1Score", 0.7),
        metric("MAE", {"mean": 1.5, "std": 0.2}),
        metric("R2Score", float("nan")),
    ],
    "tests": [
        drift_test("age", "Wasserstein distance (normed)", "FAIL"),
        drift_test("region", "Jensen-Shannon distance", "SUCCESS"),
        drift_test("score", "Wasserstein distance (normed)", "FAIL"),
        {
            "id": "lt",
            "status": "FAIL",
            "metric_config": {"params": {"type": "evidently:metric_v2:DriftedColumnsCount"}},
        },
    ],
}


def as_dict(rows):
    return {(row.metric, row.column): row for row in rows}


def test_every_figure_gets_its_design_name():
    rows = as_dict(flatten(SNAPSHOT, ROLES))
    values = {key: row.value for key, row in rows.items()}
    assert values[("drift.share", "")] == 0.5 and values[("drift.count", "")] == 1.0
    assert values[("drift.score", "age")] == 0.42 and values[("drift.threshold", "age")] == 0.1
    assert values[("drift.detected", "age")] == 1.0 and values[("drift.detected", "region")] == 0.0
    assert values[("prediction.drift.score", "")] == 0.2 and values[("prediction.drift.detected", "")] == 1.0
    assert values[("target.drift.score", "")] == 0.01
    assert values[("missing.share", "age")] == 0.003 and values[("missing.share", "")] == 0.001
    assert values[("out_of_range.share", "age")] == 0.01
    assert values[("accuracy", "")] == 0.8 and values[("roc_auc", "")] == 0.85 and values[("log_loss", "")] == 0.4
    assert values[("f1", "")] == 0.7 and values[("mae", "")] == 1.5


def test_the_method_travels_with_drift_figures():
    rows = as_dict(flatten(SNAPSHOT, ROLES))
    assert rows[("drift.score", "age")].method == "Wasserstein distance (normed)"
    assert rows[("drift.detected", "region")].method == "Jensen-Shannon distance"


def test_prediction_and_target_are_not_counted_as_feature_columns():
    rows = flatten(SNAPSHOT, ROLES)
    assert {row.column for row in rows if row.metric == "drift.score"} == {"age", "region"}


def test_nan_stays_a_value_for_the_store_to_turn_into_null():
    rows = as_dict(flatten(SNAPSHOT, ROLES))
    assert rows[("r2", "")].value != rows[("r2", "")].value  # NaN


def test_unknown_metric_types_are_ignored_and_a_missing_verdict_is_none():
    snapshot = {
        "metrics": [metric("ValueDrift", 0.3, column="age", method="psi", threshold=0.1), metric("SomethingNew", 1.0)],
        "tests": [],
    }
    rows = as_dict(flatten(snapshot, ROLES))
    assert rows[("drift.detected", "age")].value is None
    assert len(rows) == 3
