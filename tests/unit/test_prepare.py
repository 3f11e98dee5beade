"""Frames as read -> frames Evidently can trust; wrong types are named."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from monitor.columns.inference import infer_roles
from monitor.columns.roles import ColumnRoles
from monitor.errors import DataError
from monitor.evaluation.data_quality import QualityBaseline, data_quality_rows
from monitor.evaluation.prepare import prepare
from tests.helpers import monitor_config

ROLES = ColumnRoles(
    numerical=("age",), categorical=("region",), prediction="score", target="label", task="binary_classification"
)


def test_numbers_text_nulls_and_infinities():
    frame = pd.DataFrame(
        {
            "age": ["41", Decimal("5.5"), None, float("inf"), True],
            "region": [1, 1.0, "1", None, "é x"],
            "score": [0.1, 0.9, 0.5, 0.2, None],
            "label": [0, 1, True, None, 0],
        }
    )
    prepared = prepare(frame, ROLES)
    ages = prepared.frame["age"].tolist()
    assert ages[:2] == [41.0, 5.5] and math.isnan(ages[2]) and math.isnan(ages[3]) and ages[4] == 1.0
    assert prepared.frame["region"].tolist() == ["1", "1", "1", None, "é x"]
    assert prepared.prediction_kind == "probability"
    assert prepared.frame["label"].tolist()[:3] == [0.0, 1.0, 1.0]


def test_text_in_a_numerical_column_is_named():
    frame = pd.DataFrame(
        {"age": [1, "abc", 3], "region": ["a", "b", "c"], "score": [0.1, 0.2, 0.3], "label": [0, 1, 0]}
    )
    with pytest.raises(
        DataError,
        match=r'column "age" \(numerical_features\) holds non-numeric values such as '
        r"'abc' in 1 rows",
    ):
        prepare(frame, ROLES)


def test_binary_tasks_check_predictions_and_labels():
    base = {"age": [1.0, 2.0], "region": ["a", "b"]}
    # A score outside [0, 1] is a margin (a logit): it ranks rows, but is no probability.
    margin = prepare(pd.DataFrame({**base, "score": [0.2, 1.7], "label": [0, 1]}), ROLES)
    assert margin.prediction_kind == "score"
    with pytest.raises(DataError, match=r'target_column "label" holds 2\.0'):
        prepare(pd.DataFrame({**base, "score": [0.2, 0.7], "label": [0, 2]}), ROLES)
    labels = prepare(pd.DataFrame({**base, "score": [0, 1], "label": [0, 1]}), ROLES)
    assert labels.prediction_kind == "label"


def test_an_empty_frame_keeps_its_columns():
    frame = pd.DataFrame({"age": [], "region": [], "score": [], "label": []})
    prepared = prepare(frame, ROLES)
    assert list(prepared.frame.columns) == ["age", "region", "score", "label"] and len(prepared.frame) == 0


def test_inferred_roles_skip_special_columns_dates_and_the_key(tmp_path):
    config = monitor_config(tmp_path, "sqlite:///x.db", features="")
    sample = pd.DataFrame(
        {
            "id": [1, 2],
            "ts": ["2026-11-22 06:00:00"] * 2,
            "age": [1.5, 2.0],
            "as_text": ["3", "4"],
            "region": ["n", "s"],
            "flag": [True, False],
            "when": pd.to_datetime(["2026-01-01", "2026-01-02"]),
            "score": [0.1, 0.2],
            "label": [0, 1],
        }
    )
    roles, _ = infer_roles(config.monitors[0], sample, exclude=["id"])
    assert roles.numerical == ("age", "as_text")
    assert roles.categorical == ("region", "flag")
    assert roles.prediction == "score" and roles.target == "label"


def test_data_quality_figures_follow_evidentlys_definitions():
    roles = ColumnRoles(numerical=("age",), categorical=("region",))
    reference = pd.DataFrame({"age": [20.0, 30.0, 40.0, np.nan], "region": ["a", "b", "c", np.nan]})
    current = pd.DataFrame({"age": [10.0, 20.0, 41.0, np.nan, 35.0, 30.0], "region": ["a", "b", "z", "z", "y", None]})
    figures = {
        (f.metric, f.column): f.value
        for f in data_quality_rows(current, QualityBaseline.learn(reference, roles), roles)
    }
    assert figures[("new_categories.count", "region")] == 2.0  # z and y, each counted once
    assert figures[("out_of_range.share", "age")] == 2 / 5  # of the values present, 10 and 41
    assert figures[("missing.share", "age")] == 1 / 6 and figures[("missing.share", "region")] == 1 / 6
    assert figures[("missing.share", "")] == 2 / 6  # rows with any missing value
