"""SQLite windows are read as Arrow columns (ADBC's SQLite driver): the same frames as Python's sqlite3 gives the
SQLAlchemy path, the same sampled rows, and SQLAlchemy wherever the driver cannot be trusted with the file."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.sources import columnar
from monitor.sources.reader import Source
from monitor.windows import Window
from tests.helpers import T0, predictions, write_table

WINDOW = Window(T0, T0 + timedelta(hours=6))
COLUMNS = ["i", "i_null", "f", "n", "late", "t", "code", "none", "p", "y"]


@pytest.fixture
def typed_log(tmp_path) -> str:
    """What prediction logs in SQLite tend to hold: integers with and without NULLs, reals, a NUMERIC column of
    integers then fractions, NULLs for 1,500 rows then reals (the driver infers types from rows), unicode, text
    that looks like numbers, a column of NULLs only; timestamps stored as text."""
    path = tmp_path / "log.db"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE log (ts TEXT, i INTEGER, i_null INTEGER, f REAL, n NUMERIC, late REAL, t TEXT,"
            " code VARCHAR(8), none REAL, p REAL, y INTEGER)"
        )
        rows = []
        for k in range(3000):
            rows.append(
                (
                    (T0 + timedelta(seconds=6 * k)).strftime("%Y-%m-%d %H:%M:%S"),
                    k * 1_000_003,
                    None if k % 17 == 0 else k,
                    None if k % 13 == 0 else (k - 150) * 1e-3,
                    k if k < 2000 else k / 7,
                    None if k < 1500 else k / 3,
                    None if k % 5 == 0 else ["ünïcode", "a b", "O'Brien", "1"][k % 4],
                    ["007", "7", "07", None][k % 4],
                    None,
                    k / 3000,
                    k % 2,
                )
            )
        connection.executemany("INSERT INTO log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    connection.close()  # a connection left open would keep the Arrow path off this file (see the last tests)
    return f"sqlite:///{path}"


def read_both(url: str, monkeypatch, columns: list[str], **source) -> tuple[object, object]:
    """The Arrow path's read and the SQLAlchemy path's, of the same window."""
    fast = Source(url, **source).read(columns, WINDOW, max_rows=100_000, seed=3)
    with monkeypatch.context() as patched:
        patched.setattr(columnar, "supports", lambda url: False)
        plain = Source(url, **source).read(columns, WINDOW, max_rows=100_000, seed=3)
    return fast, plain


def test_both_paths_give_the_same_frame(typed_log, monkeypatch):
    source = Source(typed_log, table="log", timestamp_column="ts")
    fast = source.read(COLUMNS, WINDOW, max_rows=100_000, seed=3)
    assert source._fast and fast.notes == (), "read as Arrow columns, no fallback"
    with monkeypatch.context() as patched:
        patched.setattr(columnar, "supports", lambda url: False)
        plain = Source(typed_log, table="log", timestamp_column="ts").read(COLUMNS, WINDOW, max_rows=100_000, seed=3)
    assert len(fast.frame) == 3000
    pd.testing.assert_frame_equal(fast.frame, plain.frame)
    assert fast.frame["i"].dtype == np.int64 and fast.frame["i_null"].dtype == np.float64
    assert set(fast.frame["code"].dropna()) == {"007", "7", "07"}  # text that looks like a number stays text
    assert fast.frame["none"].isna().all() and fast.frame["none"].dtype == object


@pytest.mark.parametrize("timestamps", ["text", "text_t_z", "epoch", "naive"])
def test_each_timestamp_encoding_reads_the_same_window(tmp_path, monkeypatch, timestamps):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    write_table(url, "predictions", predictions(200, hours=12), timestamps=timestamps)
    columns = ["ts", "age", "income", "region", "score", "label"]
    fast, plain = read_both(url, monkeypatch, columns, table="predictions", timestamp_column="ts")
    assert fast.notes == () and len(fast.frame) > 1000
    pd.testing.assert_frame_equal(fast.frame, plain.frame)


def test_sampled_windows_are_the_same_rows_on_both_paths(typed_log, monkeypatch):
    """max_rows samples by a seeded hash of the rowid, in the statement: the same rows whichever path reads."""
    source = Source(typed_log, table="log", timestamp_column="ts")
    fast = source.read(["i", "t", "p"], WINDOW, max_rows=500, seed=7)
    with monkeypatch.context() as patched:
        patched.setattr(columnar, "supports", lambda url: False)
        plain = Source(typed_log, table="log", timestamp_column="ts").read(
            ["i", "t", "p"], WINDOW, max_rows=500, seed=7
        )
    assert fast.seed == plain.seed == 7 and len(fast.frame) == 500 and fast.notes == ()
    pd.testing.assert_frame_equal(fast.frame, plain.frame)


def test_a_query_source_and_an_empty_window_read_alike(typed_log, monkeypatch):
    query = "SELECT ts, i, t, p * 2 AS p2 FROM log WHERE y = 1"
    fast, plain = read_both(typed_log, monkeypatch, ["i", "t", "p2"], query=query, timestamp_column="ts")
    assert fast.notes == () and len(fast.frame) == 1500
    pd.testing.assert_frame_equal(fast.frame, plain.frame)
    later = Window(T0 + timedelta(days=30), T0 + timedelta(days=31))
    empty = Source(typed_log, table="log", timestamp_column="ts").read(["i", "t"], later, max_rows=10, seed=1)
    assert empty.frame.empty and list(empty.frame.columns) == ["i", "t"]


def test_a_column_of_numbers_and_text_is_read_the_other_way_and_the_run_says_so(tmp_path, monkeypatch):
    """sqlite3 gives 5 and "x" as they are stored; the driver would give both as text: such a window is read
    through SQLAlchemy, and the read's notes say why."""
    path = tmp_path / "mixed.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE log (ts TEXT, v)")
        connection.executemany(
            "INSERT INTO log VALUES (?, ?)",
            [((T0 + timedelta(minutes=k)).strftime("%Y-%m-%d %H:%M:%S"), k if k % 2 else f"x{k}") for k in range(50)],
        )
    connection.close()
    url = f"sqlite:///{path}"
    source = Source(url, table="log", timestamp_column="ts")
    result = source.read(["v"], WINDOW, max_rows=1000, seed=1)
    assert "through SQLAlchemy" in result.notes[0] and 'column "v" holds numbers beside text' in result.notes[0]
    assert not source._fast, "that source stays on SQLAlchemy"
    assert result.frame["v"].tolist()[:2] == ["x0", 1]


def test_a_file_this_process_holds_open_is_never_opened_by_the_second_sqlite(tmp_path):
    """ADBC's driver links its own SQLite: opening a file this process holds open through sqlite3 (the store's
    file, a writer) would drop that connection's locks and reset a WAL file's shared index. Such a file is read
    through SQLAlchemy, and the writer goes on writing."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    write_table(url, "predictions", predictions(50, hours=8), timestamps="text")
    writer = sqlite3.connect(tmp_path / "shared.db")
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE runs (k INTEGER)")
    writer.commit()
    try:
        result = Source(url, table="predictions", timestamp_column="ts").read(["age"], WINDOW, max_rows=10_000, seed=1)
        assert len(result.frame) > 0
        assert "open elsewhere in this process" in result.notes[0]
        for k in range(20):
            writer.execute("INSERT INTO runs VALUES (?)", (k,))
            writer.commit()
        assert writer.execute("SELECT count(*) FROM runs").fetchone() == (20,)
        assert writer.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        writer.close()


def test_a_wal_log_written_by_another_process_is_read_as_it_stands(tmp_path):
    """The usual live log: WAL mode, rows still in the WAL file (not checkpointed) when the window is read."""
    path = tmp_path / "live.db"
    script = f"""
import sqlite3, time
c = sqlite3.connect({str(path)!r})
c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA wal_autocheckpoint=0")
c.execute("CREATE TABLE log (ts TEXT, v REAL)")
c.executemany("INSERT INTO log VALUES (?, ?)", [("2026-11-20 0%d:00:00" % (k % 6), k) for k in range(600)])
c.commit()
print("written", flush=True)
time.sleep(30)
"""
    import subprocess
    import sys

    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "written"
        assert (tmp_path / "live.db-wal").stat().st_size > 0
        source = Source(f"sqlite:///{path}", table="log", timestamp_column="ts")
        result = source.read(["v"], WINDOW, max_rows=10_000, seed=1)
        assert result.notes == () and len(result.frame) == 600
        assert sorted(result.frame["v"]) == list(range(600))
    finally:
        writer.kill()
        writer.wait()


def test_the_arrow_path_cannot_write(typed_log):
    """The file is opened read-only: a statement that writes fails on this path as on the other."""
    from monitor.sources import sqlite_arrow
    from monitor.sources.connect import source_engine

    statement = sa.text("DELETE FROM log RETURNING i")
    with pytest.raises(columnar.Unavailable, match=r"readonly|read-only|read only"):
        sqlite_arrow.read(source_engine(typed_log), statement, ["i"])  # type: ignore[arg-type]
    assert Source(typed_log, table="log", timestamp_column="ts").count(None) == 3000
