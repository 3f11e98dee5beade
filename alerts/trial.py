"""Rules tried on stored history: when each alert would have fired and resolved, and what it would have sent.
Pure: the figures come in, nothing is written or sent.

It runs the daemon's own decisions in the daemon's order: each window's figures build the same histories
(alerts.history), replayed by the same lifecycle (alerts.lifecycle.timeline, of which the daemon's `replay` is
the last state), and after each evaluated window the same message plan (alerts.notify.plan_messages) decides
who is told what, as if the window was evaluated when it closed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alerts.history import History, Key, StoredFigure, histories
from alerts.lifecycle import AlertStatus, State, Transition, timeline
from alerts.notify import AlertView, Reason, Told, plan_messages
from alerts.rules import Baseline, Rule

AlertKey = tuple[str, str, str]  # (rule, column, segment)


@dataclass(frozen=True)
class Change:
    """One state change of one alert: what the daemon stores as an alert event."""

    rule: str
    column: str
    segment: str
    window_start: datetime
    window_end: datetime
    before: State
    after: State
    value: float | None
    since: datetime | None  # the start of the breach streak


@dataclass
class Trial:
    changes: list[Change] = field(default_factory=list)  # in window order
    # Per alert: how many times it was listed in a message, by reason (summed over its rule's channels).
    notices: dict[AlertKey, Counter[Reason]] = field(default_factory=lambda: defaultdict(Counter))
    messages: Counter[str] = field(default_factory=Counter)  # per channel
    windows: int = 0

    def fired(self) -> list[Change]:
        return [c for c in self.changes if c.after == State.FIRING]


def try_rules(
    rules: Sequence[Rule],
    rows: Iterable[StoredFigure],
    evaluated: Sequence[datetime],
    *,
    repeat_interval: timedelta,
    since: datetime | None = None,
) -> Trial:
    """Replays `rows` (every stored figure of one monitor) through `rules`.

    `evaluated`: the ends of the windows whose runs went through the alert pipeline, each taken as the time it
    was evaluated. Changes and notifications before `since` are not reported: they only set the state the
    reported span starts from, as the daemon's stored state would. Silences are not applied: the question is
    what the rules would do.
    """
    rows = list(rows)
    states: dict[AlertKey, list[tuple[datetime, AlertStatus]]] = {}
    trial = Trial()
    by_name = {rule.name: rule for rule in rules}
    for rule in rules:
        for (column, segment), history in histories(rule, rows).items():
            key = (rule.name, column, segment)
            states[key] = []
            before = State.INACTIVE
            for (start, end, _, _), (status, transition) in zip(history, timeline(rule, _values(history)), strict=True):
                states[key].append((end, status))
                if transition != Transition.NONE and (since is None or end > since):
                    trial.changes.append(
                        Change(rule.name, column, segment, start, end, before, status.state, status.value, status.since)
                    )
                before = status.state
    trial.changes.sort(key=lambda c: (c.window_end, c.rule, c.column, c.segment))
    told: dict[AlertKey, dict[str, Told]] = {key: {} for key in states}
    seen = {key: 0 for key in states}  # per alert: how many of its windows have ended by `now`
    for now in sorted(evaluated):
        views = []
        for key, points in states.items():
            while seen[key] < len(points) and points[seen[key]][0] <= now:
                seen[key] += 1
            if not seen[key]:  # no figure yet: the daemon has no alert row for it
                continue
            current = points[seen[key] - 1][1].state
            rule = by_name[key[0]]
            views.append(AlertView(key=key, state=current, channels=rule.channels, told=dict(told[key])))
        plan, told_now = plan_messages(views, repeat_interval=repeat_interval, now=now)
        for key, channels in told_now.items():
            told[_as_key(key)].update(channels)
        reported = since is None or now > since
        if reported:
            for channel, listed in plan.items():
                trial.messages[channel] += 1
                for key, reason in listed.items():
                    trial.notices[_as_key(key)][reason] += 1
        trial.windows += reported
    return trial


def _values(history: History) -> list[tuple[datetime, float | None, Baseline | None]]:
    return [(start, value, baseline) for start, _, value, baseline in history]


def _as_key(key: Hashable) -> AlertKey:
    assert isinstance(key, tuple)
    return key  # type: ignore[return-value]


__all__ = ["AlertKey", "Change", "Key", "Trial", "try_rules"]
