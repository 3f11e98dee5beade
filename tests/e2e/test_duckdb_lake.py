"""Prediction logs kept as Parquet files, read through DuckDB's in-memory database (the optional `duckdb` extra)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.e2e.cli import drifthound

pytestmark = pytest.mark.e2e
pytest.importorskip("duckdb_engine", reason="DuckDB is an optional extra: pip install 'drifthound[duckdb]'")

END = datetime(2026, 12, 4, 23, tzinfo=UTC)


def write_lake(directory: Path, *, shift_last_hour: float) -> None:
    """Two Parquet files of one day's predictions, 300 an hour; `amount` moves in the last hour."""
    rng = np.random.default_rng(7)
    times = pd.date_range(END - timedelta(hours=24), END, freq="12s", tz="UTC", inclusive="left")
    rows = len(times)
    amount = rng.gamma(2.0, 50.0, rows)
    amount[times >= END - timedelta(hours=1)] += shift_last_hour
    frame = pd.DataFrame(
        {
            "ts": times,
            "request_id": [f"req-{i:06d}" for i in range(rows)],
            "amount": amount,
            "country": rng.choice(["de", "fr", "it"], rows),
            "score": rng.random(rows),
        }
    )
    logs = directory / "logs"
    logs.mkdir()
    frame.iloc[: rows // 2].to_parquet(logs / "part-0.parquet")
    frame.iloc[rows // 2 :].to_parquet(logs / "part-1.parquet")


def write_config(directory: Path) -> Path:
    path = directory / "config.toml"
    path.write_text(
        f"""
[service]
store_url = "sqlite:///{directory / "store.db"}"
reports_dir = "{directory / "reports"}"

[sources.lake]
url = "duckdb:///:memory:"

[[monitors]]
name = "lake"
source = "lake"
query = "SELECT * FROM read_parquet('{directory / "logs"}/*.parquet')"
timestamp_column = "ts"
numerical_features = ["amount"]
categorical_features = ["country"]
prediction_column = "score"
every = "1h"
window = "1h"
reference = {{ last = "12h", offset = "1h" }}
min_rows = 100

[[monitors.rules]]
name = "amount drift"
metric = "drift.detected"
column = "amount"
above = 0.5
channels = ["log"]

[channels.log]
type = "log"
"""
    )
    return path


def test_parquet_files_through_duckdb_in_memory_are_checked_and_their_drift_found(tmp_path):
    write_lake(tmp_path, shift_last_hour=60.0)
    config = write_config(tmp_path)

    checked = drifthound("config", "check", "-c", str(config))
    assert checked.returncode == 0, checked.stderr + checked.stdout
    assert "Traceback" not in checked.stderr + checked.stdout
    assert 'ok    monitor "lake" (source "lake", duckdb:///:memory:)' in checked.stdout

    run = drifthound("check", "-c", str(config), "--at", END.isoformat().replace("+00:00", "Z"))
    assert run.returncode == 0, run.stderr + run.stdout
    assert "lake [2026-12-04T22:00:00Z .. 2026-12-04T23:00:00Z): ok" in run.stdout

    figures = json.loads(drifthound("metrics", "-m", "lake", "--format", "json", "-c", str(config)).stdout)
    detected = {row["column"]: row["value"] for row in figures if row["metric"] == "drift.detected"}
    assert detected["amount"] == 1.0
    assert detected["country"] == 0.0
    assert [row["value"] for row in figures if row["metric"] == "rows"] == [300.0]
