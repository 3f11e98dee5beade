"""The fast read: a window's rows straight into columns, through ADBC (Arrow Database Connectivity).

Measured on a million rows x 20 columns (bench/README.md): SQLAlchemy's rows into pandas take about 14 s,
pandas.read_sql 6-7 s, PostgreSQL COPY into read_csv 3 s, ADBC about 1.2 s, with the types of the
database kept (COPY's CSV would guess them again). Used for PostgreSQL; other databases,
and anything the fast path cannot do (a driver missing, a type it does not map), are read through
SQLAlchemy, which also words the error the user sees.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa


class Unavailable(Exception):
    """The fast path cannot read this; read it through SQLAlchemy instead."""


def supports(url: sa.URL) -> bool:
    """PostgreSQL only. SQLite is read through Python's own sqlite3: the ADBC driver links a second copy of
    SQLite, and two copies in one process break each other's file locks (sqlite.org, "How To Corrupt An
    SQLite Database File", 2.2.1); the store may be a SQLite file beside the source, or the same one."""
    return url.get_backend_name() == "postgresql" and _installed("adbc_driver_postgresql")


def read(url: sa.URL, statement: sa.Select[Any], columns: list[str]) -> pd.DataFrame:
    """The statement's rows as a frame with `columns`; raises Unavailable when this path cannot."""
    sql, params = _compiled(statement)
    try:
        with _connect(url) as connection, connection.cursor() as cursor:
            cursor.execute(sql, params)
            table = cursor.fetch_arrow_table()
        frame = table.to_pandas()
    except Exception as error:  # any driver or conversion error means: read through SQLAlchemy
        raise Unavailable(type(error).__name__) from None
    frame.columns = columns
    return frame


def _compiled(statement: sa.Select[Any]) -> tuple[str, list[Any]]:
    from sqlalchemy.dialects.postgresql import psycopg

    compiled = statement.compile(dialect=psycopg.dialect(paramstyle="numeric_dollar"))
    return compiled.string, [compiled.params[name] for name in compiled.positiontup or ()]


def _connect(url: sa.URL) -> Any:
    """A connection that refuses writes, as the SQLAlchemy engines' (see connect.py)."""
    import adbc_driver_postgresql.dbapi as postgresql

    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = postgresql.connect(libpq, autocommit=True)
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cursor.execute("SET TIME ZONE 'UTC'")
    return connection


def _installed(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None
