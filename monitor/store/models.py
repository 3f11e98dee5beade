"""The store's tables. Created and changed only by the Alembic migrations in migrations/."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from monitor.store.types import BigId, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# "dropped": aged past catch_up before a worker got to it (store/dropped.py); whoever reaches it may evaluate it.
RUN_STATUSES = ("running", "ok", "skipped", "failed", "dropped")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Run(Base):
    """One evaluation of one monitor's window; also the claim on that window."""

    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("monitor", "window_end"),
        Index(None, "monitor", "status", "window_end"),
        Index(None, "monitor", "labels_due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    monitor: Mapped[str] = mapped_column(String(100))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    rows: Mapped[int | None] = mapped_column(Integer)
    rows_total: Mapped[int | None] = mapped_column(Integer)
    reference_rows: Mapped[int | None] = mapped_column(Integer)
    reference_rows_total: Mapped[int | None] = mapped_column(Integer)
    sample_seed: Mapped[int | None] = mapped_column(BigId)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    report_path: Mapped[str | None] = mapped_column(String(500))
    report_error: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    # Failures of the window's own (an error, its worker dying under it); not claims cut by a killed process.
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Late labels: model quality is due at window end + delay (then computed, at labels_at).
    labels_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    labels_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MetricValue(Base):
    """One figure of one run: (run, metric, column, segment) -> value. Column '' is dataset level; segment ''
    the whole window, else "<column>=<value>"."""

    __tablename__ = "metric_values"
    __table_args__ = (
        UniqueConstraint("run_id", "metric", "column_name", "segment"),
        Index(None, "monitor", "metric", "column_name", "segment", "window_end"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    monitor: Mapped[str] = mapped_column(String(100))
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    metric: Mapped[str] = mapped_column(String(64))
    column_name: Mapped[str] = mapped_column(String(300), default="")
    segment: Mapped[str] = mapped_column(String(300), default="", server_default="")
    value: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str | None] = mapped_column(String(100))
