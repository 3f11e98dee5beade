"""The alerting tables: alert states, what each channel was told, history, outbox, silences, channel health."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from monitor.store.models import Base
from monitor.store.types import BigId, UTCDateTime


class Alert(Base):
    """One alert: (monitor, rule, column, segment), with its current state."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("monitor", "rule", "column_name", "segment"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    monitor: Mapped[str] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(String(200))
    column_name: Mapped[str] = mapped_column(String(300), default="")
    segment: Mapped[str] = mapped_column(String(300), default="", server_default="")
    state: Mapped[str] = mapped_column(String(16))  # inactive | pending | firing | resolved
    severity: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    op: Mapped[str] = mapped_column(String(32))
    breaches: Mapped[int] = mapped_column(Integer, default=0)
    clears: Mapped[int] = mapped_column(Integer, default=0)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_window_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notified_firing: Mapped[bool] = mapped_column(Boolean, default=False)
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AlertChannel(Base):
    """What one channel was last told of an alert's current firing episode."""

    __tablename__ = "alert_channels"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(100), primary_key=True)
    notified_firing: Mapped[bool] = mapped_column(Boolean, default=False)
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AlertEvent(Base):
    """The history of an alert: every change of state."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)


class OutboxMessage(Base):
    """A notification for one channel: queued -> delivered, or dead with the reason. Never deleted silently."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(None, "status", "next_attempt_at"),
        Index(None, "monitor", "channel", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(100))
    monitor: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))  # queued | delivered | dead
    payload: Mapped[str] = mapped_column(Text)  # the channel-neutral notification, JSON
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    give_up_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Silence(Base):
    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    monitor: Mapped[str] = mapped_column(String(100), index=True)
    rule: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The name of the HTTP token that set it; None when set from the CLI (a shell with the store's credentials).
    created_by: Mapped[str | None] = mapped_column(String(100))


class ChannelHealth(Base):
    """Whether a channel answered with a permanent error (e.g. Slack's channel_is_archived)."""

    __tablename__ = "channel_health"

    channel: Mapped[str] = mapped_column(String(100), primary_key=True)
    broken: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    broken_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
