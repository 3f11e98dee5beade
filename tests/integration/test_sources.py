"""Reading windows from real SQLite and PostgreSQL prediction logs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from monitor.errors import SourceError
from monitor.sources import columnar, sqlite_arrow
from monitor.sources.connect import source_engine
from monitor.sources.reader import Source
from monitor.windows import Window
from tests.helpers import T0, predictions, write_table

WINDOW = Window(T0 + timedelta(hours=5), T0 + timedelta(hours=6))


def expected_rows(frame, window: Window) -> int:
    return int(sum(window.start <= t < window.end for t in frame["ts"]))


@pytest.fixture
def statements(database_url, monkeypatch):
    return recorded_statements(database_url, monkeypatch)


def recorded_statements(url: str, monkeypatch) -> list[str]:
    """Every SQL statement DriftHound sends to the source, as the database receives it: through SQLAlchemy,
    or through the columnar (ADBC) paths that read PostgreSQL and SQLite windows."""
    seen: list[str] = []
    sa.event.listen(
        source_engine(url),
        "before_cursor_execute",
        lambda conn, cursor, statement, *args: seen.append(statement),
    )
    for path in (columnar, sqlite_arrow):  # the Arrow paths of PostgreSQL and SQLite
        monkeypatch.setattr(path, "_compiled", _recording(path._compiled, seen))
    return seen


def _recording(compile_for_adbc, seen: list[str]):
    def recording(statement):
        sql, params = compile_for_adbc(statement)
        seen.append(sql)
        return sql, params

    return recording


@pytest.mark.parametrize("timestamps", ["naive", "aware", "epoch"])
def test_the_window_is_filtered_in_sql_whatever_the_timestamp_storage(database_url, timestamps, statements):
    check_window_read(database_url, timestamps, statements)


@pytest.mark.parametrize("timestamps", ["text", "text_t_z"])
def test_sqlite_text_timestamps_are_filtered_in_sql(tmp_path, timestamps, monkeypatch):
    """Text timestamps are a SQLite habit (PostgreSQL has timestamp types)."""
    url = f"sqlite:///{tmp_path / 'p.db'}"
    check_window_read(url, timestamps, recorded_statements(url, monkeypatch))


def check_window_read(database_url: str, timestamps: str, statements: list[str]) -> None:
    frame = predictions(100, hours=12)
    write_table(database_url, "predictions", frame, timestamps=timestamps)
    source = Source(database_url, table="predictions", timestamp_column="ts")
    result = source.read(["age", "region"], WINDOW, max_rows=10_000, seed=1)
    assert len(result.frame) == expected_rows(frame, WINDOW) and result.rows_total == len(result.frame)
    assert list(result.frame.columns) == ["age", "region"]
    assert not result.sampled
    reads = [s for s in statements if "age" in s]
    assert reads and all("income" not in s and "score" not in s for s in reads), "only the needed columns are read"
    assert all("WHERE" in s for s in reads), "the window is filtered in the database"


def test_rows_exactly_on_the_bounds(database_url):
    """[start, end): a row at start is in, a row at end is out."""
    frame = predictions(3, hours=1).copy()
    frame["ts"] = [WINDOW.start, WINDOW.start + timedelta(minutes=30), WINDOW.end]
    write_table(database_url, "predictions", frame, timestamps="naive")
    result = Source(database_url, table="predictions", timestamp_column="ts").read(["age"], WINDOW, max_rows=10, seed=1)
    assert result.rows_total == 2


def test_a_read_only_query_source_with_odd_column_names(database_url):
    frame = predictions(50, hours=12).rename(columns={"age": "Âge du client", "region": "select"})
    write_table(database_url, "raw log", frame, timestamps="naive")
    query = 'SELECT ts, "Âge du client", "select" FROM "raw log" WHERE "Âge du client" > 0'
    source = Source(database_url, query=query, timestamp_column="ts")
    assert set(source.columns()) == {"ts", "Âge du client", "select"}
    result = source.read(["Âge du client", "select"], WINDOW, max_rows=10_000, seed=1)
    assert result.rows_total == sum(
        1 for t, a in zip(frame["ts"], frame["Âge du client"], strict=True) if WINDOW.start <= t < WINDOW.end and a > 0
    )


def test_a_query_cannot_write(database_url):
    write_table(database_url, "predictions", predictions(10, hours=2), timestamps="naive")
    source = Source(database_url, table="predictions", timestamp_column="ts")
    with (
        pytest.raises(sa.exc.DBAPIError, match=r"read-only|readonly|query_only|attempt to write"),
        source_engine(database_url).connect() as connection,
    ):
        connection.execute(sa.text("DELETE FROM predictions"))
    assert source.count(None) == 20


def test_more_rows_than_max_rows_are_sampled_uniformly_and_reproducibly(database_url):
    frame = predictions(2000, hours=4)
    write_table(database_url, "predictions", frame, timestamps="naive")
    window = Window(T0, T0 + timedelta(hours=4))
    source = Source(database_url, table="predictions", timestamp_column="ts")
    first = source.read(["age", "income"], window, max_rows=1000, seed=99)
    again = source.read(["age", "income"], window, max_rows=1000, seed=99)
    assert len(first.frame) == 1000 and first.rows_total == 8000 and first.seed == 99
    assert first.frame["income"].tolist() == again.frame["income"].tolist()
    # Uniform: the sample's mean is close to the population's (s.e. of the mean is ~1/30 std).
    assert abs(first.frame["age"].mean() - frame["age"].mean()) < 4 * frame["age"].std() / 1000**0.5


def test_a_view_is_sampled_while_streaming(database_url):
    frame = predictions(2000, hours=2)
    write_table(database_url, "predictions", frame, timestamps="naive")
    with sa.create_engine(database_url).begin() as connection:
        connection.execute(sa.text("CREATE VIEW recent AS SELECT * FROM predictions"))
    source = Source(database_url, table="recent", timestamp_column="ts")
    result = source.read(["age"], Window(T0, T0 + timedelta(hours=2)), max_rows=500, seed=3)
    assert len(result.frame) == 500 and result.rows_total == 4000


def test_missing_tables_and_bad_timestamps_are_source_errors(database_url):
    frame = predictions(10, hours=2)
    frame["ts"] = "not a time"
    write_table(database_url, "predictions", predictions(10, hours=2), timestamps="naive")
    with pytest.raises(SourceError, match='reading table "nowhere" failed'):
        Source(database_url, table="nowhere", timestamp_column="ts").columns()
    with pytest.raises(
        SourceError, match=r'timestamp_column "region" holds \'(north|west)\', which is not an ISO 8601 timestamp'
    ):
        Source(database_url, table="predictions", timestamp_column="region").count(WINDOW)


def test_an_unreachable_database_is_a_source_error():
    source = Source("postgresql+psycopg://nobody@127.0.0.1:1/none", table="predictions", timestamp_column="ts")
    with pytest.raises(SourceError, match="cannot connect to the source database"):
        source.columns()


def test_postgresql_sampling_happens_in_the_database(pg_url, monkeypatch):
    write_table(pg_url, "predictions", predictions(2000, hours=4), timestamps="aware")
    seen = recorded_statements(pg_url, monkeypatch)
    source = Source(pg_url, table="predictions", timestamp_column="ts")
    result = source.read(["age"], Window(T0, T0 + timedelta(hours=4)), max_rows=1000, seed=5)
    assert len(result.frame) == 1000
    assert any("TABLESAMPLE bernoulli" in s and "REPEATABLE" in s for s in seen)


def test_sqlite_sampling_happens_in_the_database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    write_table(url, "predictions", predictions(2000, hours=4), timestamps="text")
    seen = recorded_statements(url, monkeypatch)
    result = Source(url, table="predictions", timestamp_column="ts").read(
        ["age"], Window(T0, T0 + timedelta(hours=4)), max_rows=1000, seed=5
    )
    assert len(result.frame) == 1000
    assert any("rowid" in s for s in seen)


def test_timestamps_with_offsets_in_sqlite_text_are_compared_as_times(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    frame = predictions(10, hours=12)
    frame["ts"] = [
        t.astimezone(UTC).astimezone(__import__("datetime").timezone(timedelta(hours=2))).isoformat()
        for t in frame["ts"]
    ]
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        frame.to_sql("predictions", connection, index=False)
    engine.dispose()
    result = Source(url, table="predictions", timestamp_column="ts").read(["age"], WINDOW, max_rows=10_000, seed=1)
    original = predictions(10, hours=12)
    assert result.rows_total == expected_rows(original, WINDOW)
    _ = datetime  # keep import for readers of this test


def test_a_query_ending_in_a_sql_comment_is_read(database_url):
    """The query is wrapped in a subselect; a trailing "-- comment" swallowed its closing parenthesis."""
    frame = predictions(20, hours=8)
    write_table(database_url, "predictions", frame, timestamps="naive")
    query = "SELECT ts, age, region FROM predictions -- the live model only\n  -- (ops asked for this)"
    source = Source(database_url, query=query, timestamp_column="ts")
    result = source.read(["age", "region"], WINDOW, max_rows=10_000, seed=1)
    assert len(result.frame) == expected_rows(frame, WINDOW) > 0


@pytest.mark.parametrize("scale", [1_000_000, 1_000_000_000])
def test_microsecond_and_nanosecond_epochs_give_their_windows(database_url, scale):
    """Any number above 1e11 was read as milliseconds: these windows came out empty and were skipped."""
    frame = predictions(20, hours=8)
    data = frame.assign(ts=[int(t.timestamp() * 1_000_000) * (scale // 1_000_000) for t in frame["ts"]])
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        data.to_sql("predictions", connection, index=False, dtype={"ts": sa.BigInteger()})
    engine.dispose()
    source = Source(database_url, table="predictions", timestamp_column="ts")
    assert source.timestamp_encoding().kind == ("epoch_micros" if scale == 1_000_000 else "epoch_nanos")
    assert source.count(WINDOW) == expected_rows(frame, WINDOW) > 0


def test_sqlite_text_of_two_shapes_is_compared_as_times_though_three_samples_agree(tmp_path):
    """The shape was guessed from the first, the smallest and the largest value: rows of another shape in the
    middle were then compared as text, and fell in or out of windows wrongly."""
    url = f"sqlite:///{tmp_path / 'p.db'}"
    frame = predictions(20, hours=8)
    texts = [t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") for t in frame["ts"]]
    middle = [i for i, t in enumerate(frame["ts"]) if WINDOW.start <= t < WINDOW.end]
    for i in middle[::2]:  # half the window's rows in ISO 'T' form with a zone: text order differs from time order
        texts[i] = frame["ts"].iloc[i].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        frame.assign(ts=texts).to_sql("predictions", connection, index=False)
    engine.dispose()
    source = Source(url, table="predictions", timestamp_column="ts")
    assert source.timestamp_encoding().kind == "text_normalized"
    assert source.count(WINDOW) == expected_rows(frame, WINDOW)


def test_a_failed_primary_key_lookup_is_said_on_the_run(tmp_path, monkeypatch):
    """When the table's primary key cannot be read, an id column may become a feature: the run says so."""
    from monitor.sources.inputs import MonitorInputs
    from tests.helpers import monitor_config

    url = f"sqlite:///{tmp_path / 'p.db'}"
    write_table(url, "predictions", predictions(20, hours=8), timestamps="naive")

    def catalog_refuses(*args, **kwargs):
        raise sa.exc.OperationalError("pk", {}, Exception("permission denied for pg_catalog"))

    monkeypatch.setattr(sa.engine.reflection.Inspector, "get_pk_constraint", catalog_refuses)
    config = monitor_config(tmp_path, url, features="")
    inputs = MonitorInputs(config.monitors[0], url)
    inputs.roles()
    assert len(inputs.notes) == 1 and "could not read the primary key" in inputs.notes[0]
    assert "permission denied" in inputs.notes[0]
