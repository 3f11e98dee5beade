"""Accounting after a drill on the flipping log: every window evaluated once with one `ok` result and no gap,
every alert transition delivered, the outbox drained. Shared by the crash and replica drills."""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

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
    folded: int  # of which a newer state of the alert was folded into its unsent message, which reached it
    notifications: int  # outbox rows, all delivered
    requests: int  # what the receiver got: at least one per notification


AlertKey = tuple[str, str, str, datetime, str]  # monitor, rule, column ("" for none), window end, state


def account_alerts(store_url: str, requests: list[dict], *, allow_folds: bool = False) -> AlertLedger:
    """Every alert transition reached the receiver under one delivery id, every notification was delivered, and
    the receiver got no delivery id the outbox does not hold.

    With `allow_folds`, a transition whose message was still unsent when a newer state of the alert came (the
    outbox folds them, so a burst sends one message) counts as delivered through that message: it must have
    been queued before the transition, reached the receiver after it, and carry the alert at least as new.
    """
    transitions = rows(store_url, TRANSITIONS)
    outbox = rows(store_url, "SELECT delivery_id, monitor, status, created_at, payload FROM outbox")
    assert transitions, "the drill's alerts fired and resolved"
    assert {m["status"] for m in outbox} == {"delivered"}, Counter(m["status"] for m in outbox)
    received: dict[AlertKey, set[str]] = defaultdict(set)
    first_arrival: dict[str, float] = {}
    for request in requests:
        body = request["body"]
        delivery_id = body["delivery_id"]
        first_arrival[delivery_id] = min(first_arrival.get(delivery_id, request["at"]), request["at"])
        for alert in body["alerts"]:
            key = (body["monitor"], alert["rule"], alert["column"] or "", as_utc(alert["window_end"]), alert["status"])
            received[key].add(delivery_id)
    delivered = folded = 0
    for t in transitions:
        key = (t["monitor"], t["rule"], t["column_name"] or "", as_utc(t["window_end"]), t["to_state"])
        ids = received.get(key)
        if ids:
            assert len(ids) == 1, f"one transition under two delivery ids: {t} {ids}"
            delivered += 1
            continue
        assert allow_folds and _folded(t, outbox, first_arrival), f"transition never reached the receiver: {t}"
        folded += 1
    assert {m["delivery_id"] for m in outbox} == set(first_arrival), "the receiver got every notification, only"
    return AlertLedger(len(transitions), delivered, folded, len(outbox), len(requests))


def _folded(transition: dict, outbox: list[dict], first_arrival: dict[str, float]) -> bool:
    """Whether the transition went into a message queued no later than it and first sent after it, which holds
    a newer state of the same alert."""
    at = as_utc(transition["at"])
    for message in outbox:
        if message["monitor"] != transition["monitor"] or as_utc(message["created_at"]) > at:
            continue
        if first_arrival.get(message["delivery_id"], 0.0) <= at.timestamp():
            continue
        payload = json.loads(message["payload"])
        if any(
            a["rule"] == transition["rule"]
            and (a["column"] or "") == (transition["column_name"] or "")
            and as_utc(a["window_end"]) >= as_utc(transition["window_end"])
            for a in payload["alerts"]
        ):
            return True
    return False
