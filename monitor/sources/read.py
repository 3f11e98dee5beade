"""The one function that reads a statement's rows into a frame, and owns the choice of path.

PostgreSQL and SQLite files are read as Arrow columns (columnar.py, sqlite_arrow.py) when
they can be; anything that path cannot do (a driver missing, a type it does not map, a URL
it cannot take, a SQLite file held open elsewhere in the process) is read through
SQLAlchemy instead, and the run says so. A query the database itself refused or
cancelled (a statement timeout, a missing column) is never run a second time the other
way: its error is the database's own message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from monitor import redaction
from monitor.errors import SourceError
from monitor.sources import columnar, sqlite_arrow

_CHUNK = 50_000


@dataclass(frozen=True)
class FrameRead:
    frame: pd.DataFrame
    note: str | None = None  # what the run record and the log should say about how it was read
    fast_path_unusable: bool = False  # the fast path cannot read this source: use SQLAlchemy from now on


def read_frame(
    engine: sa.Engine, statement: sa.Select[Any], columns: list[str], *, label: str, fast: bool
) -> FrameRead:
    if fast:
        try:
            return FrameRead(_as_arrow(engine, statement, columns))
        except columnar.Refused as refused:
            raise SourceError(f"reading {label} failed: {redaction.redact(str(refused))}") from None
        except columnar.Unavailable as why:
            reason = redaction.redact(str(why))
            frame = _through_sqlalchemy(engine, statement, columns, label)
            note = f"read {label} through SQLAlchemy, not as Arrow columns: {reason}"
            return FrameRead(frame, note, fast_path_unusable=True)
    return FrameRead(_through_sqlalchemy(engine, statement, columns, label))


def _as_arrow(engine: sa.Engine, statement: sa.Select[Any], columns: list[str]) -> pd.DataFrame:
    if engine.dialect.name == "sqlite":
        return sqlite_arrow.read(engine, statement, columns)
    return columnar.read(engine.url, statement, columns)


def _through_sqlalchemy(engine: sa.Engine, statement: Any, columns: list[str], label: str) -> pd.DataFrame:
    """The rows as a frame, built from the driver's plain tuples (3-4x faster than from SQLAlchemy's Row
    objects, bench/README.md), a chunk at a time so the tuples of a whole window never sit in memory."""
    with connect(engine) as connection:
        result = execute(connection, statement, label)
        cursor = result.cursor
        if cursor is None:
            return pd.DataFrame.from_records([tuple(r) for r in result.fetchall()], columns=columns, coerce_float=True)
        chunks = []
        try:
            while rows := cursor.fetchmany(_CHUNK):
                chunks.append(pd.DataFrame.from_records(rows, columns=columns, coerce_float=True))
        except engine.dialect.loaded_dbapi.Error as error:
            connection.rollback()
            raise SourceError(f"reading {label} failed: {_first_line(str(error))}") from None
        finally:
            result.close()
    if not chunks:
        return pd.DataFrame.from_records([], columns=columns)
    return chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)


def connect(engine: sa.Engine) -> sa.Connection:
    try:
        return engine.connect()
    except DBAPIError as error:
        raise SourceError(f"cannot connect to the source database: {database_message(error)}") from None


def execute(connection: sa.Connection, statement: Any, label: str) -> sa.CursorResult[Any]:
    try:
        return connection.execute(statement)
    except DBAPIError as error:
        connection.rollback()
        raise SourceError(f"reading {label} failed: {database_message(error)}") from None


def database_message(error: DBAPIError) -> str:
    """The database's own message, without SQLAlchemy's SQL echo and background link."""
    text = str(error.orig) if error.orig is not None else str(error)
    return _first_line(text) or error.__class__.__name__


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
