"""The alert lifecycle: pending -> firing -> resolved, as pure functions.

`for_runs` consecutive breaching runs fire an alert; `resolve_after` consecutive
clean runs resolve it. A run without the figure (skipped, failed, or the metric
undefined in that window) neither fires nor resolves.

An alert's state is derived by replaying its figures in window order (`replay`),
not by applying runs in the order they happen to finish: the daemon evaluates the
latest window first and catches up older ones afterwards, and a backfill may fill
in the past; the state is the same either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from alerts.rules import Baseline, Observation, Rule, breaches


class State(StrEnum):
    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


class Transition(StrEnum):
    NONE = "none"
    PENDING = "pending"  # first breach, not yet for_runs
    FIRED = "fired"
    RESOLVED = "resolved"
    CLEARED = "cleared"  # a pending alert's breach ended before it fired


@dataclass(frozen=True)
class AlertStatus:
    state: State = State.INACTIVE
    breaches: int = 0
    clears: int = 0
    since: datetime | None = None  # the start of the first breaching window of this streak
    value: float | None = None


def step(status: AlertStatus, observation: Observation, *, window_start: datetime) -> tuple[AlertStatus, Transition]:
    rule = observation.rule
    if not observation.has_data:
        return status, Transition.NONE
    value = observation.value
    if observation.breaching:
        if status.state in (State.INACTIVE, State.RESOLVED):
            status = AlertStatus(State.PENDING, breaches=1, clears=0, since=window_start, value=value)
            if rule.for_runs <= 1:
                return replace(status, state=State.FIRING), Transition.FIRED
            return status, Transition.PENDING
        status = replace(status, breaches=status.breaches + 1, clears=0, value=value)
        if status.state == State.PENDING and status.breaches >= rule.for_runs:
            return replace(status, state=State.FIRING), Transition.FIRED
        return status, Transition.NONE
    if status.state == State.PENDING:
        return AlertStatus(State.INACTIVE, value=value), Transition.CLEARED
    if status.state == State.FIRING:
        clears = status.clears + 1
        if clears >= rule.resolve_after:
            return AlertStatus(State.RESOLVED, clears=clears, since=status.since, value=value), Transition.RESOLVED
        return replace(status, clears=clears, value=value), Transition.NONE
    return replace(status, value=value), Transition.NONE


def replay(rule: Rule, history: Iterable[tuple[datetime, float | None, Baseline | None]]) -> AlertStatus:
    """The state after the figures `history` = [(window_start, value, reference range)], oldest first."""
    last = AlertStatus()
    for after, _ in timeline(rule, history):
        last = after
    return last


def timeline(
    rule: Rule, history: Iterable[tuple[datetime, float | None, Baseline | None]]
) -> Iterator[tuple[AlertStatus, Transition]]:
    """The state after each figure of `history` (as `replay`), and the transition that figure made.

    `drifthound rules test` reads when an alert would have fired and resolved from it; the daemon's `replay` is
    its last state, so the two cannot disagree.
    """
    status = AlertStatus()
    for window_start, value, baseline in history:
        if rule.outside_reference is not None and baseline is None:
            value = None  # no reference range for that run: no verdict
        observation = Observation(rule, "", value, value is not None and breaches(rule, value, baseline), baseline)
        status, transition = step(status, observation, window_start=window_start)
        yield status, transition
