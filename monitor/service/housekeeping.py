"""Retention: runs, figures, reports and finished notifications older than report_retention go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.orm import Session

from alerts.models import AlertEvent, OutboxMessage, Silence
from monitor.report_scripts import STATIC_DIR
from monitor.store import Store
from monitor.store.models import MetricValue, Run
from monitor.times import parse_file_stamp


@dataclass(frozen=True)
class Purged:
    runs: int
    reports: int
    notifications: int


def housekeep(store: Store, reports_dir: Path, *, before: datetime) -> Purged:
    """The rows go in one transaction; report files only once it committed.

    A rollback then never leaves runs whose reports are gone, and walking reports_dir does
    not hold SQLite's write lock. Which files go depends on their names alone, so deciding
    it after the commit decides the same.
    """
    with store.transaction() as session:
        runs, notifications = purge_rows(session, before=before)
    return Purged(runs, _purge_reports(reports_dir, before), notifications)


def purge_rows(session: Session, *, before: datetime) -> tuple[int, int]:
    """Deletes what is older than `before`; returns (runs, notifications) deleted."""
    # Figures first: SQLite only cascades with foreign keys on, and this must not depend on it.
    session.execute(delete(MetricValue).where(MetricValue.window_end < before))
    runs = session.execute(delete(Run).where(Run.window_end < before, Run.status != "running")).rowcount
    notifications = session.execute(
        delete(OutboxMessage).where(OutboxMessage.status != "queued", OutboxMessage.finished_at < before)
    ).rowcount
    session.execute(delete(AlertEvent).where(AlertEvent.at < before))
    session.execute(delete(Silence).where(Silence.ends_at < before))
    return runs or 0, notifications or 0


def _purge_reports(reports_dir: Path, before: datetime) -> int:
    removed = 0
    if not reports_dir.is_dir():
        return 0
    for folder in reports_dir.iterdir():
        # _static holds the scripts every report shares, whatever its age.
        if not folder.is_dir() or folder.is_symlink() or folder.name == STATIC_DIR:
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
