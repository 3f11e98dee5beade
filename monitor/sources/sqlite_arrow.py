"""SQLite windows read as Arrow columns, through ADBC's SQLite driver: the frame the SQLAlchemy path builds from
Python's sqlite3 tuples, its rows about 2.7 times sooner (bench/README.md, "Performance (issue 23)").

The driver links its own copy of SQLite, and two copies in one process do not see each other's file locks:
POSIX locks belong to the process, so closing any descriptor of a file drops every lock the process holds on it,
and a copy opening a WAL database it believes no one else holds resets its shared-memory index (sqlite.org,
"How To Corrupt An SQLite Database File", 2.2). So this path opens a file only while no other part of this
process holds it open: the source's own SQLAlchemy connections are closed first, and a file held open all the
same (the store's own file, a writer in the same process) is read through SQLAlchemy instead. Reads on this path
take a process-wide lock; the daemon reads one window at a time per worker process.

The driver infers each column's type from the rows it reads (all of them here, in one batch); where its types
could differ from sqlite3's values the read is declined (Unavailable) and SQLAlchemy reads it: a column of
numbers and text (sqlite3 gives both, the driver would give text), a value it cannot convert. A statement
SQLite refuses (a missing column) is refused again there, and SQLAlchemy's path words the error: a local file
has no statement timeout that running it twice would double.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import sqlalchemy as sa

from monitor.sources.columnar import Unavailable

_LOCK = threading.Lock()
# One batch for the whole result: the driver infers a column's type from its first batch only.
_ALL_ROWS = str(1 << 30)
_TEXT_AFFINITY = ("CHAR", "CLOB", "TEXT")  # SQLite stores any number given to such a column as text


def supports(url: sa.URL) -> bool:
    return url.get_backend_name() == "sqlite" and _database_file(url) is not None and _installed()


def read(engine: sa.Engine, statement: sa.Select[Any], columns: list[str]) -> pd.DataFrame:
    """The statement's rows as the SQLAlchemy path gives them. Raises Unavailable when this path cannot."""
    path = _database_file(engine.url)
    if path is None or not path.is_file():
        raise Unavailable("not a SQLite database file")
    sql, params = _compiled(statement)
    if any(not isinstance(p, str | int | float | bytes) or isinstance(p, bool) for p in params):
        raise Unavailable("a bound value of a type this path does not bind as sqlite3 does")
    with _LOCK:
        engine.dispose()  # this process's sqlite3 copy lets go of the file before the other copy opens it
        holder = _held_open(path)
        if holder:
            raise Unavailable(f"{holder}; two copies of SQLite in one process must not open the same file")
        try:
            table = _fetch(path, sql, params, _read_table(statement))
        except Unavailable:
            raise
        except Exception as error:
            raise Unavailable(f"the driver could not read it ({_describe(error)})") from None
    if table.num_rows == 0:
        return pd.DataFrame.from_records([], columns=columns)
    return _as_sqlite3_gives(table, columns)


def _fetch(path: Path, sql: str, params: list[Any], source_table: tuple[str | None, str] | None) -> Any:
    import adbc_driver_sqlite.dbapi as sqlite

    with sqlite.connect(f"file:{quote(str(path))}?mode=ro") as connection:
        textual = _text_affinity(connection, source_table)
        with connection.cursor() as cursor:
            cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": _ALL_ROWS})
            cursor.execute(sql, params)
            table = cursor.fetch_arrow_table()
        import pyarrow as pa

        strings = [f.name for f in table.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
        unchecked = [name for name in strings if name not in textual]
        if unchecked and table.num_rows:
            mixed = _not_text(connection, sql, params, unchecked)
            if mixed:
                raise Unavailable(f'column "{mixed}" holds numbers beside text')
    return table


def _as_sqlite3_gives(table: Any, columns: list[str]) -> pd.DataFrame:
    """Arrow's frame made like `DataFrame.from_records(rows, coerce_float=True)`: a column of NULLs only is
    None objects there, not Arrow's NaN."""
    frame = table.to_pandas()
    frame.columns = columns
    for k, column in enumerate(table.columns):
        if column.null_count == len(column):
            frame[columns[k]] = pd.Series([None] * len(frame), dtype=object)
    return frame


def _text_affinity(connection: Any, table: tuple[str | None, str] | None) -> set[str]:
    """The read table's columns whose declared type makes SQLite store every value as text (or NULL): those
    need no check. None for a query source, whose columns' types are not declared."""
    if table is None:
        return set()
    schema, name = table
    with connection.cursor() as cursor:
        if schema:
            cursor.execute("SELECT name, type FROM pragma_table_info(?, ?)", [name, schema])
        else:
            cursor.execute("SELECT name, type FROM pragma_table_info(?)", [name])
        declared = cursor.fetchall()
    return {column for column, kind in declared if any(word in (kind or "").upper() for word in _TEXT_AFFINITY)}


def _read_table(statement: sa.Select[Any]) -> tuple[str | None, str] | None:
    """(schema, name) of the one table the statement reads, when it reads a table (not a query)."""
    froms = getattr(statement, "get_final_froms", list)()
    if len(froms) == 1 and isinstance(froms[0], sa.TableClause):
        return froms[0].schema, froms[0].name
    return None


def _not_text(connection: Any, sql: str, params: list[Any], names: list[str]) -> str | None:
    """The first of `names` holding a value stored as a number or blob, in the statement's rows."""
    checks = ", ".join(f"max(typeof({_quoted(n)}) NOT IN ('text', 'null'))" for n in names)
    with connection.cursor() as cursor:
        # Names quoted, values bound: the statement is our own, compiled.
        cursor.execute(f"SELECT {checks} FROM ({sql})", params)  # noqa: S608
        flags = cursor.fetchone() or ()
    return next((n for n, flag in zip(names, flags, strict=False) if flag), None)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _held_open(path: Path) -> str | None:
    """Why the file cannot be opened by the driver's copy of SQLite now: a descriptor of this process on it."""
    try:
        target = path.stat()
        descriptors = os.listdir("/proc/self/fd")
    except OSError:
        return "cannot tell whether this process holds the file open (no /proc/self/fd)"
    for fd in descriptors:
        try:
            held = os.stat(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if (held.st_dev, held.st_ino) == (target.st_dev, target.st_ino):
            return "the file is open elsewhere in this process (the store's own file, or a writer)"
    return None


def _database_file(url: sa.URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:") or url.query.get("uri"):
        return None
    return Path(database).resolve()


def _compiled(statement: sa.Select[Any]) -> tuple[str, list[Any]]:
    from sqlalchemy.dialects import sqlite

    compiled = statement.compile(dialect=sqlite.dialect(paramstyle="qmark"))
    return compiled.string, [compiled.params[name] for name in compiled.positiontup or ()]


def _describe(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}"[:300] if text else type(error).__name__


def _installed() -> bool:
    from importlib.util import find_spec

    return find_spec("adbc_driver_sqlite") is not None
