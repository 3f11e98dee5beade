"""Which windows of a monitor are due now (with catch-up), as far as the store says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import MonitorConfig
from monitor.store import Store
from monitor.store.dropped import dropped_reason, first_window_end, record_dropped, recorded_ends
from monitor.store.models import Run
from monitor.store.owners import owner_is_gone
from monitor.store.runs import STALE_CLAIM_AFTER
from monitor.times import format_duration
from monitor.windows import Schedule, Window, aged_out

MAX_CATCH_UP_WINDOWS = 100
# A window whose run failed is tried again (as a missed window) until it has failed this many times of its
# own. A run cut short because its process was killed does not count: a daemon restarted three times while
# catching up would otherwise give up the window it was on.
MAX_FAILURES = 3


def schedule_of(monitor: MonitorConfig) -> Schedule:
    return Schedule(monitor.schedule, monitor.every)


def settled_ends(
    session: Session, monitor: str, *, since: datetime, now: datetime, stale_after: timedelta = STALE_CLAIM_AFTER
) -> set[datetime]:
    """Window ends after `since` that need no run now: done, being done elsewhere, or failed too often."""
    rows = session.execute(
        select(Run.window_end, Run.status, Run.heartbeat_at, Run.failures, Run.owner).where(
            Run.monitor == monitor, Run.window_end > since
        )
    ).all()
    settled = set()
    for end, status, heartbeat, failures, owner in rows:
        alive = (
            status == "running" and heartbeat is not None and heartbeat > now - stale_after and not owner_is_gone(owner)
        )
        if status in ("ok", "skipped") or alive or (status == "failed" and failures >= MAX_FAILURES):
            settled.add(end)
    return settled


@dataclass(frozen=True)
class Dropped:
    """Windows this process found aged past catch_up unevaluated and recorded (others' finds excluded)."""

    windows: list[Window]
    scanned_to: datetime  # the horizon looked up to: the next look starts there


def drop_aged_windows(
    store: Store,
    monitor: MonitorConfig,
    now: datetime,
    *,
    catch_up: timedelta,
    scanned_to: datetime | None,
) -> Dropped:
    """Records the monitor's windows that aged past the catch-up horizon without a run since the last look
    (`scanned_to`; at start, one catch-up span back), never before its first recorded window.

    It looks with a reading session (SQLite's write lock is taken only when there is something to record: a
    tick of every monitor waiting on it behind the runs' writes would make windows late)."""
    schedule = schedule_of(monitor)
    horizon = schedule.last_tick(now) - catch_up
    with store.reading() as session:
        first = first_window_end(session, monitor.name)
        if first is None:
            return Dropped([], horizon)
        after = max(first - timedelta(microseconds=1), scanned_to if scanned_to is not None else horizon - catch_up)
        recorded = recorded_ends(session, monitor.name, after=after, until=horizon)
    aged = aged_out(schedule, monitor.window, now, catch_up=catch_up, after=after, recorded=recorded)
    if not aged:
        return Dropped([], horizon)
    with store.session() as session:
        mine = record_dropped(session, monitor.name, aged, reason=dropped_reason(format_duration(catch_up)), now=now)
    return Dropped(mine, horizon)
