"""Which windows of a monitor are due now (with catch-up), as far as the store says."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import MonitorConfig
from monitor.store.models import Run
from monitor.store.owners import owner_is_gone
from monitor.store.runs import STALE_CLAIM_AFTER
from monitor.windows import Schedule

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
