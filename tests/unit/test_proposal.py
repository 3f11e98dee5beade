"""`drifthound init`'s decisions, as pure functions of what it read: window and schedule from the rate, the
timestamp column, the model's columns, the URL as written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor import redaction
from monitor.commands.init import _monitor_name, _written_url
from monitor.proposal.cadence import cadence
from monitor.proposal.outputs import find_model_columns
from monitor.proposal.timestamp import find_timestamp


@pytest.mark.parametrize(
    ("per_hour", "window", "schedule", "min_rows", "reference"),
    [
        (2000, "1h", "0 * * * *", 200, '{ last = "7d", offset = "1d" }'),
        (500, "1h", "0 * * * *", 166, '{ last = "7d", offset = "1d" }'),
        (100, "6h", "0 */6 * * *", 200, '{ last = "7d", offset = "1d" }'),
        (60, "1d", "0 0 * * *", 200, '{ last = "7d" }'),
        (1, "7d", "0 0 * * 1", 56, '{ last = "28d" }'),
    ],
)
def test_the_window_is_the_smallest_holding_a_few_hundred_rows(per_hour, window, schedule, min_rows, reference):
    pace = cadence(per_hour)
    assert (pace.window_text, pace.schedule, pace.min_rows, pace.reference) == (window, schedule, min_rows, reference)


def _times(count: int) -> list[datetime]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return [start + timedelta(minutes=7 * i) for i in range(count)]


def test_the_timestamp_is_the_column_of_times_of_day_not_a_date_or_a_number():
    times = _times(300)
    sample = pd.DataFrame(
        {
            "birth_date": ["1980-01-02"] * 300,  # dates alone: no window can be cut by them
            "amount": np.arange(300) * 1.5,
            "created_at": [t.replace(tzinfo=None) for t in times],
            "updated_at": [t.strftime("%Y-%m-%d %H:%M:%S") for t in times],
        }
    )
    found = find_timestamp(sample, "sqlite")
    assert found is not None and found.column == "created_at"
    assert found.reason == "timestamps (read as UTC); also times: updated_at (give another with --timestamp)"
    epoch = pd.DataFrame({"event_ts": [t.timestamp() for t in times], "count": np.arange(300)})
    found = find_timestamp(epoch, "postgresql")
    assert found is not None and (found.column, found.reason) == ("event_ts", "epoch seconds under a time-like name")
    assert find_timestamp(pd.DataFrame({"n": np.arange(300), "birth_date": ["1980-01-02"] * 300}), "sqlite") is None


def test_the_model_columns_and_the_task_follow_names_and_values():
    rng = np.random.default_rng(1)
    binary = pd.DataFrame({"age": rng.normal(size=200), "score": rng.random(200), "label": rng.integers(0, 2, 200)})
    found = find_model_columns(binary, exclude=set())
    assert (found.prediction, found.target, found.task) == ("score", "label", "binary_classification")
    regression = pd.DataFrame({"y_pred": rng.normal(size=200), "y_true": rng.normal(size=200)})
    found = find_model_columns(regression, exclude=set())
    assert (found.prediction, found.target, found.task) == ("y_pred", "y_true", "regression")
    unlabelled = pd.DataFrame({"risk_score": rng.random(200), "approved": rng.integers(0, 2, 200)})
    found = find_model_columns(unlabelled, exclude=set())
    assert (found.prediction, found.target, found.task, found.set_aside) == ("risk_score", None, None, ("approved",))
    assert any("model quality needs one" in note for note in found.notes)


def test_the_url_is_written_without_its_password(tmp_path):
    url = "postgresql+psycopg://reader:p%40ss-w0rd@db.internal:5432/ml?sslmode=require&sslpassword=k3y-secret"
    written, env = _written_url(url, url, "credit-scoring", None)
    assert env == "CREDIT_SCORING_DB_PASSWORD"
    assert "p%40ss" not in written and "p@ss" not in written and "k3y-secret" not in written
    assert written.startswith("postgresql+psycopg://reader:${CREDIT_SCORING_DB_PASSWORD}@db.internal:5432/ml?")
    assert "sslpassword=${CREDIT_SCORING_DB_PASSWORD_SSLPASSWORD}" in written and "sslmode=require" in written
    given = "postgresql+psycopg://reader:${PW}@db/ml"
    assert _written_url(given, given.replace("${PW}", "x"), "m", None) == (given, None)
    database = tmp_path / "logs" / "log.db"
    assert _written_url(f"sqlite:///{database}", f"sqlite:///{database}", "m", tmp_path / "config.toml") == (
        "sqlite:///logs/log.db",
        None,
    )
    elsewhere = Path("/srv/other/log.db")
    assert _written_url(f"sqlite:///{elsewhere}", f"sqlite:///{elsewhere}", "m", tmp_path / "c.toml")[0] == (
        f"sqlite:///{elsewhere}"
    )
    redaction.clear()


def test_the_monitor_is_named_after_what_it_reads():
    assert _monitor_name("analytics.predictions", None) == "predictions"
    assert _monitor_name(None, "SELECT * FROM ml.scores WHERE model = 'a'") == "scores"
    assert _monitor_name(None, "SELECT * FROM read_parquet('/data/shop-logs/*.parquet')") == "shop-logs"
    assert _monitor_name(None, "SELECT 1 AS x") == "monitor"
