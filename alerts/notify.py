"""Whether to tell anyone about an alert now, and why. Pure: time is passed in.

The decision compares what is (the alert's state) with what receivers were last
told, so it holds however runs arrive. The answer is a named reason that travels
into the payload, so the receiver knows why it was told.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from alerts.lifecycle import State


class Reason(StrEnum):
    FIRST = "first_notification"
    REPEAT = "repeat_interval_elapsed"
    RESOLVED = "resolved"
    NONE = "do_not_notify"


def notify_reason(
    *,
    state: State,
    notified_firing: bool,
    last_notified_at: datetime | None,
    repeat_interval: timedelta,
    silenced: bool,
    now: datetime,
) -> Reason:
    if silenced:
        return Reason.NONE
    if state == State.FIRING:
        if not notified_firing:
            # Also an alert that fired while silenced: once the silence ends, it is news.
            return Reason.FIRST
        if last_notified_at is None or now - last_notified_at >= repeat_interval:
            return Reason.REPEAT
        return Reason.NONE
    if notified_firing:
        return Reason.RESOLVED
    # The receiver cannot be told about the end of an alert it was never shown.
    return Reason.NONE
