"""Reference ranges for relative rules: the same formulas as Evidently's figures, over reference windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from monitor.columns.roles import ColumnRoles
from monitor.evaluation.baselines import _figure, baselines, reference_windows, wanted_baselines
from monitor.windows import Window

BINARY = ColumnRoles(numerical=("a",), categorical=(), prediction="p", target="t", task="binary_classification")
REGRESSION = ColumnRoles(numerical=("a",), categorical=(), prediction="p", target="t", task="regression")


def evidently_values(frame: pd.DataFrame, roles: ColumnRoles) -> dict[str, float]:
    from evidently import BinaryClassification, DataDefinition, Dataset, Regression, Report
    from evidently.metrics import (
        MAE,
        MAPE,
        RMSE,
        Accuracy,
        DatasetMissingValueCount,
        F1Score,
        LogLoss,
        MissingValueCount,
        Precision,
        R2Score,
        Recall,
        RocAuc,
    )

    quiet = {"mean_tests": [], "std_tests": []}
    if roles.task == "regression":
        definition = DataDefinition(
            numerical_columns=["a", "p", "t"], regression=[Regression(target="t", prediction="p")]
        )
        metrics = [MAE(**quiet), RMSE(tests=[]), MAPE(**quiet), R2Score(tests=[])]
        names = ["mae", "rmse", "mape", "r2"]
    else:
        definition = DataDefinition(
            numerical_columns=["a", "p"],
            categorical_columns=["t"],
            classification=[BinaryClassification(target="t", prediction_probas="p")],
        )
        metrics = [
            Accuracy(tests=[]),
            Precision(tests=[]),
            Recall(tests=[]),
            F1Score(tests=[]),
            RocAuc(tests=[]),
            LogLoss(tests=[]),
        ]
        names = ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"]
    metrics += [DatasetMissingValueCount(tests=[]), MissingValueCount(column="a", tests=[])]
    names += ["missing.share", "missing.share:a"]
    snapshot = Report(metrics).run(Dataset.from_pandas(frame, data_definition=definition), None).dict()
    values = {}
    for name, entry in zip(names, snapshot["metrics"], strict=True):
        value = entry["value"]
        values[name] = (
            value["mean"] if name in ("mae", "mape") else value["share"] if name.startswith("missing") else value
        )
    return values


@pytest.mark.parametrize("roles", [BINARY, REGRESSION])
def test_the_formulas_are_evidentlys(roles):
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"a": rng.normal(0, 1, 800)})
    frame.loc[:19, "a"] = np.nan
    if roles.task == "regression":
        frame["t"] = rng.normal(10, 2, 800)
        frame["p"] = frame["t"] + rng.normal(0, 1, 800)
    else:
        frame["t"] = rng.integers(0, 2, 800)
        frame["p"] = np.clip(frame["t"] * 0.3 + rng.random(800) * 0.7, 0, 1)
    expected = evidently_values(frame, roles)
    kind = "value" if roles.task == "regression" else "probability"
    for name, value in expected.items():
        metric, _, column = name.partition(":")
        assert _figure(metric, column, frame, roles, kind, 1.0, {}) == pytest.approx(value, rel=1e-9), name


def test_reference_windows_by_time_and_ranges():
    rng = np.random.default_rng(1)
    times = pd.Series(pd.date_range("2026-11-01", periods=24 * 60, freq="min", tz="UTC"))
    frame = pd.DataFrame({"a": rng.normal(0, 1, len(times)), "t": rng.integers(0, 2, len(times))})
    frame["p"] = rng.random(len(times))
    windows = reference_windows(frame, times, timedelta(hours=1), current_rows=60)
    assert len(windows) == 24 and all(len(w) == 60 for w in windows)
    rows = {
        (r.metric, r.column): r.value
        for r in baselines(windows, [("rows", ""), ("accuracy", "")], BINARY, "probability", rows_scale=2.0)
    }
    assert rows[("rows.reference_mean", "")] == 120.0 and rows[("rows.reference_std", "")] == 0.0
    assert 0.3 < rows[("accuracy.reference_mean", "")] < 0.7 and rows[("accuracy.reference_std", "")] > 0
    chunks = reference_windows(frame, None, timedelta(hours=1), current_rows=100)
    assert len(chunks) == 14 and all(len(c) == 100 for c in chunks), "no timestamps: chunks of the window's rows"
    assert baselines(windows[:3], [("accuracy", "")], BINARY, "probability") == [], "too few windows: no range"


def test_a_sampled_reference_gives_the_band_of_a_window_of_the_current_size():
    """max_rows sampled the reference to 100 rows an hour; the windows judged hold 1,000. An accuracy over 100
    rows scatters about 3x as much as over 1,000: a band of the sampled hours would be far too wide."""
    rng = np.random.default_rng(2)
    hours = 24 * 20
    times = pd.Series(pd.date_range("2026-11-01", periods=hours * 100, freq="36s", tz="UTC"))
    frame = pd.DataFrame({"a": rng.normal(0, 1, len(times)), "p": rng.random(len(times))})
    frame["t"] = (rng.random(len(times)) < frame["p"]).astype(int)
    windows = reference_windows(frame, times, timedelta(hours=1), current_rows=1000)
    assert len(windows) == hours and all(len(w) == 100 for w in windows)
    figures = {
        (r.metric, r.column): r.value
        for r in baselines(windows, [("rows", ""), ("accuracy", "")], BINARY, "probability", 10.0, current_rows=1000)
    }
    # Deciding at 0.5 on uniform, calibrated probabilities is right 3 times in 4: a binomial share of 1,000 rows.
    assert 0.72 < figures[("accuracy.reference_mean", "")] < 0.78
    assert figures[("accuracy.reference_std", "")] == pytest.approx(np.sqrt(0.75 * 0.25 / 1000), rel=0.3)
    assert figures[("rows.reference_mean", "")] == 1000.0, "row counts still per hour, scaled by the sampling"


def test_wanted_follows_the_relative_rules():
    class R:
        def __init__(self, metric, column=None, outside_reference=None):
            self.metric, self.column, self.outside_reference = metric, column, outside_reference

    rules = [R("roc_auc", outside_reference=3.0), R("drift.share"), R("missing.share", "*", 2.0)]
    assert wanted_baselines(rules, BINARY) == [
        ("roc_auc", ""),
        ("missing.share", "a"),
        ("missing.share", "p"),
        ("missing.share", "t"),
    ]


def test_a_seasonal_reference_is_cut_into_its_same_hour_slices():
    """A 50-minute window at 10:00 with hour_of_day: the reference holds 10:00-10:50 of each day. Cut from its
    first row by 50 minutes, a day (28.8 windows) would split later days' slices in two; cut by span, each day's
    slice is one reference window."""
    spans = [
        Window(datetime(2026, 11, d, 10, tzinfo=UTC), datetime(2026, 11, d, 10, 50, tzinfo=UTC)) for d in (1, 2, 3)
    ]
    times = pd.Series(
        [t for s in spans for t in pd.date_range(s.start, s.end, freq="min", inclusive="left")],
        dtype="datetime64[ns, UTC]",
    )
    frame = pd.DataFrame({"a": np.arange(len(times), dtype=float)})
    by_span = reference_windows(frame, times, timedelta(minutes=50), current_rows=50, spans=spans)
    assert [len(w) for w in by_span] == [50, 50, 50]
    assert [w["a"].iloc[0] for w in by_span] == [0.0, 50.0, 100.0], "each window starts at its day's 10:00"
    pooled = reference_windows(frame, times, timedelta(minutes=50), current_rows=50)
    assert sorted(len(w) for w in pooled) != [50, 50, 50], "cut from the first row, a day's slice splits"
