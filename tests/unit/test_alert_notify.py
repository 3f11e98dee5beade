"""The notification decision per channel: what one channel's message lists, and how each alert is marked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.lifecycle import State
from alerts.notify import NOT_TOLD, AlertView, Reason, Told, message_plan, told_after

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
REPEAT = 4 * HOUR


def told(hours_ago: float, firing: bool = True) -> Told:
    return Told(notified_firing=firing, last_notified_at=NOW - hours_ago * HOUR)


def plan(*alerts: AlertView) -> dict:
    return message_plan(list(alerts), repeat_interval=REPEAT, now=NOW)


def test_nothing_due_sends_nothing():
    assert plan(AlertView("a", State.FIRING, ("hook",), {"hook": told(1)})) == {}
    assert plan(AlertView("a", State.PENDING, ("hook",)), AlertView("b", State.RESOLVED, ("hook",))) == {}


def test_a_new_alert_brings_every_firing_alert_of_the_monitor_into_the_message():
    assert plan(
        AlertView("old", State.FIRING, ("hook",), {"hook": told(1)}),
        AlertView("new", State.FIRING, ("hook",)),
        AlertView("quiet", State.INACTIVE, ("hook",)),
    ) == {"hook": {"old": Reason.REPEAT, "new": Reason.FIRST}}


def test_one_reminder_due_lists_all_firing_alerts_as_reminders():
    assert plan(
        AlertView("due", State.FIRING, ("hook",), {"hook": told(4)}),
        AlertView("recent", State.FIRING, ("hook",), {"hook": told(2)}),
        AlertView("also", State.FIRING, ("hook",), {"hook": told(0.5)}),
    ) == {"hook": {"due": Reason.REPEAT, "recent": Reason.REPEAT, "also": Reason.REPEAT}}


def test_a_resolve_is_told_beside_what_still_fires():
    assert plan(
        AlertView("gone", State.RESOLVED, ("hook",), {"hook": told(1)}),
        AlertView("still", State.FIRING, ("hook",), {"hook": told(1)}),
    ) == {"hook": {"gone": Reason.RESOLVED, "still": Reason.REPEAT}}


def test_a_channel_added_to_a_firing_rule_is_told_now_and_the_old_one_is_not():
    alert = AlertView("drift", State.FIRING, ("hook", "slack"), {"hook": told(1)})
    assert plan(alert) == {"slack": {"drift": Reason.FIRST}}


def test_a_channel_only_hears_of_its_own_rules_alerts():
    assert plan(
        AlertView("drift", State.FIRING, ("hook", "slack")),
        AlertView("accuracy", State.FIRING, ("hook",), {"hook": told(1)}),
    ) == {"hook": {"drift": Reason.FIRST, "accuracy": Reason.REPEAT}, "slack": {"drift": Reason.FIRST}}


def test_silenced_alerts_are_neither_due_nor_listed():
    assert plan(
        AlertView("muted", State.FIRING, ("hook",), {"hook": told(1)}, silenced=True),
        AlertView("new", State.FIRING, ("hook",)),
    ) == {"hook": {"new": Reason.FIRST}}
    assert plan(AlertView("muted", State.FIRING, ("hook",), silenced=True)) == {}


def test_what_a_channel_knows_after_a_message():
    assert told_after(Reason.FIRST, NOW) == Told(True, NOW)
    assert told_after(Reason.REPEAT, NOW, told(5)) == Told(True, NOW)
    assert told_after(Reason.RESOLVED, NOW, told(5)) == Told(False, NOW)
    assert told_after(Reason.NONE, NOW, told(5)) == told(5)
    assert told_after(Reason.NONE, NOW) == NOT_TOLD
