"""The durable outbox: notifications as rows, queued in the run's own transaction.

A row is `queued` until it is `delivered` or `dead` (with the reason); nothing is
dropped without a trace. Its delivery id is fixed when it is queued, so every
retry, and a resend after a crash, carries the same id and receivers can drop
duplicates. Rows for one monitor and channel go out in order.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from alerts.models import OutboxMessage
from alerts.notices import Notification, fold
from alerts.retry import Answer, next_attempt_at
from monitor import redaction


def enqueue(
    session: Session, *, channel: str, notification: Notification, now: datetime, give_up_after: timedelta
) -> OutboxMessage:
    """Queues a notification, folding it into an unsent one for the same monitor and channel."""
    waiting = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.monitor == notification.monitor,
            OutboxMessage.channel == channel,
            OutboxMessage.status == "queued",
            OutboxMessage.attempts == 0,
            OutboxMessage.claimed_by.is_(None),
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
        .with_for_update()
    ).first()
    if waiting is not None:
        merged = fold(Notification.from_dict(json.loads(waiting.payload)), notification)
        # Conditional: a worker that claimed the row since we read it keeps it as it was.
        folded = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == waiting.id, OutboxMessage.attempts == 0, OutboxMessage.claimed_by.is_(None))
            .values(payload=json.dumps(merged.to_dict()))
        )
        if folded.rowcount == 1:
            session.refresh(waiting)
            return waiting
    message = OutboxMessage(
        delivery_id=uuid.uuid4().hex,
        channel=channel,
        monitor=notification.monitor,
        status="queued",
        payload=json.dumps(notification.to_dict()),
        attempts=0,
        created_at=now,
        next_attempt_at=now,
        give_up_at=now + give_up_after,
    )
    session.add(message)
    session.flush()
    return message


@dataclass(frozen=True)
class Claimed:
    id: int
    delivery_id: str
    channel: str
    monitor: str
    notification: Notification
    attempts: int
    give_up_at: datetime


def claim_next(
    session: Session, *, owner: str, now: datetime, lease: timedelta, channels: Collection[str]
) -> Claimed | None:
    """Takes one row to send now: the oldest queued row of a (monitor, channel) whose turn it is, for a channel
    this process knows. One row at a time, claimed just before it is sent, so a lease never lapses while the
    row waits behind others (another process would send it too) and rows of channels this process does not
    have are left for one that does."""
    if not channels:
        return None
    queued = session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.monitor,
            OutboxMessage.channel,
            OutboxMessage.next_attempt_at,
            OutboxMessage.claimed_until,
        )
        .where(OutboxMessage.status == "queued", OutboxMessage.channel.in_(list(channels)))
        .order_by(OutboxMessage.id)
    ).all()
    heads: dict[tuple[str, str], tuple[int, datetime, datetime | None]] = {}
    for row_id, monitor, channel, due, claimed_until in queued:
        heads.setdefault((monitor, channel), (row_id, due, claimed_until))
    ready = sorted(
        (due, row_id)
        for row_id, due, claimed_until in heads.values()
        if due <= now and (claimed_until is None or claimed_until <= now)
    )
    for _, row_id in ready:
        taken = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == row_id,
                OutboxMessage.status == "queued",
                (OutboxMessage.claimed_until.is_(None)) | (OutboxMessage.claimed_until <= now),
            )
            .values(claimed_by=owner, claimed_until=now + lease)
        )
        if taken.rowcount != 1:
            continue  # another worker took it first
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        claimed = Claimed(
            row.id,
            row.delivery_id,
            row.channel,
            row.monitor,
            Notification.from_dict(json.loads(row.payload)),
            row.attempts,
            row.give_up_at,
        )
        session.commit()
        return claimed
    session.commit()
    return None


def expire_unknown_channels(session: Session, *, channels: Collection[str], now: datetime) -> int:
    """Rows for a channel no longer configured are not sent by anyone; past their give-up time they are marked
    dead with that reason (never silently dropped, never killed early by a process that just lacks it)."""
    rows = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.status == "queued",
            OutboxMessage.give_up_at <= now,
            OutboxMessage.channel.not_in(list(channels)) if channels else sa.true(),
        )
    ).all()
    for row in rows:
        row.status, row.finished_at, row.claimed_by, row.claimed_until = "dead", now, None, None
        row.last_error = f'channel "{row.channel}" is not configured; gave up at {row.give_up_at.isoformat()}'
    session.commit()
    return len(rows)


def record_answer(
    session: Session, *, message_id: int, owner: str, answer: Answer, now: datetime, rng: random.Random
) -> str:
    """Writes down how an attempt went; returns the row's new status."""
    row = session.get(OutboxMessage, message_id, with_for_update=True)
    if row is None or row.claimed_by != owner or row.status != "queued":
        session.rollback()
        return "lost"
    row.attempts += 1
    row.last_attempt_at = now
    row.claimed_by = None
    row.claimed_until = None
    if answer.kind == "delivered":
        row.status, row.finished_at, row.last_error = "delivered", now, None
    elif answer.kind == "permanent":
        row.status, row.finished_at = "dead", now
        row.last_error = redaction.redact(f"refused by the receiver, not retried: {answer.detail}")
    else:
        retry_at = next_attempt_at(
            row.attempts, now=now, retry_after=answer.retry_after, give_up_at=row.give_up_at, rng=rng
        )
        if retry_at is None:
            row.status, row.finished_at = "dead", now
            row.last_error = redaction.redact(
                f"gave up after {row.attempts} attempts since {row.created_at.isoformat()}: {answer.detail}"
            )
        else:
            row.next_attempt_at = retry_at
            row.last_error = redaction.redact(answer.detail)
    status = row.status
    session.commit()
    return status


@dataclass(frozen=True)
class Backlog:
    queued: int
    dead: int
    delivered: int
    oldest_queued: datetime | None


def backlog(session: Session, channel: str | None = None) -> Backlog:
    statement = select(OutboxMessage.status, func.count(), func.min(OutboxMessage.created_at)).group_by(
        OutboxMessage.status
    )
    if channel is not None:
        statement = statement.where(OutboxMessage.channel == channel)
    rows = {status: (count, oldest) for status, count, oldest in session.execute(statement)}
    return Backlog(
        rows.get("queued", (0, None))[0],
        rows.get("dead", (0, None))[0],
        rows.get("delivered", (0, None))[0],
        rows.get("queued", (0, None))[1],
    )


def recent_dead(session: Session, limit: int = 5) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == "dead")
            .order_by(OutboxMessage.finished_at.desc())
            .limit(limit)
        )
    )
