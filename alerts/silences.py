"""Silences: an alert keeps its state but notifies nothing while silenced."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.models import Silence


def silence(
    session: Session,
    *,
    monitor: str,
    rule: str | None,
    until: datetime,
    reason: str,
    now: datetime,
    created_by: str | None = None,
) -> Silence:
    row = Silence(monitor=monitor, rule=rule, reason=reason, created_at=now, ends_at=until, created_by=created_by)
    session.add(row)
    session.flush()
    return row


def unsilence(session: Session, *, monitor: str, rule: str | None, now: datetime) -> int:
    """Ends the active silences of a monitor (of one rule, when given); returns how many."""
    rows = active(session, now=now, monitor=monitor)
    ended = 0
    for row in rows:
        if rule is None or row.rule == rule:
            row.cancelled_at = now
            ended += 1
    return ended


def end(session: Session, silence_id: int, *, now: datetime) -> Silence | None:
    """Ends one silence now; None if there is no such silence or it has already ended."""
    row = session.get(Silence, silence_id)
    if row is None or row.cancelled_at is not None or row.ends_at <= now:
        return None
    row.cancelled_at = now
    return row


def active(session: Session, *, now: datetime, monitor: str | None = None) -> list[Silence]:
    statement = select(Silence).where(Silence.ends_at > now, Silence.cancelled_at.is_(None))
    if monitor is not None:
        statement = statement.where(Silence.monitor == monitor)
    return list(session.scalars(statement.order_by(Silence.ends_at)))


def is_silenced(silences: list[Silence], *, monitor: str, rule: str, now: datetime) -> bool:
    return any(
        s.monitor == monitor and (s.rule is None or s.rule == rule) and s.ends_at > now and s.cancelled_at is None
        for s in silences
    )
