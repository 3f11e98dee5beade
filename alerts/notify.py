"""Whether to tell a channel about an alert now, and why; what one channel's message lists. Pure: time is
passed in.

The decision compares what is (the alert's state) with what each channel was last
told, so it holds however runs arrive, and a channel added to a rule that already
fires is told at the next run. The answer is a named reason that travels into the
payload, so the receiver knows why it was told.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from alerts.lifecycle import State


class Reason(StrEnum):
    FIRST = "first_notification"
    REPEAT = "reminder"
    RESOLVED = "resolved"
    NONE = "do_not_notify"


@dataclass(frozen=True)
class Told:
    """What one channel was last told of an alert."""

    notified_firing: bool = False
    last_notified_at: datetime | None = None


NOT_TOLD = Told()


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


@dataclass(frozen=True)
class AlertView:
    """One alert of a monitor as the decision sees it: its state, where its rule sends, what each was told."""

    key: Hashable
    state: State
    channels: tuple[str, ...]
    told: Mapping[str, Told] = field(default_factory=dict)
    silenced: bool = False


def message_plan(
    alerts: Sequence[AlertView], *, repeat_interval: timedelta, now: datetime
) -> dict[str, dict[Hashable, Reason]]:
    """Per channel with something due: every alert its message lists, and how each is marked.

    As in Alertmanager, a message shows the whole group: when anything is due for a channel (an alert it has
    not heard of, a reminder, a resolve), the message lists every alert of the monitor firing for that
    channel, not only those due, so "3 firing" never leaves out a fourth. Channels with nothing due get no
    message.
    """
    plan: dict[str, dict[Hashable, Reason]] = {}
    for channel in dict.fromkeys(c for alert in alerts for c in alert.channels):
        mine = [alert for alert in alerts if channel in alert.channels]
        reasons = {alert.key: _reason_for(alert, channel, repeat_interval, now) for alert in mine}
        if all(reason == Reason.NONE for reason in reasons.values()):
            continue
        listed = {}
        for alert in mine:
            reason = reasons[alert.key]
            if reason == Reason.NONE and _still_firing_for(alert, channel):
                # Told before and its own reminder not due yet: shown again as part of the group.
                reason = Reason.REPEAT
            if reason != Reason.NONE:
                listed[alert.key] = reason
        plan[channel] = listed
    return plan


def plan_messages(
    alerts: Sequence[AlertView], *, repeat_interval: timedelta, now: datetime
) -> tuple[dict[str, dict[Hashable, Reason]], dict[Hashable, dict[str, Told]]]:
    """The message plan (see message_plan), and what each channel it lists knows of each alert once its message
    reached it (see told_after): the daemon records the second, `rules test` carries it to the next window."""
    plan = message_plan(alerts, repeat_interval=repeat_interval, now=now)
    by_key = {alert.key: alert for alert in alerts}
    told: dict[Hashable, dict[str, Told]] = {}
    for channel, listed in plan.items():
        for key, reason in listed.items():
            before = by_key[key].told.get(channel, NOT_TOLD)
            told.setdefault(key, {})[channel] = told_after(reason, now, before)
    return plan, told


def told_after(reason: Reason, now: datetime, before: Told = NOT_TOLD) -> Told:
    """What a channel knows of an alert once a message marked `reason` reached it."""
    if reason in (Reason.FIRST, Reason.REPEAT):
        return Told(notified_firing=True, last_notified_at=now)
    if reason == Reason.RESOLVED:
        return Told(notified_firing=False, last_notified_at=now)
    return before


def _reason_for(alert: AlertView, channel: str, repeat_interval: timedelta, now: datetime) -> Reason:
    told = alert.told.get(channel, NOT_TOLD)
    return notify_reason(
        state=alert.state,
        notified_firing=told.notified_firing,
        last_notified_at=told.last_notified_at,
        repeat_interval=repeat_interval,
        silenced=alert.silenced,
        now=now,
    )


def _still_firing_for(alert: AlertView, channel: str) -> bool:
    return alert.state == State.FIRING and not alert.silenced and alert.told.get(channel, NOT_TOLD).notified_firing
