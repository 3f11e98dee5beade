"""Results -> DriftHound's metric names: drift from DriftHound's verdicts, quality from Evidently's snapshots."""

from __future__ import annotations

import math

from monitor.drift.detect import ColumnDrift
from monitor.evaluation.flatten import drift_rows, flatten
from monitor.evaluation.roles import ColumnRoles

ROLES = ColumnRoles(
    numerical=("age",), categorical=("region",), prediction="score", target="label", task="binary_classification"
)


def metric(kind: str, value, **config):
    return {"id": "x", "metric_name": kind, "config": {"type": f"evidently:metric_v2:{kind}", **config}, "value": value}


SNAPSHOT = {
    "metrics": [
        metric("DriftedColumnsCount", {"count": 2.0, "share": 1.0}, columns=["age", "region"]),
        metric("ValueDrift", 0.42, column="age", method="drifthound:wasserstein (calibrated)", threshold=0.1),
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
        metric("SomethingNew", 1.0),
    ],
    "tests": [],
}

DRIFT = [
    ColumnDrift("age", "wasserstein (calibrated)", 0.42, 0.05, 0.42, True),
    ColumnDrift("region", "jensenshannon (calibrated)", 0.01, 0.03, 0.008, False),
    ColumnDrift("score", "wasserstein (calibrated)", 0.2, 0.06, 0.2, True),
    ColumnDrift("label", "jensenshannon (calibrated)", 0.02, 0.04, 0.01, False),
]


def as_dict(rows):
    return {(row.metric, row.column): row for row in rows}


def test_quality_figures_get_their_design_names_and_drift_is_not_taken_from_the_snapshot():
    values = {key: row.value for key, row in as_dict(flatten(SNAPSHOT)).items()}
    assert values[("missing.share", "age")] == 0.003 and values[("missing.share", "")] == 0.001
    assert values[("out_of_range.share", "age")] == 0.01
    assert values[("accuracy", "")] == 0.8 and values[("roc_auc", "")] == 0.85 and values[("log_loss", "")] == 0.4
    assert values[("f1", "")] == 0.7 and values[("mae", "")] == 1.5
    assert math.isnan(values[("r2", "")]), "NaN stays a value for the store to turn into NULL"
    assert not any(metric.startswith("drift") for metric, _ in values)


def test_drift_figures_come_from_drifthounds_verdicts():
    rows = as_dict(drift_rows(DRIFT, ROLES))
    values = {key: row.value for key, row in rows.items()}
    assert values[("drift.score", "age")] == 0.42 and values[("drift.threshold", "age")] == 0.05
    assert values[("drift.effect", "region")] == 0.008
    assert values[("drift.detected", "age")] == 1.0 and values[("drift.detected", "region")] == 0.0
    assert values[("drift.share", "")] == 0.5 and values[("drift.count", "")] == 1.0
    assert values[("prediction.drift.score", "")] == 0.2 and values[("prediction.drift.detected", "")] == 1.0
    assert values[("target.drift.score", "")] == 0.02
    assert rows[("drift.score", "region")].method == "jensenshannon (calibrated)"
    assert {column for metric, column in rows if metric == "drift.score"} == {"age", "region"}


def test_a_column_without_values_has_no_verdict_and_does_not_count():
    rows = as_dict(
        drift_rows([*DRIFT[:1], ColumnDrift("region", "jensenshannon (calibrated)", None, None, None, None)], ROLES)
    )
    assert rows[("drift.detected", "region")].value is None
    assert rows[("drift.share", "")].value == 1.0, "one column compared, one drifted"
