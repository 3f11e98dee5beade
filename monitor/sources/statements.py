"""The SQL a source sends, as pure functions of what the source is: no connection, no state.

A relation is a table (optionally "schema.table") or a read-only query, with the column
that times its rows. Window filters compare that column as stored, in the shape the
timestamps have (timestamps.TimestampEncoding), so an index on it is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from monitor.errors import SourceError
from monitor.sources import sampling
from monitor.sources.timestamps import TimestampEncoding
from monitor.windows import Window


@dataclass(frozen=True)
class Relation:
    table: str | None = None
    query: str | None = None
    timestamp_column: str | None = None

    def __post_init__(self) -> None:
        if (self.table is None) == (self.query is None):
            raise ValueError("a source is a table or a query")

    @property
    def label(self) -> str:
        return f'table "{self.table}"' if self.table else "the configured query"

    @property
    def schema_and_name(self) -> tuple[str | None, str]:
        schema, _, name = (self.table or "").rpartition(".")
        return schema or None, name


def from_clause(relation: Relation) -> sa.FromClause:
    if relation.table is not None:
        schema, name = relation.schema_and_name
        return sa.table(name, schema=schema)
    # The newline ends a trailing "-- comment", which would otherwise swallow the closing parenthesis.
    return sa.text(f"({relation.query}\n) AS drifthound_source")  # type: ignore[return-value]


def timestamp(relation: Relation) -> sa.ColumnClause[Any]:
    if not relation.timestamp_column:
        raise SourceError(f"{relation.label} has no timestamp_column to cut windows by")
    return sa.column(relation.timestamp_column)


def all_columns(relation: Relation, limit: int) -> sa.Select[Any]:
    """Every column of the first `limit` rows (0: just the column names)."""
    return sa.select(sa.literal_column("*")).select_from(from_clause(relation)).limit(limit)


def time_range(relation: Relation) -> sa.Select[Any]:
    column = timestamp(relation)
    return sa.select(sa.func.min(column), sa.func.max(column), sa.func.count(column)).select_from(from_clause(relation))


def one_timestamp(relation: Relation) -> sa.Select[Any]:
    column = timestamp(relation)
    return sa.select(column).select_from(from_clause(relation)).where(column.is_not(None)).limit(1)


def text_shape_outliers(relation: Relation, sep: str, zone: str) -> sa.Select[Any]:
    """How many stored timestamps do not have the one text shape (separator, UTC suffix) the bounds would be
    written in. SQLite: a whole-column check, so one odd row cannot make text comparison wrong."""
    column = timestamp(relation)
    digits = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]" + sep + "[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*"
    shaped = column.op("GLOB")(digits)
    if zone:
        rest = column.op("GLOB")("*" + zone) & ~sa.func.substr(column, 20, sa.func.length(column) - 19 - len(zone)).op(
            "GLOB"
        )("*[^0-9.]*")
    else:
        rest = ~sa.func.substr(column, 20).op("GLOB")("*[^0-9.]*")
    return sa.select(sa.func.count()).select_from(from_clause(relation)).where(column.is_not(None), ~(shaped & rest))


def window_filter(
    relation: Relation, encoding: TimestampEncoding, dialect: str, window: Window
) -> list[sa.ColumnElement[bool]]:
    column = encoding.column_expression(timestamp(relation), dialect)
    return [
        column >= sa.literal(encoding.bind(window.start), sa.types.NullType()),
        column < sa.literal(encoding.bind(window.end), sa.types.NullType()),
    ]


def spans_filter(
    relation: Relation, encoding: TimestampEncoding, dialect: str, spans: Sequence[Window]
) -> list[sa.ColumnElement[bool]]:
    """Rows in any of `spans` (a seasonal reference: the same hours of several days): an OR of one [start, end)
    per span. Plain range comparisons on the column as stored, so every dialect and timestamp encoding takes
    them and an index on the column serves each range. No enclosing range beside them: SQLite would then scan
    that whole range (28 days for 4 hours) instead of one index search per span (bench/README.md)."""
    if len(spans) == 1:
        return window_filter(relation, encoding, dialect, spans[0])
    return [sa.or_(*(sa.and_(*window_filter(relation, encoding, dialect, span)) for span in spans))]


def count(relation: Relation, conditions: Sequence[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    statement = sa.select(sa.func.count()).select_from(from_clause(relation))
    return statement.where(*conditions) if conditions else statement


def count_present(relation: Relation, column: str, conditions: Sequence[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    """How many rows have a value in `column` (the labelled rows, for a target column)."""
    statement = sa.select(sa.func.count(sa.column(column))).select_from(from_clause(relation))
    return statement.where(*conditions) if conditions else statement


def count_labelled(
    relation: Relation, key: str, labels: Relation, value: str, conditions: Sequence[sa.ColumnElement[bool]]
) -> sa.Select[Any]:
    """How many labels of a labels table belong to the rows of `relation` that `conditions` keep."""
    keys = sa.select(sa.column(key)).select_from(from_clause(relation))
    keys = keys.where(*conditions) if conditions else keys
    return (
        sa.select(sa.func.count(sa.column(value)))
        .select_from(from_clause(labels))
        .where(sa.column(key).in_(keys.scalar_subquery()))
    )


def select_columns(
    relation: Relation,
    columns: Sequence[str],
    conditions: Sequence[sa.ColumnElement[bool]],
    source: sa.FromClause | None = None,
) -> sa.Select[Any]:
    statement = sa.select(*[sa.column(name) for name in columns]).select_from(
        source if source is not None else from_clause(relation)
    )
    return statement.where(*conditions) if conditions else statement


def postgres_sample(relation: Relation, fraction: float, seed: int) -> sa.FromClause:
    """The table sampled in the database (Bernoulli, repeatable with the seed)."""
    return sa.tablesample(
        from_clause(relation), sa.func.bernoulli(fraction * 100), name="drifthound_sample", seed=sa.literal(seed)
    )


def sqlite_sample(fraction: float, seed: int) -> sa.ColumnElement[bool]:
    return sa.text(sampling.sqlite_rowid_condition(fraction, seed))  # type: ignore[return-value]


def sqlite_kind(relation: Relation) -> sa.TextClause:
    """Whether the SQLite table is a table or a view (views have no usable rowid)."""
    schema, name = relation.schema_and_name
    master = f'"{schema}".sqlite_master' if schema else "sqlite_master"
    return sa.text(f"SELECT type FROM {master} WHERE name = :name").bindparams(name=name)  # noqa: S608


def lookup(relation: Relation, key: str, value: str, keys: Sequence[Any]) -> sa.Select[Any]:
    return (
        sa.select(sa.column(key), sa.column(value))
        .select_from(from_clause(relation))
        .where(sa.column(key).in_(list(keys)))
    )
