"""Prediction logs for the benches: 16 numerical and 4 categorical columns, a reference day and a current day
of equal size, written to SQLite or PostgreSQL (COPY)."""

from __future__ import annotations

import io
import sqlite3
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

NUMERICAL = [f"n{i:02d}" for i in range(16)]
CATEGORICAL = [f"c{i}" for i in range(4)]
COLUMNS = NUMERICAL + CATEGORICAL
DAY0 = datetime(2026, 11, 1, tzinfo=UTC)  # the reference day; the current window is the day after


def frame(rows: int, day: int, seed: int) -> pd.DataFrame:
    """`rows` predictions spread over one day; the current day has mild drift in two columns."""
    rng = np.random.default_rng(seed)
    shift = 0.1 if day > 0 else 0.0
    start = DAY0 + timedelta(days=day)
    seconds = np.sort(rng.uniform(0, 86_400, rows))
    data: dict[str, object] = {"ts": [start + timedelta(seconds=float(s)) for s in seconds]}
    makers = [
        lambda n: rng.normal(shift, 1, n),
        lambda n: rng.lognormal(0, 1, n),
        lambda n: rng.exponential(2.0, n),
        lambda n: rng.uniform(0, 1, n),
        lambda n: rng.gamma(2.0, 1.5, n),
        lambda n: rng.normal(5000, 1200, n),
        lambda n: rng.standard_t(3, n),
        lambda n: rng.beta(2, 5, n),
    ]
    for i, column in enumerate(NUMERICAL):
        data[column] = makers[i % len(makers)](rows)
    levels = [["a", "b", "c"], ["north", "south", "east", "west", "centre"], list("pqrstuvwxy"), ["web", "app"]]
    for column, names in zip(CATEGORICAL, levels, strict=True):
        p = np.linspace(1, 2, len(names))
        data[column] = rng.choice(names, rows, p=p / p.sum())
    return pd.DataFrame(data)


def write_sqlite(path: str, rows: int) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TABLE IF EXISTS predictions")
        columns = ", ".join([f"{c} REAL" for c in NUMERICAL] + [f"{c} TEXT" for c in CATEGORICAL])
        connection.execute(f"CREATE TABLE predictions (ts TEXT NOT NULL, {columns})")
        for day in (0, 1):
            for chunk in _chunks(rows, day):
                chunk = chunk.assign(ts=chunk["ts"].map(lambda t: t.strftime("%Y-%m-%d %H:%M:%S.%f+00:00")))
                marks = ", ".join("?" * (len(COLUMNS) + 1))
                connection.executemany(
                    f"INSERT INTO predictions VALUES ({marks})",  # noqa: S608
                    chunk.itertuples(index=False, name=None),
                )
        connection.execute("CREATE INDEX predictions_ts ON predictions (ts)")


def write_postgres(url: str, rows: int) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        connection.execute("DROP TABLE IF EXISTS predictions")
        columns = ", ".join([f"{c} double precision" for c in NUMERICAL] + [f"{c} text" for c in CATEGORICAL])
        connection.execute(f"CREATE TABLE predictions (ts timestamptz NOT NULL, {columns})")
        with connection.cursor() as cursor:
            for day in (0, 1):
                for chunk in _chunks(rows, day):
                    buffer = io.StringIO()
                    chunk.to_csv(buffer, index=False, header=False, date_format="%Y-%m-%d %H:%M:%S.%f+00:00")
                    with cursor.copy("COPY predictions FROM STDIN WITH (FORMAT csv)") as copy:
                        copy.write(buffer.getvalue())
        connection.execute("CREATE INDEX predictions_ts ON predictions (ts)")
        connection.execute("ANALYZE predictions")


def _chunks(rows: int, day: int, size: int = 500_000):
    """The day's rows in time order, made in chunks so 10 million rows fit in memory."""
    done = 0
    part = 0
    while done < rows:
        n = min(size, rows - done)
        chunk = frame(n, day, seed=day * 1000 + part)
        # Each chunk covers its share of the day, so the whole stays in time order.
        offset = timedelta(seconds=86_400 * done / rows)
        scale = n / rows
        base = DAY0 + timedelta(days=day)
        chunk["ts"] = [base + offset + (t - base) * scale for t in chunk["ts"]]
        yield chunk
        done += n
        part += 1
