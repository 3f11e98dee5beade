"""How window bounds are written for each way a source stores its timestamps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from monitor.sources.timestamps import TimestampEncoding, TimestampError, detect_encoding

BOUND = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


def test_datetimes_bind_as_datetimes_of_the_same_awareness():
    naive = detect_encoding([datetime(2026, 1, 1), None], "postgresql")  # noqa: DTZ001
    assert naive.kind == "naive" and naive.bind(BOUND) == datetime(2026, 11, 22, 6)  # noqa: DTZ001
    aware = detect_encoding([datetime(2026, 1, 1, tzinfo=UTC)], "postgresql")
    assert aware.kind == "aware" and aware.bind(BOUND) == BOUND


def test_epoch_numbers_in_seconds_or_milliseconds():
    assert detect_encoding([1763791200.5, 1763791300], "sqlite").bind(BOUND) == BOUND.timestamp()
    millis = detect_encoding([1763791200000, Decimal("1763791300000")], "postgresql")
    assert millis.kind == "epoch_millis" and millis.bind(BOUND) == int(BOUND.timestamp() * 1000)


@pytest.mark.parametrize(
    ("samples", "bound"),
    [
        (["2026-11-22 05:59:59.999999", "2026-11-22 06:00:00"], "2026-11-22 06:00:00"),
        (["2026-11-22T05:59:59+00:00", "2026-11-22T06:00:01.5+00:00"], "2026-11-22T06:00:00+00:00"),
        (["2026-11-22T05:59:59Z", "2026-11-22T06:00:01.123Z"], "2026-11-22T06:00:00.000000Z"),
    ],
)
def test_sqlite_text_bounds_take_the_stored_shape(samples, bound):
    encoding = detect_encoding(samples, "sqlite")
    assert encoding.kind == "text"
    assert encoding.bind(BOUND) == bound


@pytest.mark.parametrize(
    "shape",
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M:%S.%f",
        "%Y-%m-%dT%H:%M:%S+00:00",
        "%Y-%m-%dT%H:%M:%S.%f+00:00",
        "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%dT%H:%M:%S.%fZ",
    ],
)
def test_text_comparison_agrees_with_time_comparison_around_a_bound(shape):
    """The point of writing bounds in the stored shape: string order == time order, fractions or not."""
    encoding = detect_encoding([BOUND.strftime(shape)], "sqlite")
    bound = encoding.bind(BOUND)
    for micro in (0, 1, 500000, 999999):
        for second in (59, 0, 1):
            minute = 59 if second == 59 else 0
            hour = 5 if second == 59 else 6
            moment = datetime(2026, 11, 22, hour, minute, second, micro, tzinfo=UTC)
            stored = moment.strftime(shape)
            parsed = datetime.fromisoformat(stored.replace("Z", "+00:00"))
            parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            assert (stored >= bound) == (parsed >= BOUND), (stored, bound)


def test_mixed_or_offset_text_is_normalised_in_sql():
    assert detect_encoding(["2026-11-22 06:00:00", "2026-11-22T06:00:00"], "sqlite").kind == "text_normalized"
    assert detect_encoding(["2026-11-22T08:00:00+02:00"], "sqlite").kind == "text_normalized"
    normalised = TimestampEncoding("text_normalized")
    assert normalised.bind(BOUND) == "2026-11-22 06:00:00"


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        ([None, None], "no values"),
        ([date(2026, 11, 22)], "dates, not timestamps"),
        (["last tuesday"], "not an ISO 8601 timestamp"),
        ([True], "booleans"),
        ([b"\x00"], "type bytes"),
    ],
)
def test_unusable_timestamp_columns_are_explained(samples, message):
    with pytest.raises(TimestampError, match=message):
        detect_encoding(samples, "sqlite")


@pytest.mark.parametrize(
    ("scale", "kind"),
    [(1, "epoch_seconds"), (1_000, "epoch_millis"), (1_000_000, "epoch_micros"), (1_000_000_000, "epoch_nanos")],
)
def test_the_epoch_unit_is_read_from_the_column_s_range(scale, kind):
    """Anything above 1e11 was taken for milliseconds: microsecond and nanosecond epochs gave empty windows."""
    low, high = int(BOUND.timestamp() - 86400) * scale, int(BOUND.timestamp() + 86400) * scale
    encoding = detect_encoding([low, high, high - scale], "postgresql")
    assert encoding.kind == kind
    assert encoding.bind(BOUND) == int(BOUND.timestamp()) * scale
    from monitor.sources.timestamps import to_utc

    assert to_utc([int(BOUND.timestamp()) * scale], encoding)[0] == BOUND


@pytest.mark.parametrize("samples", [[0, 5000], [1, 2, 3], [10**22, 10**22 + 1]])
def test_numbers_that_are_no_epoch_time_in_any_unit_are_refused(samples):
    with pytest.raises(TimestampError, match="epoch times between 1973 and 2200 in no unit"):
        detect_encoding(samples, "sqlite")
