"""Durations ("15m") and instants (ISO 8601, always timezone-aware UTC)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

DURATION_HINT = 'use a number and a unit: "90s", "15m", "1h", "7d"'
SINCE_HINT = 'a duration back from now: "1d", "6h", "30m"'
TIME_HINT = "use ISO 8601 with a timezone, e.g. 2026-11-22T06:00:00Z"


def parse_duration(text: str) -> timedelta:
    """Parse "90s", "15m", "1h", "7d" (also "1.5h", "2w", "500ms"); raise ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a duration; {DURATION_HINT}")
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration; {DURATION_HINT}")
    value = float(match.group(1)) * _UNITS[match.group(2)]
    if value <= 0:
        raise ValueError(f"{text!r} must be longer than zero; {DURATION_HINT}")
    return timedelta(seconds=value)


def format_duration(delta: timedelta) -> str:
    """The shortest exact spelling: 3600s -> "1h", 5400s -> "90m"."""
    seconds = delta.total_seconds()
    for unit in ("w", "d", "h", "m", "s"):
        size = _UNITS[unit]
        if seconds >= size and float(seconds / size).is_integer():
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def parse_time(value: str | datetime) -> datetime:
    """An aware instant from ISO 8601 text (or a TOML datetime); naive input is refused."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a time; {TIME_HINT}") from None
    else:
        raise ValueError(f"{value!r} is not a time; {TIME_HINT}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{value!s} has no timezone; {TIME_HINT}")
    return moment.astimezone(UTC)


def parse_since(text: str, *, now: datetime) -> datetime:
    """A start: an instant (ISO 8601) or a duration back from `now` ("1d": a day before now)."""
    try:
        return parse_time(text)
    except ValueError:
        pass
    try:
        return now - parse_duration(text)
    except ValueError:
        raise ValueError(f"{text!r} is neither a time nor a duration; {TIME_HINT}, or {SINCE_HINT}") from None


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """2026-11-22T06:00:00Z: the form DriftHound prints and sends."""
    moment = moment.astimezone(UTC)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def span(start: datetime, end: datetime) -> str:
    """2026-11-22 05:00 – 06:00 UTC (the end's date only when it differs)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    fmt = "%Y-%m-%d %H:%M" + (":%S" if start.second or end.second else "")
    end_fmt = fmt if end.date() != start.date() else fmt.removeprefix("%Y-%m-%d ")
    return f"{start.strftime(fmt)} – {end.strftime(end_fmt)} UTC"


def file_stamp(moment: datetime) -> str:
    """20261122T060000Z: ISO 8601 basic format, safe in file names and URLs."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_file_stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
