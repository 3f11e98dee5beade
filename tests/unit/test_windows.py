"""Which window a run evaluates: pure functions of schedule, size and now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.times import file_stamp, format_duration, iso, parse_duration, parse_time
from monitor.windows import (
    Schedule,
    Window,
    backfill_windows,
    latest_complete_window,
    reference_spans,
    reference_window,
)


def at(text: str) -> datetime:
    return parse_time(text)


@pytest.mark.parametrize(
    ("cron", "now", "end"),
    [
        ("*/15 * * * *", "2026-11-22T06:07:30Z", "2026-11-22T06:00:00Z"),
        ("*/15 * * * *", "2026-11-22T06:15:00Z", "2026-11-22T06:15:00Z"),  # a tick is its own latest tick
        ("*/15 * * * *", "2026-11-22T06:14:59.999Z", "2026-11-22T06:00:00Z"),
        ("0 * * * *", "2026-11-22T00:30:00Z", "2026-11-22T00:00:00Z"),
        ("0 6 * * *", "2026-11-22T05:59:00Z", "2026-11-21T06:00:00Z"),
    ],
)
def test_latest_complete_window_ends_at_the_last_cron_tick(cron, now, end):
    window = latest_complete_window(Schedule(cron=cron), timedelta(hours=1), at(now))
    assert window == Window(at(end) - timedelta(hours=1), at(end))


def test_every_aligns_to_the_epoch_in_utc():
    schedule = Schedule(every=timedelta(minutes=15))
    assert schedule.last_tick(at("2026-11-22T06:29:59+02:00")) == at("2026-11-22T04:15:00Z")
    assert schedule.next_tick(at("2026-11-22T04:15:00Z")) == at("2026-11-22T04:30:00Z")


def test_ticks_between_two_instants_oldest_first():
    schedule = Schedule(cron="0 * * * *")
    ticks = list(schedule.ticks(at("2026-11-22T00:00:00Z"), at("2026-11-22T03:00:00Z")))
    assert ticks == [at("2026-11-22T01:00:00Z"), at("2026-11-22T02:00:00Z"), at("2026-11-22T03:00:00Z")]


def test_backfill_takes_the_consecutive_windows_that_fit():
    windows = backfill_windows(at("2026-11-22T00:00:00Z"), at("2026-11-22T03:30:00Z"), timedelta(hours=1))
    assert [iso(w.end) for w in windows] == ["2026-11-22T01:00:00Z", "2026-11-22T02:00:00Z", "2026-11-22T03:00:00Z"]
    assert windows[0].start == at("2026-11-22T00:00:00Z")
    assert backfill_windows(at("2026-11-22T00:00:00Z"), at("2026-11-22T00:30:00Z"), timedelta(hours=1)) == []
    with pytest.raises(ValueError):
        backfill_windows(at("2026-11-22T01:00:00Z"), at("2026-11-22T00:00:00Z"), timedelta(hours=1))


def test_reference_last_with_offset_ends_offset_before_the_window():
    current = Window(at("2026-11-22T05:00:00Z"), at("2026-11-22T06:00:00Z"))
    ref = reference_window(last=timedelta(days=7), offset=timedelta(days=1), start=None, end=None, current=current)
    assert ref == Window(at("2026-11-14T05:00:00Z"), at("2026-11-21T05:00:00Z"))
    ref = reference_window(last=timedelta(hours=24), offset=None, start=None, end=None, current=current)
    assert ref == Window(at("2026-11-21T05:00:00Z"), at("2026-11-22T05:00:00Z"))


def test_fixed_and_table_references():
    current = Window(at("2026-11-22T05:00:00Z"), at("2026-11-22T06:00:00Z"))
    fixed = reference_window(
        last=None, offset=None, start=at("2026-11-01T00:00:00Z"), end=at("2026-11-08T00:00:00Z"), current=current
    )
    assert fixed == Window(at("2026-11-01T00:00:00Z"), at("2026-11-08T00:00:00Z"))
    assert reference_window(last=None, offset=None, start=None, end=None, current=current) is None


def test_windows_refuse_naive_or_empty_bounds():
    with pytest.raises(ValueError):
        Window(datetime(2026, 11, 22), datetime(2026, 11, 22, 1))  # noqa: DTZ001
    with pytest.raises(ValueError):
        Window(at("2026-11-22T01:00:00Z"), at("2026-11-22T01:00:00Z"))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("1h", 3600), ("7d", 604800), ("1.5h", 5400), ("2w", 1209600), ("500ms", 0.5)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "1", "h", "1y", "-1h", "1 hour", "0m"])
def test_bad_durations(text):
    with pytest.raises(ValueError, match=r"duration|longer than zero"):
        parse_duration(text)


def test_duration_formatting_and_times():
    assert format_duration(timedelta(hours=1)) == "1h"
    assert format_duration(timedelta(minutes=90)) == "90m"
    assert format_duration(timedelta(days=7)) == "1w"
    assert iso(at("2026-11-22T07:00:00+01:00")) == "2026-11-22T06:00:00Z"
    assert file_stamp(at("2026-11-22T06:00:00Z")) == "20261122T060000Z"
    with pytest.raises(ValueError, match="no timezone"):
        parse_time("2026-11-22T06:00:00")
    with pytest.raises(ValueError, match="not a time"):
        parse_time("yesterday")
    assert parse_time("2026-11-22T06:00:00Z").tzinfo == UTC


def _spans(reference: dict, current: Window) -> list[tuple[str, str]]:
    found = reference_spans(current=current, **{"offset": None, "start": None, "end": None, **reference})
    return [(iso(s.start), iso(s.end)) for s in found.spans]


@pytest.mark.parametrize(
    ("reference", "current", "expected"),
    [
        # The same clock hour on each of the 3 days before the window.
        (
            {"last": timedelta(days=3), "seasonality": "hour_of_day"},
            ("2026-11-22T05:00:00Z", "2026-11-22T06:00:00Z"),
            [
                ("2026-11-19T05:00:00Z", "2026-11-19T06:00:00Z"),
                ("2026-11-20T05:00:00Z", "2026-11-20T06:00:00Z"),
                ("2026-11-21T05:00:00Z", "2026-11-21T06:00:00Z"),
            ],
        ),
        # With an offset, the days before the offset.
        (
            {"last": timedelta(days=2), "offset": timedelta(days=1), "seasonality": "hour_of_day"},
            ("2026-11-22T05:00:00Z", "2026-11-22T06:00:00Z"),
            [("2026-11-19T05:00:00Z", "2026-11-19T06:00:00Z"), ("2026-11-20T05:00:00Z", "2026-11-20T06:00:00Z")],
        ),
        # A window off the hour keeps its clock time; midnight-crossing windows too.
        (
            {"last": timedelta(days=2), "seasonality": "hour_of_day"},
            ("2026-11-22T23:30:00Z", "2026-11-23T00:30:00Z"),
            [("2026-11-20T23:30:00Z", "2026-11-21T00:30:00Z"), ("2026-11-21T23:30:00Z", "2026-11-22T00:30:00Z")],
        ),
        # A reference that is not whole days: only spans wholly inside it.
        (
            {"last": timedelta(hours=36), "seasonality": "hour_of_day"},
            ("2026-11-22T05:00:00Z", "2026-11-22T06:00:00Z"),
            [("2026-11-21T05:00:00Z", "2026-11-21T06:00:00Z")],
        ),
        # The same hours of the same weekday (a Sunday), four weeks back.
        (
            {"last": timedelta(days=28), "seasonality": "hour_of_week"},
            ("2026-11-22T05:00:00Z", "2026-11-22T07:00:00Z"),
            [
                ("2026-10-25T05:00:00Z", "2026-10-25T07:00:00Z"),
                ("2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z"),
                ("2026-11-08T05:00:00Z", "2026-11-08T07:00:00Z"),
                ("2026-11-15T05:00:00Z", "2026-11-15T07:00:00Z"),
            ],
        ),
        # A daily window: the same weekday's whole days.
        (
            {"last": timedelta(days=14), "seasonality": "day_of_week"},
            ("2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z"),
            [("2026-11-08T00:00:00Z", "2026-11-09T00:00:00Z"), ("2026-11-15T00:00:00Z", "2026-11-16T00:00:00Z")],
        ),
        # An hourly window with day_of_week: the whole weekday it falls on, in the days before the window's day.
        (
            {"last": timedelta(days=14), "seasonality": "day_of_week"},
            ("2026-11-22T05:00:00Z", "2026-11-22T06:00:00Z"),
            [("2026-11-08T00:00:00Z", "2026-11-09T00:00:00Z"), ("2026-11-15T00:00:00Z", "2026-11-16T00:00:00Z")],
        ),
        # Pooled: one span.
        (
            {"last": timedelta(days=7), "offset": timedelta(days=1), "seasonality": None},
            ("2026-11-22T05:00:00Z", "2026-11-22T06:00:00Z"),
            [("2026-11-14T05:00:00Z", "2026-11-21T05:00:00Z")],
        ),
    ],
)
def test_reference_spans(reference, current, expected):
    assert _spans(reference, Window(at(current[0]), at(current[1]))) == expected


def test_reference_spans_bound_and_key_the_reference():
    current = Window(at("2026-11-22T05:00:00Z"), at("2026-11-22T06:00:00Z"))
    spans = reference_spans(
        last=timedelta(days=7), offset=None, start=None, end=None, seasonality="hour_of_day", current=current
    )
    assert spans.bounds == Window(at("2026-11-15T05:00:00Z"), at("2026-11-21T06:00:00Z"))
    again = reference_spans(
        last=timedelta(days=7), offset=None, start=None, end=None, seasonality="hour_of_day", current=current
    )
    assert spans == again and hash(spans) == hash(again)
    assert reference_spans(last=None, offset=None, start=None, end=None, seasonality=None, current=current) is None, (
        "a reference table has no spans"
    )


def test_a_reference_too_short_for_its_window_says_so():
    current = Window(at("2026-11-22T05:00:00Z"), at("2026-11-22T20:00:00Z"))
    with pytest.raises(ValueError, match="lengthen last"):
        reference_spans(
            last=timedelta(days=1),
            offset=timedelta(hours=12),
            start=None,
            end=None,
            seasonality="hour_of_day",
            current=current,
        )
