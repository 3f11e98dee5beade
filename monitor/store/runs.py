"""Claiming a window, heart-beating, and recording how the run ended.

A run row is unique on (monitor, window_end), so the row itself is the claim: a
second process (or a restarted one) that tries the same window finds it. A claim
whose owner stopped heart-beating is taken over with a conditional UPDATE, which
only one contender can win.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.figures import MetricRow
from monitor.store.models import MetricValue, Run
from monitor.store.owners import OwnerId, owner_is_gone
from monitor.windows import Window

# A claim not heart-beaten for this long belongs to a process that died.
STALE_CLAIM_AFTER = timedelta(minutes=3)
HEARTBEAT_EVERY = timedelta(seconds=30)


@dataclass(frozen=True)
class Claim:
    """The outcome of trying to claim a window: `run_id` is set only when we hold it."""

    run_id: int | None
    existing_status: str | None = None
    existing_reason: str | None = None  # why the existing run failed or was skipped
    replaced: bool = False
    owner: str | None = None

    @property
    def held(self) -> bool:
        return self.run_id is not None


def claim_window(
    session: Session,
    *,
    monitor: str,
    window: Window,
    owner: str,
    now: datetime,
    retry_failed: bool = True,
    force: bool = False,
    stale_after: timedelta = STALE_CLAIM_AFTER,
) -> Claim:
    """Claims (monitor, window); commits at once so other processes see the claim."""
    run = Run(
        monitor=monitor,
        window_start=window.start,
        window_end=window.end,
        status="running",
        owner=owner,
        heartbeat_at=now,
        attempts=1,
        started_at=now,
    )
    try:
        with session.begin_nested():
            session.add(run)
        session.commit()
        return Claim(run.id)
    except IntegrityError:
        session.rollback()
    existing = session.scalars(select(Run).where(Run.monitor == monitor, Run.window_end == window.end)).one()
    if not may_take_over(
        existing.status,
        existing.heartbeat_at,
        now=now,
        force=force,
        retry_failed=retry_failed,
        stale_after=stale_after,
        owner_gone=existing.status == "running" and owner_is_gone(existing.owner),
    ):
        session.rollback()
        return Claim(
            None,
            existing.status,
            existing_reason=existing.reason,
            owner=existing.owner if existing.status == "running" else None,
        )
    previous = existing.status  # read before the update: the object is refreshed after the commit
    taken = session.execute(
        update(Run)
        .where(Run.id == existing.id, Run.attempts == existing.attempts, Run.status == existing.status)
        .values(
            status="running",
            owner=owner,
            heartbeat_at=now,
            started_at=now,
            finished_at=None,
            attempts=existing.attempts + 1,
            reason=None,
            window_start=window.start,
        )
    )
    if taken.rowcount != 1:
        session.rollback()
        return Claim(None, "running")
    session.commit()
    return Claim(existing.id, previous, replaced=True)


def may_take_over(
    status: str,
    heartbeat_at: datetime | None,
    *,
    now: datetime,
    force: bool,
    retry_failed: bool,
    stale_after: timedelta,
    owner_gone: bool = False,
) -> bool:
    """Whether an existing run row may be claimed again.

    A live claim is never taken (even with force: two evaluations of one window would race);
    one whose owner is known to be gone, or stopped heart-beating, is; a finished run only
    with force; a failed one when retrying failures.
    """
    if status == "running":
        return owner_gone or heartbeat_at is None or heartbeat_at <= now - stale_after
    if status == "dropped":  # never evaluated: a daemon whose catch_up now reaches it, or `check --at`, may
        return True
    if status == "failed":
        return retry_failed or force
    return force


def heartbeat(session: Session, *, run_id: int, owner: str, now: datetime) -> bool:
    """Extends our claim; False when it was taken over (we should stop)."""
    result = session.execute(
        update(Run).where(Run.id == run_id, Run.owner == owner, Run.status == "running").values(heartbeat_at=now)
    )
    session.commit()
    return result.rowcount == 1


class ClaimLost(Exception):
    """Another process took over the window while we worked on it."""


@dataclass(frozen=True)
class RunOutcome:
    status: str  # ok | skipped | failed
    reason: str | None = None
    rows: int | None = None
    rows_total: int | None = None
    reference_rows: int | None = None
    reference_rows_total: int | None = None
    sample_seed: int | None = None
    duration_seconds: float | None = None
    report_path: str | None = None
    report_error: str | None = None
    labels_due_at: datetime | None = None  # model quality still to come (late labels)
    labels_at: datetime | None = None  # model quality computed, with the labels then arrived


def finish_run(
    session: Session, *, run_id: int, owner: str, outcome: RunOutcome, metrics: Iterable[MetricRow], now: datetime
) -> Run:
    """Records the outcome and replaces the run's metrics, in the caller's transaction.

    Raises ClaimLost when our claim is no longer ours; the caller rolls back.
    """
    run = session.scalars(select(Run).where(Run.id == run_id).with_for_update()).one()
    if run.owner != owner or run.status != "running":
        raise ClaimLost(f"run {run_id} of {run.monitor} is now held by {run.owner} ({run.status})")
    run.status = outcome.status
    run.reason = outcome.reason
    if outcome.status == "failed":
        run.failures += 1
    run.rows = outcome.rows
    run.rows_total = outcome.rows_total
    run.reference_rows = outcome.reference_rows
    run.reference_rows_total = outcome.reference_rows_total
    run.sample_seed = outcome.sample_seed
    run.duration_seconds = outcome.duration_seconds
    run.report_path = outcome.report_path
    run.report_error = outcome.report_error
    run.labels_due_at = outcome.labels_due_at
    run.labels_at = outcome.labels_at
    run.finished_at = now
    run.heartbeat_at = now
    session.execute(delete(MetricValue).where(MetricValue.run_id == run_id))
    rows = [
        {
            "run_id": run_id,
            "monitor": run.monitor,
            "window_end": run.window_end,
            "metric": row.metric,
            "column_name": row.column,
            "segment": row.segment,
            "value": _finite(row.value),
            "method": row.method,
        }
        for row in metrics
    ]
    if rows:  # one bulk insert: a segmented run stores thousands of figures
        session.execute(insert(MetricValue), rows)
    session.flush()
    return run


def _finite(value: float | None) -> float | None:
    """NaN and infinities are stored as NULL: "undefined for this window"."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def consecutive_failures_before(session: Session, *, monitor: str, window_end: datetime) -> int:
    """How many failed runs directly precede `window_end` (skipped runs neither count nor reset)."""
    rows = session.execute(
        select(Run.status)
        .where(Run.monitor == monitor, Run.window_end < window_end, Run.status.in_(("ok", "failed")))
        .order_by(Run.window_end.desc())
        .limit(1000)
    ).scalars()
    count = 0
    for status in rows:
        if status != "failed":
            break
        count += 1
    return count


def release_claims(session: Session, *, owner: str, now: datetime) -> int:
    """Lets go of the windows this daemon and its workers were evaluating (at shutdown): anyone may take them
    at once."""
    released = session.execute(
        update(Run)
        .where(_held_by(owner), Run.status == "running")
        .values(heartbeat_at=None, reason=f"abandoned at {now.isoformat()} by {owner} (shutting down)")
    )
    session.commit()
    return released.rowcount or 0


def _held_by(daemon_owner: str) -> sa.ColumnElement[bool]:
    return (Run.owner == daemon_owner) | Run.owner.startswith(daemon_owner + "/", autoescape=True)


def fail_unfinished(
    session: Session, *, monitor: str, window_end: datetime, owner: str, reason: str, now: datetime
) -> int:
    """Marks failed a run of ours whose result could not be stored (the store went away under it), so the
    window is retried at once instead of after the claim's timeout. Only our own claim: a window another
    process took over since is its business. Not counted against the window: it was not its fault."""
    result = session.execute(
        update(Run)
        .where(Run.monitor == monitor, Run.window_end == window_end, Run.status == "running", _held_by(owner))
        .values(status="failed", finished_at=now, heartbeat_at=None, reason=reason)
    )
    session.commit()
    return result.rowcount or 0


@dataclass(frozen=True)
class DeadRun:
    monitor: str
    window_end: datetime
    worker_pid: int | None


def fail_dead_workers(session: Session, *, owner: str, now: datetime) -> list[DeadRun]:
    """Fails the runs of this daemon whose worker process died under them (killed, out of memory).

    It counts against the window (a window that keeps killing its workers is given up). Runs in workers that
    still live are left to finish, and so is every other process's run.
    """
    rows = session.execute(
        select(Run.id, Run.monitor, Run.window_end, Run.owner, Run.attempts).where(
            Run.status == "running", _held_by(owner)
        )
    ).all()
    failed = []
    for run_id, monitor, window_end, run_owner, attempts in rows:
        if not owner_is_gone(run_owner):
            continue
        worker = OwnerId.parse(run_owner).worker_pid
        done = session.execute(
            update(Run)
            .where(Run.id == run_id, Run.owner == run_owner, Run.attempts == attempts, Run.status == "running")
            .values(
                status="failed",
                finished_at=now,
                heartbeat_at=None,
                failures=Run.failures + 1,
                reason=f"the worker process evaluating this window (pid {worker}) died: killed, or out of memory; "
                "retried",
            )
        )
        if done.rowcount == 1:
            failed.append(DeadRun(monitor, window_end, worker))
    session.commit()
    return failed


def expire_abandoned(session: Session, *, now: datetime, stale_after: timedelta = STALE_CLAIM_AFTER) -> int:
    """Marks runs whose owner died mid-run as failed, so no window stays "running" for ever.

    A window still within the catch-up horizon is then evaluated again like any failed one. Each update is
    conditional on the row being as read: a run that finished, or was taken over, in between stays as it is.
    """
    rows = session.execute(
        select(Run.id, Run.owner, Run.heartbeat_at, Run.attempts).where(Run.status == "running")
    ).all()
    expired = 0
    for run_id, owner, heartbeat_at, attempts in rows:
        stale = heartbeat_at is None or heartbeat_at <= now - stale_after
        if not (stale or owner_is_gone(owner)):
            continue
        same_beat = Run.heartbeat_at.is_(None) if heartbeat_at is None else Run.heartbeat_at == heartbeat_at
        done = session.execute(
            update(Run)
            .where(
                Run.id == run_id,
                Run.status == "running",
                Run.attempts == attempts,
                Run.owner == owner if owner is not None else Run.owner.is_(None),
                same_beat,
            )
            .values(status="failed", finished_at=now, reason=f"abandoned: {owner} stopped before finishing this run")
        )
        expired += done.rowcount or 0
    session.commit()
    return expired


def labels_due(session: Session, *, monitor: str, now: datetime, limit: int = 100) -> list[Window]:
    """Windows evaluated before their labels were due, whose labels are due now (oldest first)."""
    rows = session.execute(
        select(Run.window_start, Run.window_end)
        .where(
            Run.monitor == monitor,
            Run.status == "ok",
            Run.labels_due_at.is_not(None),
            Run.labels_due_at <= now,
            Run.labels_at.is_(None),
        )
        .order_by(Run.window_end)
        .limit(limit)
    ).all()
    return [Window(start, end) for start, end in rows]
