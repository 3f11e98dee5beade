"""Rules tried on history (alerts.trial): the daemon's lifecycle and message plan over stored figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.lifecycle import State
from alerts.notify import Reason
from alerts.rules import Rule
from alerts.trial import try_rules

T0 = datetime(2026, 11, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def rows(values: list[float | None], *, metric: str = "drift.share", column: str = "", segment: str = ""):
    """One stored figure per hourly window, the first window starting at T0."""
    return [(column, segment, T0 + i * HOUR, T0 + (i + 1) * HOUR, metric, value) for i, value in enumerate(values)]


def ends(count: int) -> list[datetime]:
    return [T0 + (i + 1) * HOUR for i in range(count)]


def test_pending_fired_resolved_and_pending_again_at_their_windows():
    rule = Rule("drift", "drift.share", above=1.0, for_runs=2, channels=("log",))
    trial = try_rules([rule], rows([0, 2, 2, 2, 0, 2]), ends(6), repeat_interval=timedelta(hours=2))
    assert [(c.window_end, c.before, c.after) for c in trial.changes] == [
        (T0 + 2 * HOUR, State.INACTIVE, State.PENDING),
        (T0 + 3 * HOUR, State.PENDING, State.FIRING),
        (T0 + 5 * HOUR, State.FIRING, State.RESOLVED),
        (T0 + 6 * HOUR, State.RESOLVED, State.PENDING),
    ]
    assert trial.changes[1].since == T0 + HOUR, "the streak began with the window starting at T0 + 1h"
    # Told at 03:00; at 04:00 the reminder is not due (2h); at 05:00 the resolve is.
    assert trial.notices[("drift", "", "")] == {Reason.FIRST: 1, Reason.RESOLVED: 1}
    assert trial.messages == {"log": 2}


def test_reminders_follow_repeat_interval():
    rule = Rule("drift", "drift.share", above=1.0, channels=("log",))
    trial = try_rules([rule], rows([2] * 6), ends(6), repeat_interval=timedelta(hours=2))
    assert trial.notices[("drift", "", "")] == {Reason.FIRST: 1, Reason.REPEAT: 2}  # 01:00, then 03:00, 05:00


def test_a_window_without_the_figure_neither_fires_nor_resolves():
    rule = Rule("drift", "drift.share", above=1.0, channels=("log",))
    trial = try_rules([rule], rows([2, None, 0]), ends(3), repeat_interval=timedelta(hours=4))
    assert [(c.window_end, c.after) for c in trial.changes] == [
        (T0 + HOUR, State.FIRING),
        (T0 + 3 * HOUR, State.RESOLVED),
    ]


def test_every_column_is_its_own_alert_and_a_relative_rule_needs_its_band():
    per_column = Rule("column drift", "drift.score", column="*", above=1.0, channels=("log",))
    relative = Rule("auc", "estimated.roc_auc", outside_reference=3.0, channels=("log",))
    stored = [
        *rows([0, 2], metric="drift.score", column="income"),
        *rows([2, 2], metric="drift.score", column="age"),
        *rows([0.5, 0.5], metric="estimated.roc_auc"),
        *rows([0.9], metric="estimated.roc_auc.reference_mean")[:1],  # the band only in the first window
        *rows([0.01], metric="estimated.roc_auc.reference_std")[:1],
    ]
    trial = try_rules([per_column, relative], stored, ends(2), repeat_interval=timedelta(hours=4))
    fired = {(c.rule, c.column, c.window_end) for c in trial.fired()}
    assert fired == {
        ("column drift", "age", T0 + HOUR),
        ("column drift", "income", T0 + 2 * HOUR),
        ("auc", "", T0 + HOUR),  # the second window has no band: no verdict, still firing
    }
    assert not any(c.after == State.RESOLVED for c in trial.changes)


def test_since_reports_only_later_changes_but_the_state_carries_over():
    rule = Rule("drift", "drift.share", above=1.0, channels=("log",))
    trial = try_rules([rule], rows([2, 2, 0]), ends(3), repeat_interval=timedelta(hours=4), since=T0 + 2 * HOUR)
    assert [(c.window_end, c.before, c.after) for c in trial.changes] == [(T0 + 3 * HOUR, State.FIRING, State.RESOLVED)]
    assert trial.notices[("drift", "", "")] == {Reason.RESOLVED: 1}, "told before `since`: only its resolve counts"
