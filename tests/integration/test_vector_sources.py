"""Embeddings read where they live: PostgreSQL double precision[] and real[], jsonb arrays and pgvector's text
form, SQLite JSON text, each through the source reader a run uses, parse to exactly the vectors written."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.embeddings.vectors import parse_vectors, vector_length
from monitor.errors import DataError
from monitor.sources import columnar
from monitor.sources.reader import Source
from monitor.windows import Window
from tests.helpers import T0

ROWS, DIMS = 240, 8
WINDOW = Window(T0, T0 + timedelta(hours=1))
MISSING = {5, 77}  # rows whose vector is NULL


def written() -> np.ndarray:
    """The vectors written: numbers of every magnitude, as embeddings and hand-made features hold."""
    rng = np.random.default_rng(21)
    matrix = rng.normal(0, 1, (ROWS, DIMS)) * 10.0 ** rng.integers(-6, 6, (ROWS, DIMS))
    matrix[list(MISSING)] = np.nan
    return matrix


def rows_of(matrix: np.ndarray) -> list[dict]:
    out = []
    for k, vector in enumerate(matrix):
        present = not np.isnan(vector).all()
        values = vector.tolist()
        out.append(
            {
                "id": k,
                "ts": T0 + timedelta(seconds=10 * k),
                "arr": values if present else None,
                "arr4": values if present else None,
                "doc": json.dumps(values) if present else None,
                # pgvector's own output: no spaces, shortest round-tripping digits
                "vec": "[" + ",".join(repr(v) for v in values) + "]" if present else None,
            }
        )
    return out


@pytest.fixture
def postgres_log(pg_url: str) -> str:
    engine = sa.create_engine(pg_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "CREATE TABLE log (id int, ts timestamptz, arr double precision[], arr4 real[], doc jsonb, vec text)"
            )
        )
        connection.execute(
            sa.text("INSERT INTO log VALUES (:id, :ts, :arr, :arr4, CAST(:doc AS jsonb), :vec)"), rows_of(written())
        )
    engine.dispose()
    return pg_url


def read(url: str, columns: list[str], *, max_rows: int = 10_000) -> pd.DataFrame:
    result = Source(url, table="log", timestamp_column="ts").read(["id", *columns], WINDOW, max_rows=max_rows, seed=3)
    assert not result.notes, "read the usual way"
    return result.frame.sort_values("id", ignore_index=True)


def expected(frame: pd.DataFrame) -> np.ndarray:
    return written()[frame["id"].to_numpy()]


@pytest.mark.postgres
@pytest.mark.parametrize("path", ["arrow", "sqlalchemy"])
def test_postgres_arrays_jsonb_and_pgvector_text_parse_to_what_was_written(postgres_log, monkeypatch, path):
    if path == "sqlalchemy":  # psycopg's forms: lists for arrays, decoded JSON for jsonb
        monkeypatch.setattr(columnar, "supports", lambda url: False)
    frame = read(postgres_log, ["arr", "arr4", "doc", "vec"])
    assert len(frame) == ROWS
    for column in ("arr", "doc", "vec"):
        np.testing.assert_array_equal(parse_vectors(frame[column], column), expected(frame), err_msg=column)
        assert vector_length(frame[column]) == DIMS, column
    # real[]: the same single-precision numbers (psycopg gives each as the shortest decimal that reads back to it)
    single = parse_vectors(frame["arr4"], "arr4").astype(np.float32)
    np.testing.assert_array_equal(single, written()[frame["id"].to_numpy()].astype(np.float32))


@pytest.mark.postgres
def test_a_window_sampled_in_postgres_parses_to_its_rows(postgres_log):
    frame = read(postgres_log, ["arr", "doc"], max_rows=100)
    assert len(frame) == 100
    for column in ("arr", "doc"):
        np.testing.assert_array_equal(parse_vectors(frame[column], column), expected(frame), err_msg=column)


@pytest.mark.postgres
@pytest.mark.parametrize("path", ["arrow", "sqlalchemy"])
def test_null_elements_and_ragged_vectors_from_postgres(pg_url, monkeypatch, path):
    if path == "sqlalchemy":
        monkeypatch.setattr(columnar, "supports", lambda url: False)
    engine = sa.create_engine(pg_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE log (id int, ts timestamptz, arr double precision[], doc jsonb)"))
        connection.execute(
            sa.text("INSERT INTO log VALUES (0, :ts, '{1.5,NULL,2}', '[1.5, null, 2]'), (1, :ts, '{3,4,5}', '[3,4]')"),
            {"ts": T0},
        )
    engine.dispose()
    frame = read(pg_url, ["arr", "doc"])
    np.testing.assert_array_equal(parse_vectors(frame["arr"], "arr"), [[1.5, np.nan, 2.0], [3.0, 4.0, 5.0]])
    with pytest.raises(
        DataError, match=r"column \"doc\" holds vectors of different lengths, 3 and 2 \(such as '?\[3, 4\]"
    ):
        parse_vectors(frame["doc"], "doc")


def test_sqlite_json_text_parses_to_what_was_written(tmp_path):
    url = f"sqlite:///{tmp_path / 'log.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE log (id INTEGER, ts TEXT, doc TEXT, compact TEXT)"))
        rows = [
            {"id": r["id"], "ts": r["ts"].isoformat(), "doc": r["doc"], "compact": r["doc"]} for r in rows_of(written())
        ]
        # SQLite's own JSON writer for one copy: json() minifies, as logs written by SQL would be
        connection.execute(sa.text("INSERT INTO log VALUES (:id, :ts, :doc, json(:compact))"), rows)
    engine.dispose()
    frame = read(url, ["doc", "compact"])
    assert len(frame) == ROWS
    for column in ("doc", "compact"):
        np.testing.assert_array_equal(parse_vectors(frame[column], column), expected(frame), err_msg=column)
        assert vector_length(frame[column]) == DIMS
