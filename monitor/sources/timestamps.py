"""How a source keeps its timestamps, and how to compare them with window bounds in SQL.

The window filter must run in the database (so only the window's rows travel), and
it must use the column as stored (so an index on it is used). Databases with real
timestamp types get datetimes; SQLite keeps text or numbers, so bounds are written
in the very shape the column uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa

_TEXT = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?P<sep>[T ])(?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d{1,9})?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
)
_UTC_ZONES = ("", "Z", "+00:00", "+0000")

Kind = Literal[
    "aware", "naive", "epoch_seconds", "epoch_millis", "epoch_micros", "epoch_nanos", "text", "text_normalized"
]
# Epoch numbers per second in each unit. The units are 1000 apart, so the spans of plausible times (1973 to
# 2200) do not overlap: the largest stored value tells the unit.
EPOCH_UNITS: dict[Kind, int] = {
    "epoch_seconds": 1,
    "epoch_millis": 1_000,
    "epoch_micros": 1_000_000,
    "epoch_nanos": 1_000_000_000,
}
_PANDAS_UNIT = {"epoch_seconds": "s", "epoch_millis": "ms", "epoch_micros": "us", "epoch_nanos": "ns"}
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC).timestamp()
_FIRST_PLAUSIBLE = datetime(1973, 3, 4, tzinfo=UTC).timestamp()  # 1e8 seconds
_LAST_PLAUSIBLE = datetime(2200, 1, 1, tzinfo=UTC).timestamp()


class TimestampError(ValueError):
    pass


@dataclass(frozen=True)
class TimestampEncoding:
    """`text` bounds are written like the stored values: same separator, same zone suffix.

    Fractions need not match: with no zone or "+00:00", a bound without a fraction
    sorts correctly against values with any fraction ('.' sorts after '+' and after
    the end of the text); with "Z" ('Z' sorts after '.'), the bound carries six digits.
    """

    kind: Kind
    sep: str = " "
    zone: str = ""

    def bind(self, moment: datetime) -> Any:
        moment = moment.astimezone(UTC)
        if self.kind == "aware":
            return moment
        if self.kind == "naive":
            return moment.replace(tzinfo=None)
        if self.kind == "epoch_seconds":
            return moment.timestamp()
        if self.kind in EPOCH_UNITS:
            whole = int(moment.replace(microsecond=0).timestamp())  # exact: no float rounding in ns
            return (whole * 1_000_000 + moment.microsecond) * EPOCH_UNITS[self.kind] // 1_000_000
        if self.kind == "text_normalized":
            return moment.strftime("%Y-%m-%d %H:%M:%S")
        text = moment.strftime(f"%Y-%m-%d{self.sep}%H:%M:%S")
        if self.zone == "Z" or moment.microsecond:
            text += f".{moment.microsecond:06d}"
        return text + self.zone

    def column_expression(self, column: sa.ColumnElement[Any], dialect: str) -> sa.ColumnElement[Any]:
        if self.kind == "text_normalized":
            if dialect == "sqlite":
                return sa.func.datetime(column)
            return sa.cast(column, sa.DateTime(timezone=True))
        return column


def _text_shape(value: str) -> tuple[str, str] | None:
    match = _TEXT.match(value.strip())
    if not match:
        return None
    return match.group("sep"), match.group("zone") or ""


def detect_encoding(samples: list[Any], dialect: str) -> TimestampEncoding:
    """Decides from a few stored values (e.g. the min, the max and one row) how bounds are written.

    Text compares as text only on SQLite and only when every sample has one UTC shape;
    otherwise the column is normalised in SQL (slower, but correct).
    """
    values = [v for v in samples if v is not None]
    if not values:
        raise TimestampError("has no values to tell its type from")
    first = values[0]
    if isinstance(first, datetime):
        if any(not isinstance(v, datetime) for v in values):
            raise TimestampError("mixes datetimes with other types")
        aware = first.tzinfo is not None and first.utcoffset() is not None
        return TimestampEncoding("aware" if aware else "naive")
    if isinstance(first, date):
        raise TimestampError("holds dates, not timestamps; windows need a time of day")
    if isinstance(first, bool):
        raise TimestampError("holds booleans, not timestamps")
    if isinstance(first, int | float | Decimal):
        numbers = [float(v) for v in values if isinstance(v, int | float | Decimal)]
        return TimestampEncoding(epoch_unit(min(numbers), max(numbers)))
    if isinstance(first, str):
        shapes = {_text_shape(v) if isinstance(v, str) else None for v in values}
        if None in shapes:
            bad = next(v for v in values if not isinstance(v, str) or _text_shape(v) is None)
            raise TimestampError(f"holds {bad!r}, which is not an ISO 8601 timestamp")
        if dialect == "sqlite" and len(shapes) == 1:
            sep, zone = shapes.pop()
            if zone in _UTC_ZONES:
                return TimestampEncoding("text", sep=sep, zone=zone)
        return TimestampEncoding("text_normalized")
    raise TimestampError(f"holds values of type {type(first).__name__}, not timestamps")


def epoch_unit(low: float, high: float) -> Kind:
    """The unit of epoch numbers, from the range they span: the one that puts the largest between 1973 and
    2200 and the smallest no earlier than 1970. Any other range is no epoch time in any unit."""
    for kind, per_second in EPOCH_UNITS.items():
        if _FIRST_PLAUSIBLE <= high / per_second <= _LAST_PLAUSIBLE and low / per_second >= _EARLIEST:
            return kind
    raise TimestampError(
        f"holds numbers from {low:g} to {high:g}, which are epoch times between 1973 and 2200 in no unit "
        "(seconds, milliseconds, microseconds, nanoseconds)"
    )


def to_utc(values: Any, encoding: TimestampEncoding) -> Any:
    """Timestamps as read from the source -> a pandas series of UTC times (naive ones are UTC)."""
    import pandas as pd

    series = pd.Series(values)
    if encoding.kind == "epoch_seconds":
        return pd.to_datetime(series.astype(float), unit="s", utc=True)
    if encoding.kind in _PANDAS_UNIT:
        return pd.to_datetime(series.astype(float), unit=_PANDAS_UNIT[encoding.kind], utc=True)
    if encoding.kind in ("text", "text_normalized"):
        return pd.to_datetime(series, utc=True, format="ISO8601")
    return pd.to_datetime(series, utc=True)
