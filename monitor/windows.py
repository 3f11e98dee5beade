"""Which window to evaluate: pure functions of (schedule, window, now).

A window is the half-open interval [end - window, end). Its end is a tick of the
monitor's schedule: a cron tick (UTC) or, for `every`, a multiple of the period
counted from the Unix epoch (so "every 15m" ends windows at :00, :15, :30, :45).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import croniter

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, order=True)
class Window:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window bounds must be timezone-aware")
        if self.start >= self.end:
            raise ValueError(f"empty window [{self.start}, {self.end})")


@dataclass(frozen=True)
class Schedule:
    """A cron expression or a fixed period; exactly one is set."""

    cron: str | None = None
    every: timedelta | None = None

    def __post_init__(self) -> None:
        if (self.cron is None) == (self.every is None):
            raise ValueError("a schedule is a cron expression or a period, exactly one")

    def last_tick(self, now: datetime) -> datetime:
        """The latest tick at or before `now`."""
        now = now.astimezone(UTC)
        if self.every is not None:
            period = self.every.total_seconds()
            count = (now - EPOCH).total_seconds() // period
            return EPOCH + timedelta(seconds=count * period)
        # croniter's get_prev is strictly before its start; step just past `now`.
        start = now.replace(microsecond=0) + timedelta(seconds=1)
        return croniter(self.cron, start).get_prev(datetime).astimezone(UTC)

    def next_tick(self, after: datetime) -> datetime:
        """The first tick strictly after `after`."""
        after = after.astimezone(UTC)
        if self.every is not None:
            return self.last_tick(after) + self.every
        return croniter(self.cron, after).get_next(datetime).astimezone(UTC)

    def ticks(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """Ticks in (after, until], oldest first."""
        tick = self.next_tick(after)
        while tick <= until:
            yield tick
            tick = self.next_tick(tick)


def window_ending(end: datetime, size: timedelta) -> Window:
    return Window(end - size, end)


def latest_complete_window(schedule: Schedule, size: timedelta, now: datetime) -> Window:
    return window_ending(schedule.last_tick(now), size)


def backfill_windows(start: datetime, end: datetime, size: timedelta) -> list[Window]:
    """The consecutive windows [start + i*size, start + (i+1)*size) that fit in [start, end)."""
    if start >= end:
        raise ValueError("the range's start must be before its end")
    windows = []
    cursor = start
    while cursor + size <= end:
        windows.append(Window(cursor, cursor + size))
        cursor += size
    return windows


def reference_window(
    *, last: timedelta | None, offset: timedelta | None, start: datetime | None, end: datetime | None, current: Window
) -> Window | None:
    """The reference's time bounds for `current`; None when the reference is a whole table.

    `{last, offset}` is the `last` long span ending `offset` before the current window starts.
    """
    if last is not None:
        ref_end = current.start - (offset or timedelta(0))
        return Window(ref_end - last, ref_end)
    if start is not None and end is not None:
        return Window(start, end)
    return None


# How far apart the spans of a seasonal reference lie: the same clock hours a day or a week earlier.
SEASON_PERIODS = {
    "hour_of_day": timedelta(days=1),
    "hour_of_week": timedelta(days=7),
    "day_of_week": timedelta(days=7),
}
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ReferenceSpans:
    """The time spans a reference is read from, oldest first: one for a pooled reference, one per day (or week)
    for a seasonal one. Frozen and comparable, so it keys the reference's cache."""

    spans: tuple[Window, ...]
    seasonality: str | None = None

    def __post_init__(self) -> None:
        if not self.spans:
            raise ValueError("a reference needs at least one span")

    @property
    def bounds(self) -> Window:
        """The smallest window holding every span."""
        return Window(self.spans[0].start, self.spans[-1].end)


def season_base(current: Window, seasonality: str) -> Window:
    """What a seasonal reference repeats: the window itself, or for day_of_week the whole UTC days it falls on."""
    if seasonality != "day_of_week":
        return current
    first = current.start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    days = -(-(current.end - first) // _DAY)  # whole days, rounded up
    return Window(first, first + days * _DAY)


def seasonal_spans(pooled: Window, base: Window, seasonality: str) -> tuple[Window, ...]:
    """The parts of `pooled` at the same clock time as `base`, oldest first: `base` moved back by whole days
    (hour_of_day) or weeks (hour_of_week, day_of_week). Only spans wholly inside `pooled`, so every span is as
    long as the others."""
    period = SEASON_PERIODS[seasonality]
    spans = []
    step = 1
    while base.start - step * period >= pooled.start:
        moved = Window(base.start - step * period, base.end - step * period)
        if moved.end <= pooled.end:
            spans.append(moved)
        step += 1
    return tuple(reversed(spans))


def reference_spans(
    *,
    last: timedelta | None,
    offset: timedelta | None,
    start: datetime | None,
    end: datetime | None,
    seasonality: str | None,
    current: Window,
) -> ReferenceSpans | None:
    """The spans the reference of `current` is read from; None when the reference is a whole table.

    A seasonal reference takes its spans from the pooled one, which for day_of_week ends (`offset`) before the
    window's first day rather than the window: an hour's weekday is the whole day."""
    base = season_base(current, seasonality) if seasonality is not None else current
    pooled = reference_window(last=last, offset=offset, start=start, end=end, current=base)
    if pooled is None:
        return None
    if seasonality is None:
        return ReferenceSpans((pooled,))
    spans = seasonal_spans(pooled, base, seasonality)
    if not spans:
        raise ValueError(
            f"the reference holds no {seasonality} span of the window {span_text(current)}: the "
            f"reference {span_text(pooled)} is too short for it; lengthen last"
        )
    return ReferenceSpans(spans, seasonality)


def spans_minus(spans: tuple[Window, ...], removed: tuple[Window, ...]) -> tuple[Window, ...]:
    """The parts of `spans` outside every window of `removed`, oldest first (what a reference lost or gained
    when its spans moved)."""
    left: list[Window] = []
    for piece in spans:
        parts = [piece]
        for cut in removed:
            parts = [p for part in parts for p in _minus(part, cut)]
        left.extend(parts)
    return tuple(sorted(left))


def _minus(window: Window, cut: Window) -> list[Window]:
    if cut.end <= window.start or cut.start >= window.end:
        return [window]
    parts = []
    if window.start < cut.start:
        parts.append(Window(window.start, cut.start))
    if cut.end < window.end:
        parts.append(Window(cut.end, window.end))
    return parts


def span_text(window: Window) -> str:
    return f"{window.start.isoformat()} – {window.end.isoformat()}"


def due_windows(
    schedule: Schedule, size: timedelta, now: datetime, *, settled: set[datetime], catch_up: timedelta, limit: int
) -> list[Window]:
    """The windows a monitor should evaluate now, in the order to evaluate them.

    The latest complete window first (a newcomer sees a result at once), then the
    windows missed within the `catch_up` horizon, oldest first. `settled` holds the
    ends of windows that need no run (evaluated, or being evaluated elsewhere).
    At most `limit` windows: the most recent ones.
    """
    latest = schedule.last_tick(now)
    ends = [
        end
        for end in schedule.ticks(latest - catch_up - timedelta(microseconds=1), latest)
        if end not in settled and end > latest - catch_up
    ]
    if latest not in settled and latest not in ends:
        ends.append(latest)
    ends = sorted(ends)[-limit:] if limit > 0 else []
    if not ends:
        return []
    ordered = [ends[-1], *ends[:-1]] if ends[-1] == latest else ends
    return [window_ending(end, size) for end in ordered]


def aged_out(
    schedule: Schedule, size: timedelta, now: datetime, *, catch_up: timedelta, after: datetime, recorded: set[datetime]
) -> list[Window]:
    """Windows ending in (`after`, the catch-up horizon] with no run recorded: they aged past `catch_up`
    unevaluated (the workers did not get to them) and `due_windows` will never offer them again. Oldest first.

    `after` is where the caller looked last (and never before the monitor's first recorded window: a newcomer
    has no missed past); `recorded` holds the ends of windows with a run row of any status.
    """
    horizon = schedule.last_tick(now) - catch_up
    if after >= horizon:
        return []
    return [window_ending(end, size) for end in schedule.ticks(after, horizon) if end not in recorded]
