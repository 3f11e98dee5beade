"""Reading back what was stored: runs and figures over time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.figures import MetricRow
from monitor.store.models import MetricValue, Run


@dataclass(frozen=True)
class Figure:
    window_start: datetime
    window_end: datetime
    metric: str
    column: str
    value: float | None
    method: str | None


def figures(
    session: Session,
    monitor: str,
    *,
    since: datetime | None = None,
    metric: str | None = None,
    column: str | None = None,
) -> list[Figure]:
    statement = (
        select(
            Run.window_start,
            Run.window_end,
            MetricValue.metric,
            MetricValue.column_name,
            MetricValue.value,
            MetricValue.method,
        )
        .join(Run, Run.id == MetricValue.run_id)
        .where(MetricValue.monitor == monitor)
        .order_by(MetricValue.window_end, MetricValue.metric, MetricValue.column_name)
    )
    if since is not None:
        statement = statement.where(MetricValue.window_end > since)
    if metric is not None:
        statement = statement.where(MetricValue.metric == metric)
    if column is not None:
        statement = statement.where(MetricValue.column_name == column)
    return [Figure(*row) for row in session.execute(statement)]


def recent_runs(session: Session, monitor: str, limit: int = 10) -> list[Run]:
    return list(session.scalars(select(Run).where(Run.monitor == monitor).order_by(Run.window_end.desc()).limit(limit)))


def last_run_with_status(session: Session, monitor: str, status: str) -> Run | None:
    return session.scalars(
        select(Run).where(Run.monitor == monitor, Run.status == status).order_by(Run.window_end.desc()).limit(1)
    ).first()


def status_counts(session: Session, monitor: str, since: datetime) -> dict[str, int]:
    rows = session.execute(
        select(Run.status, func.count()).where(Run.monitor == monitor, Run.window_end > since).group_by(Run.status)
    )
    return {status: count for status, count in rows}


def run_metrics(session: Session, run_id: int) -> list[MetricRow]:
    rows = session.execute(
        select(MetricValue.metric, MetricValue.column_name, MetricValue.value, MetricValue.method).where(
            MetricValue.run_id == run_id
        )
    )
    return [MetricRow(*row) for row in rows]
