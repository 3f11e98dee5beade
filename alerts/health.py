"""Channel health: a channel that refused a notification outright is "broken" until it accepts one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts.models import ChannelHealth
from monitor import redaction


def _row(session: Session, channel: str) -> ChannelHealth:
    row = session.get(ChannelHealth, channel, with_for_update=True)
    if row is not None:
        return row
    try:  # two delivery workers may meet a channel for the first time at once: one row wins
        with session.begin_nested():
            session.add(ChannelHealth(channel=channel, broken=False))
    except IntegrityError:
        pass
    row = session.get(ChannelHealth, channel, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


def mark_broken(session: Session, channel: str, reason: str, now: datetime) -> bool:
    """Returns True when the channel was healthy until now (worth a loud log line)."""
    row = _row(session, channel)
    newly = not row.broken
    row.broken, row.reason = True, redaction.redact(reason)
    if newly:
        row.broken_since = now
    session.commit()
    return newly


def mark_working(session: Session, channel: str, now: datetime) -> None:
    row = _row(session, channel)
    row.broken, row.reason, row.broken_since, row.last_success_at = False, None, None, now
    session.commit()


def broken_channels(session: Session) -> list[ChannelHealth]:
    return list(
        session.scalars(select(ChannelHealth).where(ChannelHealth.broken.is_(True)).order_by(ChannelHealth.channel))
    )
