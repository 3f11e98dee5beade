"""PostgreSQL windows are read as Arrow columns (ADBC): the same frame, for evaluation, as the SQLAlchemy path."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.columns.roles import ColumnRoles
from monitor.errors import SourceError
from monitor.evaluation.prepare import prepare
from monitor.sources import columnar
from monitor.sources.reader import Source
from monitor.windows import Window
from tests.helpers import T0

WINDOW = Window(T0, T0 + timedelta(hours=1))
ROLES = ColumnRoles(
    numerical=("i", "f", "n", "b"), categorical=("t", "code"), prediction="p", target="y", task="binary_classification"
)
COLUMNS = ["i", "f", "n", "b", "t", "code", "p", "y"]


@pytest.fixture
def typed_log(pg_url: str) -> str:
    """Every type a prediction log tends to hold, NULLs in each, unicode and look-alike numbers in text."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "CREATE TABLE log (ts timestamptz, i bigint, f double precision, n numeric(12, 4), b boolean,"
                " t text, code varchar(8), p real, y smallint)"
            )
        )
        rows = []
        for k in range(300):
            rows.append(
                {
                    "ts": T0 + timedelta(seconds=10 * k),
                    "i": None if k % 17 == 0 else k * 1_000_003,
                    "f": None if k % 13 == 0 else (k - 150) * 1e-3 if k % 29 else float("nan"),
                    "n": None if k % 11 == 0 else f"{k / 7:.4f}",
                    "b": None if k % 7 == 0 else bool(k % 2),
                    "t": None if k % 5 == 0 else ["ünïcode", "a b", "O'Brien", "1"][k % 4],
                    "code": ["007", "7", "07", None][k % 4],
                    "p": k / 300,
                    "y": None if k % 3 == 0 else k % 2,
                }
            )
        connection.execute(
            sa.text("INSERT INTO log VALUES (:ts, :i, :f, :n, :b, :t, :code, :p, :y)"),
            rows,
        )
    return pg_url


def read_both(url: str, monkeypatch) -> tuple[pd.DataFrame, pd.DataFrame]:
    source = Source(url, table="log", timestamp_column="ts")
    fast = source.read(COLUMNS, WINDOW, max_rows=10_000, seed=1).frame
    assert source._fast, "the fast path read it (no fallback)"
    monkeypatch.setattr(columnar, "supports", lambda url: False)
    plain = Source(url, table="log", timestamp_column="ts").read(COLUMNS, WINDOW, max_rows=10_000, seed=1).frame
    return fast, plain


def test_both_paths_give_evaluation_the_same_frame(typed_log, monkeypatch):
    fast, plain = read_both(typed_log, monkeypatch)
    assert len(fast) == len(plain) == 300
    fast_prepared, plain_prepared = prepare(fast, ROLES), prepare(plain, ROLES)
    pd.testing.assert_frame_equal(fast_prepared.frame, plain_prepared.frame)
    assert fast_prepared.prediction_kind == plain_prepared.prediction_kind == "probability"
    # Text that looks like a number stays text: "007" and "7" are different codes.
    assert set(fast["code"].dropna()) == {"007", "7", "07"}
    assert np.isnan(fast_prepared.frame["f"]).sum() == plain_prepared.frame["f"].isna().sum()


def test_sampled_windows_are_the_same_rows_on_both_paths(typed_log, monkeypatch):
    source = Source(typed_log, table="log", timestamp_column="ts")
    fast = source.read(["i", "p"], WINDOW, max_rows=100, seed=7)
    monkeypatch.setattr(columnar, "supports", lambda url: False)
    plain = Source(typed_log, table="log", timestamp_column="ts").read(["i", "p"], WINDOW, max_rows=100, seed=7)
    assert fast.seed == plain.seed == 7 and len(fast.frame) == 100
    pd.testing.assert_frame_equal(prepare(fast.frame, ROLES_IP).frame, prepare(plain.frame, ROLES_IP).frame)


ROLES_IP = ColumnRoles(numerical=("i", "p"), categorical=())


def test_the_fast_path_is_read_only_too(typed_log):
    """A query that writes is refused by the database on the fast path as on the other."""
    source = Source(typed_log, query="SELECT * FROM log", timestamp_column="ts")
    statement = sa.text("DELETE FROM log RETURNING i")
    with pytest.raises(columnar.Refused, match="read-only transaction"):
        columnar.read(source._engine.url, statement, ["i"])  # type: ignore[arg-type]
    assert Source(typed_log, table="log", timestamp_column="ts").count(None) == 300


def test_what_the_fast_path_cannot_read_is_read_the_other_way_and_the_run_says_so(pg_url):
    """ADBC gives money as integer cents and point or xml as opaque bytes: such a window is read through
    SQLAlchemy, and the read's notes say why (they reach the run's record and the log)."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE priced (ts timestamptz, fee money, age float)"))
        connection.execute(
            sa.text("INSERT INTO priced VALUES (:ts, 12.5, 40)"), [{"ts": T0 + timedelta(minutes=k)} for k in range(5)]
        )
    engine.dispose()
    source = Source(pg_url, table="priced", timestamp_column="ts")
    result = source.read(["fee", "age"], WINDOW, max_rows=10_000, seed=1)
    assert len(result.frame) == 5
    assert 'column "fee" has PostgreSQL type money' in result.notes[0]
    assert "through SQLAlchemy" in result.notes[0]
    assert not source._fast, "that source stays on SQLAlchemy"
    assert "1250" not in str(result.frame["fee"].iloc[0])


def test_a_statement_the_database_refuses_is_not_run_a_second_time_the_other_way(pg_url, typed_log):
    """A division by zero (or a statement timeout) on the fast path used to be run again through SQLAlchemy, with
    its cause cut to a class name. Now the database's message is the error, and nothing is sent twice."""
    from monitor.sources.connect import source_engine

    query = "SELECT ts, i, 1 / (i - i) AS boom FROM log WHERE i IS NOT NULL"
    source = Source(typed_log, query=query, timestamp_column="ts")
    assert source.count(WINDOW) > 0  # the count does not compute boom
    sent: list[str] = []
    listener = lambda *args: sent.append(args[2])  # noqa: E731  (conn, cursor, statement, ...)
    sa.event.listen(source_engine(typed_log), "before_cursor_execute", listener)
    try:
        with pytest.raises(SourceError, match="division by zero"):
            source.read(["i", "boom"], WINDOW, max_rows=10_000, seed=1)
    finally:
        sa.event.remove(source_engine(typed_log), "before_cursor_execute", listener)
    assert not [s for s in sent if "boom" in s and "count" not in s.lower()], sent


def test_an_unreachable_database_is_one_clear_error_on_the_fast_path(pg_url):
    url = sa.engine.make_url(pg_url).set(port=1, password="s3cret-pw").render_as_string(hide_password=False)
    source = Source(url, table="log", timestamp_column="ts")
    source._encoding = Source(pg_url, table="log", timestamp_column="ts")._encoding  # no schema probe needed
    with pytest.raises(SourceError) as raised:
        source.read(["i"], None, max_rows=10_000, seed=1)
    assert "cannot connect to the source database" in str(raised.value)
    assert "s3cret-pw" not in str(raised.value)
