"""Reading a window of a prediction log: only the needed columns, the window filtered in SQL.

A source is a table (optionally "schema.table") or a read-only query, on any
SQLAlchemy URL. Rows beyond `max_rows` are sampled uniformly with a recorded seed:
in SQL where the database can (PostgreSQL TABLESAMPLE BERNOULLI ... REPEATABLE,
SQLite rowid hashing), else while streaming.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
import structlog
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from monitor.errors import SourceError
from monitor.sources import columnar, sampling
from monitor.sources.connect import source_engine
from monitor.sources.timestamps import TimestampEncoding, TimestampError, detect_encoding
from monitor.windows import Window

_STREAM_CHUNK = 50_000
log = structlog.get_logger("drifthound.source")


@dataclass(frozen=True)
class ReadResult:
    frame: pd.DataFrame
    rows_total: int  # rows in the window before sampling
    seed: int | None  # set when the rows were sampled

    @property
    def sampled(self) -> bool:
        return self.seed is not None


class Source:
    """One table or query of one database, as a monitor sees it."""

    def __init__(
        self, url: str, *, table: str | None = None, query: str | None = None, timestamp_column: str | None = None
    ) -> None:
        if (table is None) == (query is None):
            raise ValueError("a source is a table or a query")
        self.url = url
        self.table = table
        self.query = query
        self.timestamp_column = timestamp_column
        self._engine = source_engine(url)
        self._columnar = columnar.supports(self._engine.url)
        self._encoding: TimestampEncoding | None = None
        self._columns: list[str] | None = None

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @property
    def label(self) -> str:
        return f'table "{self.table}"' if self.table else "the configured query"

    def _from(self) -> sa.FromClause:
        if self.table is not None:
            schema, _, name = self.table.rpartition(".")
            return sa.table(name, schema=schema or None)
        return sa.text(f"({self.query}) AS drifthound_source")  # type: ignore[return-value]

    # --- what the source holds -------------------------------------------------

    def columns(self) -> list[str]:
        if self._columns is None:
            statement = sa.select(sa.literal_column("*")).select_from(self._from()).limit(0)
            with self._connect() as connection:
                self._columns = list(self._execute(connection, statement).keys())
        return self._columns

    def sample(self, limit: int = 1000) -> pd.DataFrame:
        """The first rows, to infer column kinds from."""
        statement = sa.select(sa.literal_column("*")).select_from(self._from()).limit(limit)
        with self._connect() as connection:
            result = self._execute(connection, statement)
            return pd.DataFrame.from_records(result.fetchall(), columns=list(result.keys()), coerce_float=True)

    def primary_key(self) -> list[str]:
        if self.table is None:
            return []
        schema, _, name = self.table.rpartition(".")
        try:
            return list(
                sa.inspect(self._engine).get_pk_constraint(name, schema=schema or None).get("constrained_columns") or []
            )
        except SQLAlchemyError:
            return []

    def timestamp_encoding(self) -> TimestampEncoding:
        if self._encoding is None:
            column = self._timestamp()
            source = self._from()
            with self._connect() as connection:
                low, high = self._execute(
                    connection, sa.select(sa.func.min(column), sa.func.max(column)).select_from(source)
                ).one()
                one = self._execute(
                    connection, sa.select(column).select_from(source).where(column.is_not(None)).limit(1)
                ).scalar()
            try:
                self._encoding = detect_encoding([low, high, one], self.dialect)
            except TimestampError as error:
                raise SourceError(
                    f'timestamp_column "{self.timestamp_column}" {error}; '
                    "store timestamps as a timestamp type, ISO 8601 text or epoch seconds"
                ) from None
        return self._encoding

    # --- reading ----------------------------------------------------------------

    def count(self, window: Window | None) -> int:
        statement = sa.select(sa.func.count()).select_from(self._from())
        if window is not None:
            statement = statement.where(*self._window_filter(window))
        with self._connect() as connection:
            return int(self._execute(connection, statement).scalar_one())

    def read(self, columns: Sequence[str], window: Window | None, *, max_rows: int, seed: int) -> ReadResult:
        total = self.count(window)
        if total <= max_rows:
            return ReadResult(self._fetch(columns, window), total, None)
        fraction = sampling.oversampled_fraction(max_rows, total)
        frame = self._sampled_in_sql(columns, window, fraction, seed)
        # A sample far below the expected size means the database did not sample as asked.
        if frame is None or len(frame) < 0.9 * min(max_rows, fraction * total):
            frame = self._sampled_while_streaming(columns, window, fraction, seed)
        return ReadResult(sampling.trim(frame, max_rows, seed), total, seed)

    def lookup(self, key: str, value: str, keys: Sequence[Any], batch: int = 5000) -> dict[Any, Any]:
        """{key: value} for the given keys (one label per key: the first found), in batches of IN (...)."""
        found: dict[Any, Any] = {}
        with self._connect() as connection:
            for start in range(0, len(keys), batch):
                chunk = keys[start : start + batch]
                statement = (
                    sa.select(sa.column(key), sa.column(value))
                    .select_from(self._from())
                    .where(sa.column(key).in_(chunk))
                )
                for k, v in self._execute(connection, statement):
                    found.setdefault(k, v)
        return found

    def _fetch(
        self,
        columns: Sequence[str],
        window: Window | None,
        source: sa.FromClause | None = None,
        extra: Sequence[sa.ColumnElement[bool]] = (),
    ) -> pd.DataFrame:
        statement = self._select(columns, window, source, extra)
        fallback = None
        if self._columnar:
            try:
                return columnar.read(self._engine.url, statement, list(columns))
            except columnar.Unavailable as why:
                fallback = str(why)  # read through SQLAlchemy, which also words any error for the user
        with self._connect() as connection:
            frame = self._frame(connection, statement, list(columns))
        if fallback is not None:
            # SQLAlchemy could read what the fast path could not: this source stays on SQLAlchemy.
            self._columnar = False
            log.info("source.columnar_read_unavailable", source=self.label, reason=fallback)
        return frame

    def _select(
        self,
        columns: Sequence[str],
        window: Window | None,
        source: sa.FromClause | None = None,
        extra: Sequence[sa.ColumnElement[bool]] = (),
    ) -> sa.Select[Any]:
        statement = sa.select(*[sa.column(name) for name in columns]).select_from(
            source if source is not None else self._from()
        )
        conditions = [*(self._window_filter(window) if window is not None else []), *extra]
        return statement.where(*conditions) if conditions else statement

    def _sampled_in_sql(
        self, columns: Sequence[str], window: Window | None, fraction: float, seed: int
    ) -> pd.DataFrame | None:
        """Sampling inside the database; None when this source cannot (a view, a query)."""
        if self.table is None:
            return None
        try:
            if self.dialect == "postgresql":
                sampled = sa.tablesample(
                    self._from(), sa.func.bernoulli(fraction * 100), name="drifthound_sample", seed=sa.literal(seed)
                )
                return self._fetch(columns, window, source=sampled)
            if self.dialect == "sqlite" and self._is_sqlite_table():
                condition = sa.text(sampling.sqlite_rowid_condition(fraction, seed))
                return self._fetch(columns, window, extra=[condition])  # type: ignore[list-item]
        except SourceError:
            return None
        return None

    def _is_sqlite_table(self) -> bool:
        """Views have no usable rowid; only real tables are sampled by rowid."""
        schema, _, name = (self.table or "").rpartition(".")
        master = f'"{schema}".sqlite_master' if schema else "sqlite_master"
        statement = sa.text(f"SELECT type FROM {master} WHERE name = :name")  # noqa: S608
        with self._connect() as connection:
            return self._execute(connection, statement.bindparams(name=name)).scalar() == "table"

    def _sampled_while_streaming(
        self, columns: Sequence[str], window: Window | None, fraction: float, seed: int
    ) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        kept: list[pd.DataFrame] = []
        statement = self._select(columns, window)
        with self._connect() as connection:
            result = self._execute(
                connection.execution_options(stream_results=True, yield_per=_STREAM_CHUNK), statement
            )
            for chunk in result.partitions(_STREAM_CHUNK):
                frame = pd.DataFrame.from_records(chunk, columns=list(columns), coerce_float=True)
                kept.append(sampling.bernoulli_chunk(frame, fraction, rng))
        if not kept:
            return pd.DataFrame(columns=list(columns))
        return pd.concat(kept, ignore_index=True)

    # --- plumbing -----------------------------------------------------------------

    def _timestamp(self) -> sa.ColumnClause[Any]:
        if not self.timestamp_column:
            raise SourceError("no timestamp_column to filter the window on")
        return sa.column(self.timestamp_column)

    def _window_filter(self, window: Window) -> list[sa.ColumnElement[bool]]:
        encoding = self.timestamp_encoding()
        column = encoding.column_expression(self._timestamp(), self.dialect)
        return [
            column >= sa.literal(encoding.bind(window.start), sa.types.NullType()),
            column < sa.literal(encoding.bind(window.end), sa.types.NullType()),
        ]

    def _connect(self) -> Any:
        try:
            return self._engine.connect()
        except DBAPIError as error:
            raise SourceError(f"cannot connect to the source database: {_first_line(error)}") from None

    def _frame(self, connection: sa.Connection, statement: Any, columns: list[str]) -> pd.DataFrame:
        """The rows as a frame, built from the driver's plain tuples (3-4x faster than from SQLAlchemy's Row
        objects, bench/README.md), a chunk at a time so the tuples of a whole window never sit in memory."""
        result = self._execute(connection, statement)
        cursor = result.cursor
        if cursor is None:
            return pd.DataFrame.from_records([tuple(r) for r in result.fetchall()], columns=columns, coerce_float=True)
        chunks = []
        try:
            while rows := cursor.fetchmany(_STREAM_CHUNK):
                chunks.append(pd.DataFrame.from_records(rows, columns=columns, coerce_float=True))
        except self._engine.dialect.loaded_dbapi.Error as error:
            connection.rollback()
            raise SourceError(f"reading {self.label} failed: {str(error).strip().splitlines()[0]}") from None
        finally:
            result.close()
        if not chunks:
            return pd.DataFrame.from_records([], columns=columns)
        return chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)

    def _execute(self, connection: sa.Connection, statement: Any) -> sa.CursorResult[Any]:
        try:
            return connection.execute(statement)
        except DBAPIError as error:
            connection.rollback()
            raise SourceError(f"reading {self.label} failed: {_first_line(error)}") from None


def _first_line(error: DBAPIError) -> str:
    """The database's own message, without SQLAlchemy's SQL echo and background link."""
    text = str(error.orig) if error.orig is not None else str(error)
    return text.strip().splitlines()[0] if text.strip() else error.__class__.__name__
