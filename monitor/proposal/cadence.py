"""How often to look, and at how much: the smallest window that holds enough rows for drift tests to have
power, the schedule that closes it, and the reference that fits it. Pure functions of the log's rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

# A window should hold this many rows on average: quiet hours of a daily cycle still hold a few hundred.
TARGET_ROWS = 500
# The default min_rows; a log too thin for it gets a third of its windows' average instead (at least 30).
MIN_ROWS = 200


@dataclass(frozen=True)
class Cadence:
    window: timedelta
    window_text: str  # "1h"
    schedule: str  # cron, UTC
    when: str  # the schedule in words
    rows: int  # rows a window holds on average
    min_rows: int
    reference_last: str  # "7d"
    reference_offset: str | None  # "1d": a slow change does not seep into the reference at once

    @property
    def reference(self) -> str:
        offset = f', offset = "{self.reference_offset}"' if self.reference_offset else ""
        return f'{{ last = "{self.reference_last}"{offset} }}'


_LADDER = (
    (timedelta(hours=1), "1h", "0 * * * *", "every hour at :00 UTC", "7d", "1d"),
    (timedelta(hours=6), "6h", "0 */6 * * *", "every 6 hours (00:00, 06:00, 12:00, 18:00 UTC)", "7d", "1d"),
    (timedelta(days=1), "1d", "0 0 * * *", "every day at 00:00 UTC", "7d", None),
    (timedelta(days=7), "7d", "0 0 * * 1", "every Monday at 00:00 UTC", "28d", None),
)


def cadence(rows_per_hour: float) -> Cadence:
    """The first window of the ladder (1h, 6h, 1d, 7d) holding TARGET_ROWS on average; a week when none does."""
    for size, text, cron, when, last, offset in _LADDER:
        rows = int(rows_per_hour * size / timedelta(hours=1))
        if rows >= TARGET_ROWS or size == _LADDER[-1][0]:
            return Cadence(size, text, cron, when, rows, _min_rows(rows), last, offset)
    raise AssertionError("the ladder ends with a week")


def _min_rows(rows: int) -> int:
    return MIN_ROWS if rows >= 3 * MIN_ROWS else max(30, rows // 3)
