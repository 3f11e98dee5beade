"""The fast read: a window's rows straight into columns, through ADBC (Arrow Database Connectivity).

Measured on a million rows x 20 columns (bench/README.md): SQLAlchemy's rows into pandas take about 14 s,
pandas.read_sql 6-7 s, PostgreSQL COPY into read_csv 3 s, ADBC about 1.2 s, with the types of the
database kept (COPY's CSV would guess them again). Used for PostgreSQL (here) and SQLite files
(sqlite_arrow.py); other databases,
and anything the fast path cannot do (a driver missing, a type it does not map), are read through
SQLAlchemy, which also words the error the user sees.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa


class Unavailable(Exception):
    """The fast path cannot read this; read it through SQLAlchemy instead (the message says why)."""


class Refused(Exception):
    """The database ran the statement and refused or cancelled it: reading it another way would only repeat
    that (a statement timeout would run twice)."""


def supports(url: sa.URL) -> bool:
    """PostgreSQL, and SQLite database files (sqlite_arrow.py: ADBC's driver links a second copy of SQLite,
    so it opens only files no other part of the process holds open)."""
    from monitor.sources import sqlite_arrow

    if url.get_backend_name() == "sqlite":
        return sqlite_arrow.supports(url)
    return url.get_backend_name() == "postgresql" and _installed("adbc_driver_postgresql")


def read(url: sa.URL, statement: sa.Select[Any], columns: list[str]) -> pd.DataFrame:
    """The statement's rows as a frame with `columns`. Raises Refused when the database refused the statement,
    Unavailable when this path cannot read it (then SQLAlchemy can try)."""
    sql, params = _compiled(statement)
    try:
        connection = _connect(url)
    except Exception as error:  # a URL or option libpq takes differently: SQLAlchemy may still connect
        raise Unavailable(f"cannot connect this way ({_describe(error)})") from None
    try:
        with connection, connection.cursor() as cursor:
            try:
                cursor.execute(sql, params)
            except Exception as error:
                if getattr(error, "sqlstate", None):
                    raise Refused(_describe(error)) from None
                raise Unavailable(f"the statement failed on this path ({_describe(error)})") from None
            table = cursor.fetch_arrow_table()
        unmapped = _unmapped(table.schema)
        if unmapped:
            raise Unavailable(unmapped)
        frame = table.to_pandas()
    except (Refused, Unavailable):
        raise
    except Exception as error:  # a type the driver or Arrow does not map
        raise Unavailable(f"the rows could not be converted ({_describe(error)})") from None
    frame.columns = columns
    return frame


# PostgreSQL types ADBC hands over in a form that would be read wrong: money as integer cents.
_MISREAD = {"money"}


def _unmapped(schema: Any) -> str | None:
    """Why a column cannot be taken as the fast path gives it, if one cannot: a type ADBC passes through as
    opaque bytes (point, xml, ...), or one it gives in other units."""
    for field in schema:
        kind = (field.metadata or {}).get(b"POSTGRESQL:type", b"").decode()
        storage = getattr(field.type, "storage_type", None)
        opaque = storage is not None and str(storage) in ("binary", "large_binary")
        if opaque or kind in _MISREAD:
            return f'column "{field.name}" has PostgreSQL type {kind or field.type}, which this path does not map'
    return None


def _describe(error: Exception) -> str:
    """The error's class and the first line of its message (ADBC prefixes the driver's status)."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}"[:300] if text else type(error).__name__


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
