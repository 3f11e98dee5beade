"""`drifthound demo`: a week of credit-scoring predictions in SQLite, with drift in the last day.

About 2,000 predictions an hour; 6 numerical and 3 categorical features, the model's
score and its decision (approved above 0.55). Whether a loan was repaid is known a day
later, in a table of its own (`outcomes`): the last day's outcomes have not arrived.
From 24 hours before the latest full hour: income rises, debt_ratio rises and bunches
up, and the "mobile" channel's share rises from 20% to 45%. The model is still right
about what it sees (a covariate shift), but debt no longer tells applicants apart, so
it separates them less well: its estimated quality falls before any outcome arrives. And
tenure, which grew with age, no longer does (each keeps its own distribution): a
multivariate change no single column shows.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from monitor.errors import UsageError

NUMERICAL = ("age", "income", "credit_score", "debt_ratio", "tenure_months", "num_accounts")
CATEGORICAL = ("region", "channel", "product")
SHIFTED = ("income", "debt_ratio", "channel")
_SQL_TYPES = {"ts": "TEXT", "approved": "INTEGER", "gender": "TEXT", **{c: "TEXT" for c in CATEGORICAL}}
# Outcomes arrive this long after the prediction (and the demo's last day has none yet).
LABEL_DELAY = timedelta(days=1)

CONFIG_TEMPLATE = """\
# The DriftHound demo (written by `drifthound demo`; `make run` uses it).
# Paths are relative to this file. See README.md for every key.

[service]
store_url = "sqlite:///drifthound.db"
reports_dir = "reports"
report_retention = "30d"
http_listen = "127.0.0.1:9308"
catch_up = "2d"                 # at start: the last two days (a day with outcomes, a day still waiting)

[sources.demo]
url = "sqlite:///predictions.db"

[[monitors]]
name = "credit-scoring"
source = "demo"
table = "predictions"
timestamp_column = "ts"
numerical_features = ["age", "income", "credit_score", "debt_ratio", "tenure_months", "num_accounts"]
categorical_features = ["region", "channel", "product"]
prediction_column = "score"
prediction_label_column = "approved"
labels = { table = "outcomes", key = "id", column = "repaid", delay = "1d" }
task = "binary_classification"
schedule = "0 * * * *"
window = "1h"
reference = { last = "5d", offset = "1d" }
max_rows = 50000
min_rows = 200
segments = ["region"]                 # the same figures for each region
protected_attributes = ["gender"]     # who gets approved, by gender

[[monitors.rules]]
name = "dataset drift"
metric = "drift.share"
above = 0.3
for_runs = 2
severity = "critical"
channels = ["log"]

[[monitors.rules]]
name = "four-fifths rule"
metric = "fairness.selection_rate_ratio"
column = "gender"
below = 0.8                           # the lowest group's approval rate under 80 % of the highest's
for_runs = 2                          # one small hour can fail it by chance
severity = "critical"
channels = ["log"]

[[monitors.rules]]
name = "model quality (estimated)"
metric = "estimated.roc_auc"
outside_reference = 3.0               # outside what the model really did on the reference
for_runs = 2
severity = "critical"
channels = ["log"]

[[monitors.rules]]
name = "accuracy floor"
metric = "accuracy"                   # realized: once the day-late outcomes are in
below = 0.65                          # about 0.75 on an ordinary hour
severity = "warning"
channels = ["log"]

[channels.log]
type = "log"
"""


@dataclass(frozen=True)
class DemoData:
    database: Path
    config: Path
    rows: int
    start: datetime
    end: datetime
    drift_start: datetime


def write_demo(
    directory: Path, *, now: datetime, days: int = 7, per_hour: int = 2000, seed: int = 42, force: bool = False
) -> DemoData:
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "config.toml"
    if config.exists() and config.read_text(encoding="utf-8") != CONFIG_TEMPLATE and not force:
        raise UsageError(f"{config} exists and is not the demo's config; use another --dir, or --force to overwrite it")
    # A fresh demo starts a fresh store: old results describe data that is gone.
    for leftover in ("drifthound.db", "drifthound.db-wal", "drifthound.db-shm"):
        (directory / leftover).unlink(missing_ok=True)
    _clear_reports(directory / "reports")
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    drift_start = end - timedelta(hours=24)
    frame = predictions(start=start, end=now.astimezone(UTC), drift_start=drift_start, per_hour=per_hour, seed=seed)
    database = directory / "predictions.db"
    temporary = directory / ".predictions.db.tmp"
    temporary.unlink(missing_ok=True)
    _write_sqlite(frame, temporary, arrived_before=now.astimezone(UTC) - LABEL_DELAY)
    temporary.replace(database)
    config.write_text(CONFIG_TEMPLATE, encoding="utf-8")
    return DemoData(database, config, len(frame), start, now, drift_start)


def _clear_reports(reports: Path) -> None:
    import shutil

    if reports.is_dir():
        shutil.rmtree(reports)


def predictions(*, start: datetime, end: datetime, drift_start: datetime, per_hour: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seconds = (end - start).total_seconds()
    count = int(seconds / 3600 * per_hour)
    offsets = np.sort(rng.uniform(0, seconds, count))
    ts = pd.Timestamp(start) + pd.to_timedelta(offsets, unit="s")
    drifted = np.asarray(ts >= pd.Timestamp(drift_start))

    age = np.clip(rng.normal(41, 12, count), 18, 90).round()
    income = rng.lognormal(10.6, 0.45, count) * np.where(drifted, 1.6, 1.0)
    credit_score = np.clip(rng.normal(660, 75, count), 300, 850).round()
    debt = rng.beta(2, 5, count)
    debt_ratio = np.clip(np.where(drifted, 0.46 + 0.1 * (debt - 0.28), debt), 0, 1.5)
    # Tenure grows with age (a correlation of about 0.7), until the drift: then the two are unrelated, each with
    # the very distribution it had. No column's own test can see that; the multivariate one does.
    from scipy import stats

    together = np.where(drifted, 0.0, 0.7)
    age_z = (age - 41) / 12
    tenure_months = stats.gamma.ppf(
        stats.norm.cdf(together * age_z + np.sqrt(1 - together**2) * rng.normal(0, 1, count)), 2.0, scale=18.0
    ).round()
    num_accounts = rng.poisson(3, count).astype(float)
    region = rng.choice(["north", "south", "east", "west"], count, p=[0.3, 0.25, 0.25, 0.2])
    stable_channel = rng.choice(["web", "branch", "mobile"], count, p=[0.5, 0.3, 0.2])
    drifted_channel = rng.choice(["web", "branch", "mobile"], count, p=[0.35, 0.2, 0.45])
    channel = np.where(drifted, drifted_channel, stable_channel)
    product = rng.choice(["basic", "plus", "premium"], count, p=[0.55, 0.3, 0.15])
    gender = rng.choice(["f", "m"], count)  # not a feature: the model never sees it, fairness watches it

    # What the model learnt (the score), and the world behaving as it learnt: repaid with that probability.
    z = (
        -0.6
        + 1.0 * (credit_score - 660) / 75
        - 1.6 * (debt_ratio - 0.28) / 0.16
        + 0.5 * (np.log(income) - 10.6) / 0.45
        + 0.5 * (tenure_months - 36) / 25
        + 0.5 * (product == "premium")
    )
    score = 1 / (1 + np.exp(-z))
    repaid = (rng.random(count) < score).astype(int)

    return pd.DataFrame(
        {
            "ts": ts.tz_localize(None).to_pydatetime(),
            "age": age,
            "income": income.round(2),
            "credit_score": credit_score,
            "debt_ratio": debt_ratio.round(4),
            "tenure_months": tenure_months,
            "num_accounts": num_accounts,
            "region": region,
            "channel": channel,
            "product": product,
            "gender": gender,
            "score": score.round(5),
            "approved": (score > 0.3).astype(int),
            "repaid": repaid,
        }
    )


def _write_sqlite(frame: pd.DataFrame, path: Path, *, arrived_before: datetime) -> None:
    """Predictions, with naive UTC text timestamps ("2026-11-22 06:00:00.123456") as pandas and most loaders
    write them; and the outcomes that have arrived (of predictions made before `arrived_before`)."""
    predictions = frame.drop(columns=["repaid"])
    connection = sqlite3.connect(path)
    try:
        columns = ", ".join(f'"{c}" {_SQL_TYPES.get(c, "REAL")}' for c in predictions.columns)
        connection.execute(f"CREATE TABLE predictions (id INTEGER PRIMARY KEY, {columns})")
        placeholders = ", ".join("?" for _ in predictions.columns)
        names = ", ".join(f'"{c}"' for c in predictions.columns)
        records = predictions.assign(ts=[t.strftime("%Y-%m-%d %H:%M:%S.%f") for t in predictions["ts"]])
        connection.executemany(
            f"INSERT INTO predictions ({names}) VALUES ({placeholders})",  # noqa: S608
            records.itertuples(index=False, name=None),
        )
        connection.execute("CREATE INDEX ix_predictions_ts ON predictions (ts)")
        connection.execute("CREATE TABLE outcomes (id INTEGER PRIMARY KEY, repaid INTEGER)")
        arrived = frame["ts"] < arrived_before.replace(tzinfo=None)
        ids = np.flatnonzero(arrived.to_numpy()) + 1  # SQLite numbered the predictions from 1, in order
        connection.executemany(
            "INSERT INTO outcomes (id, repaid) VALUES (?, ?)",
            zip(ids.tolist(), frame["repaid"][arrived].astype(int).tolist(), strict=True),
        )
        connection.commit()
    finally:
        connection.close()
