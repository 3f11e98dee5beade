"""The alert lifecycle and the notify decision, case by case (pure functions, time passed in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.lifecycle import AlertStatus, State, replay, step
from alerts.notify import Reason, notify_reason
from alerts.rules import Observation, Rule, observe

T = datetime(2026, 11, 22, 6, tzinfo=UTC)
RULE = Rule(name="drift", metric="drift.share", above=0.3, for_runs=2, resolve_after=2)


def run_sequence(values, rule=RULE):
    status, transitions = AlertStatus(), []
    for index, value in enumerate(values):
        observation = Observation(rule, "", value, value is not None and value > rule.above)
        status, transition = step(status, observation, window_start=T + timedelta(hours=index))
        transitions.append((status.state.value, transition.value))
    return status, transitions


def test_for_runs_consecutive_breaches_fire_and_resolve_after_clean_runs_resolve():
    status, transitions = run_sequence([0.5, 0.5, 0.6, 0.1, 0.1])
    assert transitions == [
        ("pending", "pending"),
        ("firing", "fired"),
        ("firing", "none"),
        ("firing", "none"),
        ("resolved", "resolved"),
    ]
    assert status.since == T  # the first breaching window of the streak


def test_a_pending_alert_that_clears_never_fires():
    _, transitions = run_sequence([0.5, 0.1, 0.5, 0.1])
    assert [t for _, t in transitions] == ["pending", "cleared", "pending", "cleared"]


def test_runs_without_the_figure_neither_fire_nor_resolve():
    _, transitions = run_sequence([0.5, None, 0.5, 0.1, None, None, 0.1])
    assert transitions == [
        ("pending", "pending"),
        ("pending", "none"),
        ("firing", "fired"),
        ("firing", "none"),
        ("firing", "none"),
        ("firing", "none"),
        ("resolved", "resolved"),
    ]


def test_a_clean_run_between_breaches_of_a_firing_alert_resets_the_resolve_count():
    _, transitions = run_sequence([0.5, 0.5, 0.1, 0.5, 0.1, 0.1])
    assert [s for s, _ in transitions] == ["pending", "firing", "firing", "firing", "firing", "resolved"]


def test_for_runs_one_fires_at_once_and_a_resolved_alert_can_fire_again():
    rule = Rule(name="r", metric="accuracy", below=0.7)
    _, transitions = run_sequence([0.6, 0.1, 0.5], rule=Rule(name="r", metric="x", above=0.3))
    assert [t for _, t in transitions] == ["fired", "resolved", "fired"]
    observation = observe(rule, {("accuracy", ""): 0.65})[0]
    assert observation.breaching and rule.op == "below"


def test_star_rules_observe_every_column_and_a_missing_column_has_no_data():
    figures = {("drift.score", "a"): 0.5, ("drift.score", "b"): 0.01, ("drift.share", ""): 0.5}
    star = observe(Rule(name="r", metric="drift.score", column="*", above=0.1), figures)
    assert [(o.column, o.breaching) for o in star] == [("a", True), ("b", False)]
    [missing] = observe(Rule(name="r", metric="drift.score", column="zz", above=0.1), figures)
    assert not missing.has_data and not missing.breaching
    band = Rule(name="b", metric="drift.share", above=0.9, below=0.6)
    assert band.op == "outside" and observe(band, figures)[0].breaching


NOW = T + timedelta(hours=10)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("state", "notified", "last", "silenced", "expected"),
    [
        (State.FIRING, False, None, False, Reason.FIRST),
        (State.FIRING, True, NOW - 30 * timedelta(minutes=1), False, Reason.NONE),
        (State.FIRING, True, NOW - 4 * HOUR, False, Reason.REPEAT),
        (State.FIRING, False, NOW - HOUR, False, Reason.FIRST),  # fired while silenced: news once it ends
        (State.FIRING, False, None, True, Reason.NONE),
        (State.RESOLVED, True, NOW - HOUR, False, Reason.RESOLVED),
        (State.INACTIVE, True, NOW - HOUR, False, Reason.RESOLVED),
        (State.RESOLVED, False, None, False, Reason.NONE),  # never shown as firing
        (State.RESOLVED, True, NOW - HOUR, True, Reason.NONE),
        (State.PENDING, False, None, False, Reason.NONE),
        (State.INACTIVE, False, None, False, Reason.NONE),
    ],
)
def test_notify_reason(state, notified, last, silenced, expected):
    assert (
        notify_reason(
            state=state,
            notified_firing=notified,
            last_notified_at=last,
            repeat_interval=4 * HOUR,
            silenced=silenced,
            now=NOW,
        )
        == expected
    )


def test_replay_gives_the_state_whatever_order_the_runs_arrived_in():
    history = [(T + timedelta(hours=i), v, None) for i, v in enumerate([0.1, 0.5, 0.5, 0.5, 0.1])]
    status = replay(RULE, history)
    assert status.state == State.FIRING and status.since == T + timedelta(hours=1) and status.clears == 1
    assert replay(RULE, [*history, (T + timedelta(hours=5), 0.1, None)]).state == State.RESOLVED
    assert replay(RULE, []).state == State.INACTIVE


def test_rules_relative_to_the_reference():
    rule = Rule(name="auc", metric="roc_auc", outside_reference=3.0)
    figures = {("roc_auc", ""): 0.70, ("roc_auc.reference_mean", ""): 0.82, ("roc_auc.reference_std", ""): 0.03}
    [seen] = observe(rule, figures)
    assert seen.breaching and seen.baseline == (0.82, 0.03)
    assert rule.bound(0.70, seen.baseline) == pytest.approx(0.73) and rule.op == "outside_reference"
    [inside] = observe(rule, {**figures, ("roc_auc", ""): 0.76})
    assert not inside.breaching, "within mean +/- 3 std"
    [upward] = observe(rule, {**figures, ("roc_auc", ""): 0.95})
    assert upward.breaching and rule.bound(0.95, upward.baseline) == pytest.approx(0.91)
    [unknown] = observe(rule, {("roc_auc", ""): 0.5})
    assert not unknown.has_data, "without a reference range there is no verdict"
    history = [(T + timedelta(hours=i), v, (0.82, 0.03)) for i, v in enumerate([0.81, 0.70, 0.69])]
    assert replay(Rule(name="auc", metric="roc_auc", outside_reference=3.0, for_runs=2), history).state == State.FIRING
