"""Building prediction logs for tests: frames, and tables in real databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from monitor.config import Config, parse_config
from monitor.runner import Runner
from monitor.store import Store

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)


def predictions(
    rows_per_hour: int,
    *,
    start: datetime = T0,
    hours: int = 48,
    seed: int = 1,
    shift_from: datetime | None = None,
    income_factor: float = 1.8,
) -> pd.DataFrame:
    """A small credit-like log; from `shift_from`, income is multiplied and region "west" dominates."""
    rng = np.random.default_rng(seed)
    count = rows_per_hour * hours
    offsets = np.sort(rng.uniform(0, hours * 3600, count))
    ts = [start + timedelta(seconds=float(s)) for s in offsets]
    shifted = np.array([shift_from is not None and t >= shift_from for t in ts])
    income = rng.lognormal(10, 0.5, count) * np.where(shifted, income_factor, 1.0)
    region = np.where(
        shifted, rng.choice(["north", "west"], count, p=[0.2, 0.8]), rng.choice(["north", "west"], count, p=[0.8, 0.2])
    )
    age = rng.normal(40, 10, count)
    score = 1 / (1 + np.exp(-(age - 40) / 10))
    label = (rng.random(count) < score).astype(int)
    return pd.DataFrame({"ts": ts, "age": age, "income": income, "region": region, "score": score, "label": label})


def write_table(url: str, table: str, frame: pd.DataFrame, *, timestamps: str = "naive") -> None:
    """Writes `frame` as a table; `timestamps` is how ts is stored: naive | aware | text | text_t_z | epoch."""
    data = frame.copy()
    engine = sa.create_engine(url)
    dtype = None
    if timestamps == "naive":
        data["ts"] = [t.astimezone(UTC).replace(tzinfo=None) for t in data["ts"]]
        dtype = {"ts": sa.DateTime(timezone=False)}
    elif timestamps == "aware":
        data["ts"] = pd.to_datetime([t.astimezone(UTC) for t in data["ts"]], utc=True)
        dtype = {"ts": sa.DateTime(timezone=True)}
    elif timestamps == "text":
        data["ts"] = [t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") for t in data["ts"]]
    elif timestamps == "text_t_z":
        data["ts"] = [t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") for t in data["ts"]]
    elif timestamps == "epoch":
        data["ts"] = [t.timestamp() for t in data["ts"]]
    else:
        raise ValueError(timestamps)
    with engine.begin() as connection:
        data.to_sql(table, connection, index=False, if_exists="replace", dtype=dtype)
    engine.dispose()


def monitor_config(tmp_path: Path, source_url: str, **options: Any) -> Config:
    return parse_config(monitor_config_text(tmp_path, source_url, **options), base_dir=tmp_path)


def monitor_config_text(
    tmp_path: Path,
    source_url: str,
    *,
    store_url: str | None = None,
    extra: str = "",
    monitor_extra: str = "",
    service_extra: str = "",
    reference: str = '{ last = "24h" }',
    window: str = "1h",
    features: str = 'numerical_features = ["age", "income"]\ncategorical_features = ["region"]',
    min_rows: int = 50,
    max_rows: int = 100000,
    name: str = "credit",
) -> str:
    store_url = store_url or f"sqlite:///{tmp_path / 'store.db'}"
    reports_dir = tmp_path / "reports"
    return f"""
[service]
store_url = "{store_url}"
reports_dir = "{reports_dir}"
{service_extra}

[sources.main]
url = "{source_url}"

[[monitors]]
name = "{name}"
source = "main"
table = "predictions"
timestamp_column = "ts"
{features}
prediction_column = "score"
target_column = "label"
task = "binary_classification"
every = "1h"
window = "{window}"
reference = {reference}
min_rows = {min_rows}
max_rows = {max_rows}
{monitor_extra}
{extra}
"""


@contextmanager
def hooked_runner(
    tmp_path: Path, database_url: str, frame: pd.DataFrame, monitor_extra: str, **settings: object
) -> Iterator[tuple[Runner, Config]]:
    """A Runner over `frame` (the predictions table of `database_url`, which holds the store too), its rules'
    notifications queued for a log channel "hook"; `settings` go to monitor_config."""
    write_table(database_url, "predictions", frame, timestamps="naive")
    config = monitor_config(
        tmp_path,
        database_url,
        store_url=database_url,
        monitor_extra=monitor_extra,
        extra='[channels.hook]\ntype = "log"',
        **settings,  # type: ignore[arg-type]
    )
    store = Store(database_url)
    store.ensure_schema()
    try:
        yield Runner(config, store, owner="test"), config
    finally:
        store.dispose()
