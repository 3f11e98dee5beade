"""When each monitor runs: APScheduler triggers, and which windows are due (with catch-up)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import MonitorConfig
from monitor.store.models import Run
from monitor.store.runs import STALE_CLAIM_AFTER, owner_is_gone
from monitor.windows import EPOCH, Schedule

MAX_CATCH_UP_WINDOWS = 100
# A window whose run failed is tried again (as a missed window) until it has failed this many times of its
# own. A run cut short because its process was killed does not count: a daemon restarted three times while
# catching up would otherwise give up the window it was on.
MAX_FAILURES = 3


def schedule_of(monitor: MonitorConfig) -> Schedule:
    return Schedule(monitor.schedule, monitor.every)


def trigger_for(monitor: MonitorConfig) -> tuple[BaseTrigger, int]:
    """The trigger, and a misfire grace as long as one period.

    APScheduler skips a job that starts more than misfire_grace_time late (default 1 s): after a
    busy minute or a suspended VM that would silently drop a window. A late run still evaluates
    the right window, so any lateness within a period is fine.
    """
    if monitor.every is not None:
        trigger: BaseTrigger = IntervalTrigger(seconds=monitor.every.total_seconds(), start_date=EPOCH, timezone=UTC)
        period = monitor.every
    else:
        trigger = CronTrigger.from_crontab(monitor.schedule, timezone=UTC)
        schedule = schedule_of(monitor)
        tick = schedule.next_tick(datetime.now(UTC))
        period = schedule.next_tick(tick) - tick
    return trigger, max(30, int(period.total_seconds()))


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
