"""A seasonal reference is read from the database: only the same hours of each day, whatever the timestamps'
encoding, sampled within those hours when it holds more than max_rows."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.sources import statements
from monitor.sources.inputs import MonitorInputs
from monitor.sources.reader import Source
from monitor.windows import Window
from tests.cycles import START, shop_log
from tests.helpers import monitor_config, write_table

WINDOW = Window(START + timedelta(days=4, hours=5), START + timedelta(days=4, hours=6))
FEATURES = 'numerical_features = ["amount", "age"]\ncategorical_features = ["channel"]'


def _inputs(tmp_path, url: str, reference: str, max_rows: int = 100_000) -> MonitorInputs:
    config = monitor_config(tmp_path, url, reference=reference, features=FEATURES, max_rows=max_rows)
    return MonitorInputs(config.monitors[0], url)


def _expected_hours(frame: pd.DataFrame, days: range) -> pd.DataFrame:
    ts = pd.to_datetime(frame["ts"], utc=True)
    keep = pd.Series(False, index=frame.index)
    for day in days:
        start = pd.Timestamp(WINDOW.start - timedelta(days=day))
        keep |= (ts >= start) & (ts < start + pd.Timedelta(hours=1))
    return frame[keep]


@pytest.mark.parametrize(
    ("backend", "encoding"),
    [("sqlite", "text"), ("sqlite", "text_t_z"), ("sqlite", "epoch"), ("postgresql", "aware")],
)
def test_a_seasonal_reference_reads_the_same_hours_of_each_day(tmp_path, request, backend, encoding):
    url = f"sqlite:///{tmp_path / 'log.db'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    frame = shop_log(days=5, scale=0.05)
    write_table(url, "predictions", frame.assign(label=0), timestamps=encoding)
    inputs = _inputs(tmp_path, url, '{ last = "3d", seasonality = "hour_of_day" }')
    read = inputs.read_reference(WINDOW, with_timestamps=True)

    expected = _expected_hours(frame, range(1, 4))
    assert read.result.rows_total == len(expected) == len(read.result.frame)
    hours = read.timestamps.dt.hour.unique().tolist()
    days = sorted(read.timestamps.dt.day.unique().tolist())
    assert hours == [5] and days == [17, 18, 19], "05:00-06:00 on each of the 3 days before the window"
    assert sorted(read.result.frame["amount"]) == pytest.approx(sorted(expected["amount"]))
    assert [(s.start.day, s.start.hour) for s in read.spans.spans] == [(17, 5), (18, 5), (19, 5)]
    assert "hour_of_day: 3 spans" in read.describe(None)

    # Read once while its spans stay the same: the next hour's reference is other hours, read again.
    assert inputs.read_reference(WINDOW, with_timestamps=True) is read
    later = inputs.read_reference(Window(WINDOW.start + timedelta(hours=1), WINDOW.end + timedelta(hours=1)))
    assert later is not read and later.result.rows_total != read.result.rows_total


def test_a_seasonal_reference_beyond_max_rows_is_sampled_within_its_hours(tmp_path, request):
    url = request.getfixturevalue("pg_url")
    frame = shop_log(days=5, scale=0.2)
    write_table(url, "predictions", frame.assign(label=0), timestamps="aware")
    inputs = _inputs(tmp_path, url, '{ last = "4d", seasonality = "hour_of_day" }', max_rows=300)
    read = inputs.read_reference(WINDOW, with_timestamps=True)
    assert read.result.rows_total == len(_expected_hours(frame, range(1, 5)))
    assert read.result.sampled and len(read.result.frame) == 300
    assert read.timestamps.dt.hour.unique().tolist() == [5]
    assert read.timestamps.dt.day.nunique() == 4, "the sample is drawn from every day's hour"


def test_each_span_is_one_index_search_in_sqlite(tmp_path):
    """With an index on the timestamps, SQLite searches each day's hour, not the whole range they span (which
    for 4 weekly hours is 28 days of rows)."""
    url = f"sqlite:///{tmp_path / 'log.db'}"
    write_table(url, "predictions", shop_log(days=5, scale=0.05).assign(label=0), timestamps="text")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE INDEX ix_ts ON predictions (ts)"))
    source = Source(url, table="predictions", timestamp_column="ts")
    spans = [Window(WINDOW.start - timedelta(days=d), WINDOW.end - timedelta(days=d)) for d in (3, 2, 1)]
    statement = statements.count(
        source.relation, statements.spans_filter(source.relation, source.timestamp_encoding(), "sqlite", spans)
    )
    compiled = statement.compile(engine)
    with engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        binds = [compiled.params[name] for name in compiled.positiontup or ()]
        plan = [row[3] for row in cursor.execute(f"EXPLAIN QUERY PLAN {compiled}", binds)]
    engine.dispose()
    assert plan[0] == "MULTI-INDEX OR", plan
    assert sum("USING COVERING INDEX ix_ts (ts>? AND ts<?)" in step for step in plan) == 3, plan
