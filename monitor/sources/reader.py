"""Reading a window of a prediction log: only the needed columns, the window filtered in SQL.

A source is a table (optionally "schema.table") or a read-only query, on any
SQLAlchemy URL. Rows beyond `max_rows` are sampled uniformly with a recorded seed:
in SQL where the database can (PostgreSQL TABLESAMPLE BERNOULLI ... REPEATABLE,
SQLite rowid hashing), else while streaming. The statements are built in
statements.py; every frame is read by read.read_frame. What did not go the usual way
(the fast path, sampling in the database) is said in the result's notes, which the
run records and logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
import structlog
from sqlalchemy.exc import SQLAlchemyError

from monitor import redaction
from monitor.errors import SourceError
from monitor.sources import columnar, sampling, statements
from monitor.sources.connect import source_engine
from monitor.sources.read import connect, execute, read_frame
from monitor.sources.timestamps import TimestampEncoding, TimestampError, detect_encoding, to_utc
from monitor.windows import Window

_STREAM_CHUNK = 50_000
log = structlog.get_logger("drifthound.source")


def shown_columns(columns: list[str], most: int = 30) -> str:
    """A table's columns for an error message: the first `most`, and " ..." when there are more."""
    return ", ".join(columns[:most]) + (" ..." if len(columns) > most else "")


@dataclass(frozen=True)
class ReadResult:
    frame: pd.DataFrame
    rows_total: int  # rows in the window before sampling
    seed: int | None  # set when the rows were sampled
    notes: tuple[str, ...] = ()  # how the read departed from the usual way, for the run's record

    @property
    def sampled(self) -> bool:
        return self.seed is not None


@dataclass(frozen=True)
class TimeSpan:
    """The times a source's rows span, as its timestamps decode."""

    first: datetime | None
    last: datetime | None
    rows: int


class Source:
    """One table or query of one database, as a monitor sees it."""

    def __init__(
        self, url: str, *, table: str | None = None, query: str | None = None, timestamp_column: str | None = None
    ) -> None:
        self.relation = statements.Relation(table, query, timestamp_column)
        self.url = url
        self._engine = source_engine(url)
        self._fast = columnar.supports(self._engine.url)
        self._encoding: TimestampEncoding | None = None
        self._columns: list[str] | None = None

    @property
    def table(self) -> str | None:
        return self.relation.table

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @property
    def label(self) -> str:
        return self.relation.label

    # --- what the source holds -------------------------------------------------

    def columns(self) -> list[str]:
        if self._columns is None:
            with connect(self._engine) as connection:
                self._columns = list(execute(connection, statements.all_columns(self.relation, 0), self.label).keys())
        return self._columns

    def sample(self, limit: int = 1000) -> pd.DataFrame:
        """The first rows, to infer column kinds from."""
        with connect(self._engine) as connection:
            result = execute(connection, statements.all_columns(self.relation, limit), self.label)
            return pd.DataFrame.from_records(result.fetchall(), columns=list(result.keys()), coerce_float=True)

    def primary_key(self) -> tuple[list[str], str | None]:
        """The table's primary key columns, and a note when they could not be read (then an id column may be
        taken for a feature: the run says so)."""
        if self.table is None:
            return [], None
        schema, name = self.relation.schema_and_name
        try:
            constraint = sa.inspect(self._engine).get_pk_constraint(name, schema=schema)
        except SQLAlchemyError as error:
            reason = redaction.redact(str(getattr(error, "orig", None) or error).strip().splitlines()[0])
            note = (
                f"could not read the primary key of {self.label} ({reason}); an id column may have been taken "
                "for a feature: list numerical_features and categorical_features to be sure"
            )
            log.warning("source.primary_key_unknown", source=self.label, reason=reason)
            return [], note
        return list(constraint.get("constrained_columns") or []), None

    def timestamp_encoding(self) -> TimestampEncoding:
        if self._encoding is None:
            span_statement = statements.time_range(self.relation)
            with connect(self._engine) as connection:
                low, high, _ = execute(connection, span_statement, self.label).one()
                one = execute(connection, statements.one_timestamp(self.relation), self.label).scalar()
                try:
                    encoding = detect_encoding([low, high, one], self.dialect)
                except TimestampError as error:
                    raise SourceError(
                        f'timestamp_column "{self.relation.timestamp_column}" {error}; '
                        "store timestamps as a timestamp type, ISO 8601 text or epoch seconds, milliseconds, "
                        "microseconds or nanoseconds"
                    ) from None
                if encoding.kind == "text":
                    odd = execute(
                        connection,
                        statements.text_shape_outliers(self.relation, encoding.sep, encoding.zone),
                        self.label,
                    ).scalar_one()
                    if odd:  # not one shape throughout: compare them as times, not as text
                        encoding = TimestampEncoding("text_normalized")
            self._encoding = encoding
        return self._encoding

    def time_span(self) -> TimeSpan:
        """When the source's rows begin and end, decoded as the windows decode them."""
        encoding = self.timestamp_encoding()
        with connect(self._engine) as connection:
            low, high, rows = execute(connection, statements.time_range(self.relation), self.label).one()
        if not rows:
            return TimeSpan(None, None, 0)
        first, last = to_utc([low, high], encoding)
        return TimeSpan(first.to_pydatetime(), last.to_pydatetime(), int(rows))

    # --- reading ----------------------------------------------------------------

    def count(self, window: Window | Sequence[Window] | None) -> int:
        statement = statements.count(self.relation, self._conditions(window))
        with connect(self._engine) as connection:
            return int(execute(connection, statement, self.label).scalar_one())

    def count_present(self, column: str, window: Window | Sequence[Window] | None) -> int:
        """Rows of `window` with a value in `column`."""
        statement = statements.count_present(self.relation, column, self._conditions(window))
        with connect(self._engine) as connection:
            return int(execute(connection, statement, self.label).scalar_one())

    def count_labelled(self, key: str, labels: Source, value: str, window: Window | Sequence[Window] | None) -> int:
        """Labels in `labels` (a table of key -> `value`) for the rows of `window`."""
        statement = statements.count_labelled(self.relation, key, labels.relation, value, self._conditions(window))
        with connect(self._engine) as connection:
            return int(execute(connection, statement, self.label).scalar_one())

    def read(
        self, columns: Sequence[str], window: Window | Sequence[Window] | None, *, max_rows: int, seed: int
    ) -> ReadResult:
        """The rows of `window`, or of several windows at once (a seasonal reference's spans)."""
        total = self.count(window)
        conditions = self._conditions(window)
        if total <= max_rows:
            frame, notes = self._fetch(statements.select_columns(self.relation, columns, conditions), columns)
            return ReadResult(frame, total, None, notes)
        fraction = sampling.oversampled_fraction(max_rows, total)
        sampled, notes = self._sampled_in_sql(columns, conditions, fraction, seed)
        # A sample far below the expected size means the database did not sample as asked.
        if sampled is not None and len(sampled) < 0.9 * min(max_rows, fraction * total):
            notes += (
                f"the database sampled {len(sampled):,} rows of {total:,} where about {int(fraction * total):,} "
                "were asked for; the window was sampled while streaming instead",
            )
            sampled = None
        if sampled is None:
            sampled = self._sampled_while_streaming(columns, conditions, fraction, seed)
        for note in notes:
            log.warning("source.read_note", source=self.label, note=note)
        return ReadResult(sampling.trim(sampled, max_rows, seed), total, seed, notes)

    def lookup(self, key: str, value: str, keys: Sequence[Any], batch: int = 5000) -> dict[Any, Any]:
        """{key: value} for the given keys (one label per key: the first found), in batches of IN (...)."""
        found: dict[Any, Any] = {}
        with connect(self._engine) as connection:
            for start in range(0, len(keys), batch):
                statement = statements.lookup(self.relation, key, value, keys[start : start + batch])
                for k, v in execute(connection, statement, self.label):
                    found.setdefault(k, v)
        return found

    # --- plumbing -----------------------------------------------------------------

    def _conditions(self, window: Window | Sequence[Window] | None) -> list[sa.ColumnElement[bool]]:
        if window is None:
            return []
        spans = (window,) if isinstance(window, Window) else tuple(window)
        return statements.spans_filter(self.relation, self.timestamp_encoding(), self.dialect, spans)

    def _fetch(self, statement: sa.Select[Any], columns: Sequence[str]) -> tuple[pd.DataFrame, tuple[str, ...]]:
        read = read_frame(self._engine, statement, list(columns), label=self.label, fast=self._fast)
        if read.fast_path_unusable:
            self._fast = False  # SQLAlchemy could read what the fast path could not: stay on SQLAlchemy
        if read.note:
            log.warning("source.read_note", source=self.label, note=read.note)
        return read.frame, (read.note,) if read.note else ()

    def _sampled_in_sql(
        self, columns: Sequence[str], conditions: list[sa.ColumnElement[bool]], fraction: float, seed: int
    ) -> tuple[pd.DataFrame | None, tuple[str, ...]]:
        """Sampling inside the database; None (with a note when it failed) when this source cannot."""
        if self.table is None:
            return None, ()
        try:
            if self.dialect == "postgresql":
                sampled = statements.postgres_sample(self.relation, fraction, seed)
                return self._fetch(statements.select_columns(self.relation, columns, conditions, sampled), columns)
            if self.dialect == "sqlite" and self._is_sqlite_table():
                condition = statements.sqlite_sample(fraction, seed)
                return self._fetch(statements.select_columns(self.relation, columns, [*conditions, condition]), columns)
        except SourceError as error:
            return None, (f"sampling in the database failed ({error}); the window was sampled while streaming",)
        return None, ()

    def _is_sqlite_table(self) -> bool:
        with connect(self._engine) as connection:
            return execute(connection, statements.sqlite_kind(self.relation), self.label).scalar() == "table"

    def _sampled_while_streaming(
        self, columns: Sequence[str], conditions: list[sa.ColumnElement[bool]], fraction: float, seed: int
    ) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        kept: list[pd.DataFrame] = []
        statement = statements.select_columns(self.relation, columns, conditions)
        with connect(self._engine) as connection:
            result = execute(
                connection.execution_options(stream_results=True, yield_per=_STREAM_CHUNK), statement, self.label
            )
            for chunk in result.partitions(_STREAM_CHUNK):
                frame = pd.DataFrame.from_records(chunk, columns=list(columns), coerce_float=True)
                kept.append(sampling.bernoulli_chunk(frame, fraction, rng))
        if not kept:
            return pd.DataFrame(columns=list(columns))
        return pd.concat(kept, ignore_index=True)
