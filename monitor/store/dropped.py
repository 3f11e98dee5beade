"""Windows that aged past `catch_up` unevaluated, as the store keeps them.

A dropped window gets a run row of status "dropped" with the reason: the row is the record (it shows in
`status`, the monitor page and the API like any run) and, unique on (monitor, window_end), it is counted once
however many replicas notice the drop. It holds no figures: none were computed. It settles nothing: a daemon
whose catch_up is lengthened to reach it, or `check --at`, claims it like a failed run's window.

The figure `windows.dropped` goes on the monitor's next evaluated run (the windows dropped since its previous
one, 0 when none), so a rule on it fires on the newest window and resolves when the workers keep up again; a
figure on the dropped window itself would sit behind newer windows in the alert history and never fire.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.store.models import Run
from monitor.windows import Window

DROPPED = "dropped"


def dropped_reason(catch_up: str) -> str:
    return f"aged past catch_up ({catch_up}) before a worker was free to evaluate it"


def recorded_ends(session: Session, monitor: str, *, after: datetime, until: datetime) -> set[datetime]:
    """Ends of the monitor's windows in (after, until] that have a run row of any status."""
    return set(
        session.scalars(
            select(Run.window_end).where(Run.monitor == monitor, Run.window_end > after, Run.window_end <= until)
        )
    )


def first_window_end(session: Session, monitor: str) -> datetime | None:
    return session.scalar(select(func.min(Run.window_end)).where(Run.monitor == monitor))


def record_dropped(
    session: Session, monitor: str, windows: list[Window], *, reason: str, now: datetime
) -> list[Window]:
    """Inserts a "dropped" row per window; returns those this call recorded (a window another
    process recorded, or began evaluating meanwhile, is left to it)."""
    recorded = []
    for window in windows:
        row = Run(
            monitor=monitor,
            window_start=window.start,
            window_end=window.end,
            status=DROPPED,
            reason=reason,
            attempts=0,
            started_at=now,
            finished_at=now,
        )
        try:
            with session.begin_nested():
                session.add(row)
            recorded.append(window)
        except IntegrityError:
            continue
    session.commit()
    return recorded


def dropped_since_previous_run(session: Session, monitor: str, *, run_id: int) -> int:
    """Windows recorded as dropped after the monitor's previous evaluated run (ok or failed) finished: the
    `windows.dropped` figure of run `run_id`. Each drop is counted by one run, the first to finish after it."""
    previous = session.scalar(
        select(func.max(Run.finished_at)).where(
            Run.monitor == monitor, Run.id != run_id, Run.status.in_(("ok", "failed"))
        )
    )
    query = select(func.count()).where(Run.monitor == monitor, Run.status == DROPPED)
    if previous is not None:
        query = query.where(Run.finished_at > previous)
    return int(session.scalar(query) or 0)


def dropped_in(session: Session, monitor: str, *, since: datetime) -> tuple[int, datetime | None]:
    """How many of the monitor's windows ending after `since` were dropped, and the newest one's end."""
    count, newest = session.execute(
        select(func.count(), func.max(Run.window_end)).where(
            Run.monitor == monitor,
            Run.status == DROPPED,
            Run.window_end > since,
        )
    ).one()
    return int(count or 0), newest
