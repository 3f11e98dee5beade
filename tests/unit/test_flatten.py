"""DriftHound's drift verdicts -> metric rows with the names of DESIGN.md."""

from __future__ import annotations

from monitor.columns.roles import ColumnRoles
from monitor.drift.detect import ColumnDrift
from monitor.evaluation.flatten import drift_rows

ROLES = ColumnRoles(
    numerical=("age",), categorical=("region",), prediction="score", target="label", task="binary_classification"
)


DRIFT = [
    ColumnDrift("age", "wasserstein (calibrated)", 0.42, 0.05, 0.42, True),
    ColumnDrift("region", "jensenshannon (calibrated)", 0.01, 0.03, 0.008, False),
    ColumnDrift("score", "wasserstein (calibrated)", 0.2, 0.06, 0.2, True),
    ColumnDrift("label", "jensenshannon (calibrated)", 0.02, 0.04, 0.01, False),
]


def as_dict(rows):
    return {(row.metric, row.column): row for row in rows}


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


def test_the_drift_ratio_is_past_one_exactly_when_the_statistic_is_past_its_threshold_whatever_the_method():
    """A distance is beyond its threshold above it, a p-value below it: the ratio reads the same way for both."""
    columns = [
        ColumnDrift("age", "wasserstein (calibrated)", 0.42, 0.05, 0.42, True),
        ColumnDrift("region", "jensenshannon (calibrated)", 0.01, 0.04, 0.008, False),
        ColumnDrift("income", "ks", 0.001, 0.05, 0.3, True),
        ColumnDrift("debt", "ks", 0.5, 0.05, 0.01, False),
        ColumnDrift("tenure", "ks", 0.0, 0.05, 0.9, True),
    ]
    roles = ColumnRoles(numerical=("age", "income", "debt", "tenure"), categorical=("region",))
    values = {
        column: row.value
        for (metric, column), row in as_dict(drift_rows(columns, roles)).items()
        if metric == "drift.ratio"
    }
    assert values["age"] == 0.42 / 0.05 and values["region"] == 0.25
    assert values["income"] == 50.0 and values["debt"] == 0.1
    assert values["tenure"] == 1000.0, "a p-value of 0: far beyond, still a number"
    assert all((values[c.column] >= 1) == c.detected for c in columns)


def test_notifications_rank_drifted_columns_by_ratio_not_by_scores_in_different_units():
    from monitor.figures import drifted_columns

    columns = [
        ColumnDrift("age", "tail means (calibrated)", 9.0, 6.0, 0.1, True),  # 1.5x its threshold
        ColumnDrift("income", "wasserstein (calibrated)", 0.4, 0.05, 0.4, True),  # 8x
        ColumnDrift("region", "jensenshannon (calibrated)", 0.1, 0.04, 0.1, True),  # 2.5x
    ]
    roles = ColumnRoles(numerical=("age", "income"), categorical=("region",))
    assert [c for c, _, _ in drifted_columns(drift_rows(columns, roles))] == ["income", "region", "age"]
