"""Retention: runs, figures, reports and finished notifications older than report_retention go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.orm import Session

from alerts.models import AlertEvent, OutboxMessage, Silence
from monitor.store import Store
from monitor.store.models import MetricValue, Run
from monitor.times import parse_file_stamp


@dataclass(frozen=True)
class Purged:
    runs: int
    reports: int
    notifications: int


def housekeep(store: Store, reports_dir: Path, *, before: datetime) -> Purged:
    """What the daemon runs every so often: everything older than `before` goes."""
    with store.transaction() as session:
        return purge(session, reports_dir, before=before)


def purge(session: Session, reports_dir: Path, *, before: datetime) -> Purged:
    # Figures first: SQLite only cascades with foreign keys on, and this must not depend on it.
    session.execute(delete(MetricValue).where(MetricValue.window_end < before))
    runs = session.execute(delete(Run).where(Run.window_end < before, Run.status != "running")).rowcount
    notifications = session.execute(
        delete(OutboxMessage).where(OutboxMessage.status != "queued", OutboxMessage.finished_at < before)
    ).rowcount
    session.execute(delete(AlertEvent).where(AlertEvent.at < before))
    session.execute(delete(Silence).where(Silence.ends_at < before))
    return Purged(runs or 0, _purge_reports(reports_dir, before), notifications or 0)


def _purge_reports(reports_dir: Path, before: datetime) -> int:
    removed = 0
    if not reports_dir.is_dir():
        return 0
    for folder in reports_dir.iterdir():
        if not folder.is_dir() or folder.is_symlink():
            continue
        for file in folder.iterdir():
            if file.suffix not in (".html", ".json") or file.is_symlink():
                continue
            try:
                stamp = parse_file_stamp(file.stem)
            except ValueError:
                continue
            if stamp < before:
                file.unlink(missing_ok=True)
                removed += 1
    return removed
