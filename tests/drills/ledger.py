"""Accounting after a drill on the flipping log: every window evaluated once with one `ok` result and no gap,
every alert transition delivered, the outbox drained. Shared by the crash and replica drills."""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from tests.drills.flipping import PERIOD
from tests.e2e.daemon import as_utc

# What is notified: firing, and the resolve of an alert that was firing (a state replayed from history that fired
# and resolved before it was ever notified is not, as in Alertmanager).
TRANSITIONS = (
    "SELECT a.monitor, a.rule, a.column_name, e.window_end, e.to_state, e.at FROM alert_events e "
    "JOIN alerts a ON a.id = e.alert_id "
    "WHERE e.to_state = 'firing' OR (e.to_state = 'resolved' AND e.from_state = 'firing') "
    "ORDER BY e.at"
)
# Every change of every alert, to tell its state as of any window.
EVENTS = (
    "SELECT a.monitor, a.rule, a.column_name, e.window_end, e.to_state FROM alert_events e "
    "JOIN alerts a ON a.id = e.alert_id ORDER BY e.at, e.id"
)


def rows(store_url: str, sql: str) -> list[dict]:
    """The rows of a query; none while the store cannot answer (a drill polls through outages)."""
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as connection:
            return [dict(r) for r in connection.execute(sa.text(sql)).mappings().all()]
    except sa.exc.SQLAlchemyError:
        return []
    finally:
        engine.dispose()


def window_ends(monitors: Iterable[str], since: datetime, cutoff: datetime) -> set[tuple[str, datetime]]:
    """Every (monitor, window end) in [since, cutoff]."""
    count = int((cutoff - since) / PERIOD) + 1
    return {(monitor, since + k * PERIOD) for monitor in monitors for k in range(count)}


def caught_up(store_url: str, cutoff: datetime, monitors: list[str], since: datetime | None = None) -> bool:
    """Every monitor has an ok result for every window from `since` (else its first) up to `cutoff`, and one
    window past it (skipped: the log has ended)."""
    runs = rows(store_url, "SELECT monitor, window_end, status FROM runs")
    before = [r for r in runs if as_utc(r["window_end"]) <= cutoff]
    if since is not None:
        before = [r for r in before if as_utc(r["window_end"]) >= since]
    if any(r["status"] != "ok" for r in before):
        return False
    ends: dict[str, set[datetime]] = defaultdict(set)
    for run in before:
        ends[run["monitor"]].add(as_utc(run["window_end"]))
    past = {r["monitor"] for r in runs if as_utc(r["window_end"]) > cutoff and r["status"] == "skipped"}
    if set(ends) != set(monitors) or past != set(monitors):
        return False
    if since is not None:
        return window_ends(monitors, since, cutoff) <= {(m, end) for m, found in ends.items() for end in found}
    return all(
        max(found) == cutoff and len(found) == (max(found) - min(found)) // PERIOD + 1 for found in ends.values()
    )


def drained(store_url: str) -> bool:
    return not rows(store_url, "SELECT id FROM outbox WHERE status = 'queued'")


def keep_evidence(store_url: str, path: Path, **more: object) -> None:
    """What the accounting reads (and `more`), in one JSON file, for a post-mortem once the store is gone."""
    tables = {
        "runs": "SELECT * FROM runs ORDER BY monitor, window_end",
        "events": "SELECT a.monitor, a.rule, e.* FROM alert_events e JOIN alerts a ON a.id = e.alert_id ORDER BY e.id",
        "outbox": "SELECT * FROM outbox ORDER BY id",
    }
    evidence = {name: rows(store_url, sql) for name, sql in tables.items()} | more
    path.write_text(json.dumps(evidence, indent=1, default=str))


@dataclass(frozen=True)
class WindowLedger:
    windows: int  # stored results up to the cutoff: one per window, all ok
    evaluated_again: int  # of which a kill or a worker's death cut a run short, and a later one finished it


def account_windows(store_url: str, cutoff: datetime, since: datetime | None = None) -> WindowLedger:
    """Every window up to the cutoff has one result, `ok`, with no gap (from `since` when given, else from the
    monitor's first); every later one is skipped."""
    everything = rows(store_url, "SELECT monitor, window_end, status, attempts FROM runs ORDER BY monitor, window_end")
    runs = [r for r in everything if as_utc(r["window_end"]) <= cutoff]
    if since is not None:
        runs = [r for r in runs if as_utc(r["window_end"]) >= since]
    assert runs and {r["status"] for r in runs} == {"ok"}, Counter(r["status"] for r in runs)
    assert {r["status"] for r in everything if as_utc(r["window_end"]) > cutoff} == {"skipped"}
    by_monitor: dict[str, list[datetime]] = defaultdict(list)
    for run in runs:
        by_monitor[run["monitor"]].append(as_utc(run["window_end"]))
    for monitor, ends in by_monitor.items():
        assert len(ends) == len(set(ends)), f"{monitor}: a window has two results"
        gaps = [(a, b) for a, b in itertools.pairwise(sorted(ends)) if b - a != PERIOD]
        assert not gaps, f"{monitor}: windows lost between {gaps[:3]}"
        if since is not None:
            assert min(ends) == since and max(ends) == cutoff, f"{monitor}: evaluated {min(ends)}..{max(ends)}"
    return WindowLedger(len(runs), sum(1 for r in runs if r["attempts"] > 1))


@dataclass(frozen=True)
class AlertLedger:
    transitions: int  # firing, and resolved from firing
    delivered: int  # of which a notice of that very transition reached the receiver
    carried: int  # of which a later notice of the same state did (a catch-up's message, or one folded into)
    superseded: int  # of which the state changed again before anything about the alert was sent
    notifications: int  # outbox rows, all delivered
    requests: int  # what the receiver got: at least one per notification


AlertId = tuple[str, str, str]  # monitor, rule, column ("" for none)


@dataclass(frozen=True)
class Notice:
    """What one request told the receiver about one alert."""

    alert: AlertId
    window_end: datetime
    state: str
    delivery_id: str
    at: float  # when it arrived (wall clock)
    reason: str = ""  # first_notification | reminder | resolved


def account_alerts(store_url: str, requests: list[dict], *, allow_late: bool = False) -> AlertLedger:
    """Every alert transition reached the receiver under one delivery id, every notification was delivered, the
    receiver got no delivery id the outbox does not hold, and nothing it was told contradicts the alert's history.

    With `allow_late`, a transition may reach the receiver as a later notice of the same state (a catch-up
    notifies only its first and last windows; a message still unsent takes the newer state of its alerts), or
    not at all when the state changed again before the receiver was told anything about the alert: what a
    catch-up or a fold promises. Without it, each transition's own notice must arrive.
    """
    transitions = rows(store_url, TRANSITIONS)
    history = rows(store_url, EVENTS)
    outbox = rows(store_url, "SELECT delivery_id, status FROM outbox")
    assert transitions, "the drill's alerts fired and resolved"
    assert {m["status"] for m in outbox} == {"delivered"}, Counter(m["status"] for m in outbox)
    notices = _notices(requests)
    assert {m["delivery_id"] for m in outbox} == {n.delivery_id for n in notices}, "the receiver got them all, only"
    told: dict[AlertId, list[Notice]] = defaultdict(list)
    for notice in notices:
        told[notice.alert].append(notice)
    states: dict[AlertId, list[tuple[datetime, str]]] = defaultdict(list)
    for event in history:
        states[_alert(event)].append((as_utc(event["window_end"]), event["to_state"]))
    for notice in notices:
        assert _state_at(states[notice.alert], notice.window_end) == notice.state, f"the receiver was misled: {notice}"

    by_alert: dict[AlertId, list[dict]] = defaultdict(list)
    for t in transitions:
        by_alert[_alert(t)].append(t)
    delivered = carried = superseded = 0
    for alert, changes in by_alert.items():
        changes.sort(key=lambda t: as_utc(t["window_end"]))
        for t, following in itertools.zip_longest(changes, changes[1:]):
            end, at = as_utc(t["window_end"]), as_utc(t["at"]).timestamp()
            # A reminder lists an alert again (every message lists the monitor's firing alerts): not its change.
            own = {
                n.delivery_id
                for n in told[alert]
                if n.window_end == end and n.state == t["to_state"] and n.reason != "reminder"
            }
            assert len(own) <= 1, f"one transition under two delivery ids: {t} {own}"
            if own:
                delivered += 1
                continue
            assert allow_late, f"transition never reached the receiver: {t}"
            until = as_utc(following["window_end"]) if following is not None else None
            later = [n for n in told[alert] if n.window_end > end and (until is None or n.window_end < until)]
            if any(n.state == t["to_state"] and n.at > at for n in later):
                carried += 1
                continue
            # Nothing about the alert was sent between this change and the next: the receiver was told the next.
            first_after = min((n.at for n in told[alert] if n.window_end >= end), default=None)
            assert following is not None and first_after is not None, f"transition never reached the receiver: {t}"
            assert first_after > as_utc(following["at"]).timestamp(), f"transition never reached the receiver: {t}"
            superseded += 1
    return AlertLedger(len(transitions), delivered, carried, superseded, len(outbox), len(requests))


def _alert(row: dict) -> AlertId:
    return row["monitor"], row["rule"], row["column_name"] or ""


def _notices(requests: list[dict]) -> list[Notice]:
    """Each alert of each delivery id, at its first arrival."""
    first: dict[str, dict] = {}
    for request in sorted(requests, key=lambda r: r["at"]):
        first.setdefault(request["body"]["delivery_id"], request)
    return [
        Notice(
            (body["monitor"], alert["rule"], alert["column"] or ""),
            as_utc(alert["window_end"]),
            alert["status"],
            body["delivery_id"],
            request["at"],
            alert.get("reason", ""),
        )
        for request in first.values()
        for body in [request["body"]]
        for alert in body["alerts"]
    ]


def _state_at(changes: list[tuple[datetime, str]], window_end: datetime) -> str | None:
    """The alert's state as of a window: that of its change at the latest window up to it."""
    before = [(end, index, to_state) for index, (end, to_state) in enumerate(changes) if end <= window_end]
    return max(before)[2] if before else None
