"""Reading back what was stored: runs and figures over time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
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
    segment: str = ""


@dataclass(frozen=True)
class FigurePage:
    rows: list[Figure]  # oldest first
    older: datetime | None  # when rows were left out: they all end before this (the next page's `until`)


def figures(
    session: Session,
    monitor: str,
    *,
    since: datetime | None = None,
    metric: str | None = None,
    column: str | None = None,
    segment: str | None = None,
) -> list[Figure]:
    statement = _figures(monitor, since=since, metric=metric, column=column, segment=segment)
    statement = statement.order_by(
        MetricValue.window_end, MetricValue.segment, MetricValue.metric, MetricValue.column_name
    )
    return [Figure(*row) for row in session.execute(statement)]


def stored_names(session: Session, monitor: str, field: str) -> list[str]:
    """The distinct metrics, columns or segments (`field`) stored for a monitor."""
    attribute = {"metric": MetricValue.metric, "column": MetricValue.column_name, "segment": MetricValue.segment}[field]
    return list(session.scalars(select(attribute).where(MetricValue.monitor == monitor).distinct()))


def newest_figures(
    session: Session,
    monitor: str,
    *,
    limit: int,
    since: datetime | None = None,
    until: datetime | None = None,
    metric: str | None = None,
    column: str | None = None,
    segment: str | None = None,
) -> FigurePage:
    """At most `limit` of the newest figures ending before `until`, in whole windows.

    A page never holds part of a window unless its newest window alone has more figures than `limit`.
    """
    statement = _figures(monitor, since=since, metric=metric, column=column, segment=segment)
    if until is not None:
        statement = statement.where(MetricValue.window_end < until)
    statement = statement.order_by(
        MetricValue.window_end.desc(),
        MetricValue.segment.desc(),
        MetricValue.metric.desc(),
        MetricValue.column_name.desc(),
    ).limit(limit + 1)
    rows = [Figure(*row) for row in session.execute(statement)]
    if len(rows) <= limit:
        return FigurePage(rows[::-1], None)
    first_left_out = rows[limit].window_end
    kept = [r for r in rows[:limit] if r.window_end > first_left_out] or rows[:limit]
    return FigurePage(kept[::-1], kept[-1].window_end)


def _figures(
    monitor: str, *, since: datetime | None, metric: str | None, column: str | None, segment: str | None = None
) -> Select[Any]:
    statement = (
        select(
            Run.window_start,
            Run.window_end,
            MetricValue.metric,
            MetricValue.column_name,
            MetricValue.value,
            MetricValue.method,
            MetricValue.segment,
        )
        .join(Run, Run.id == MetricValue.run_id)
        .where(MetricValue.monitor == monitor)
    )
    if since is not None:
        statement = statement.where(MetricValue.window_end > since)
    if metric is not None:
        statement = statement.where(MetricValue.metric == metric)
    if column is not None:
        statement = statement.where(MetricValue.column_name == column)
    if segment is not None:
        statement = statement.where(MetricValue.segment == segment)
    return statement


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
        select(
            MetricValue.metric, MetricValue.column_name, MetricValue.value, MetricValue.method, MetricValue.segment
        ).where(MetricValue.run_id == run_id)
    )
    return [MetricRow(*row) for row in rows]


def score_history(
    session: Session, monitor: str, *, score: str, threshold: str, before: datetime, limit: int = 48
) -> list[tuple[datetime, float | None, float | None]]:
    """(window end, score, threshold) of the `limit` windows before `before`, oldest first."""
    rows = session.execute(
        select(MetricValue.window_end, MetricValue.metric, MetricValue.value)
        .where(
            MetricValue.monitor == monitor,
            MetricValue.column_name == "",
            MetricValue.metric.in_((score, threshold)),
            MetricValue.window_end < before,
        )
        .order_by(MetricValue.window_end.desc())
        .limit(2 * limit)
    ).all()
    by_end: dict[datetime, dict[str, float | None]] = {}
    for end, metric, value in rows:
        by_end.setdefault(end, {})[metric] = value
    return [(end, values.get(score), values.get(threshold)) for end, values in sorted(by_end.items())][-limit:]
