"""Retention: runs, figures, reports and finished notifications older than report_retention go."""

from __future__ import annotations

import mmap
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
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
    scripts: int = 0  # folders of _static/ no remaining report uses


def housekeep(store: Store, reports_dir: Path, *, before: datetime) -> Purged:
    """The rows go in one transaction; report files only once it committed.

    A rollback then never leaves runs whose reports are gone, and walking reports_dir does
    not hold SQLite's write lock. Which files go depends on their names alone, so deciding
    it after the commit decides the same.
    """
    with store.transaction() as session:
        runs, notifications = purge_rows(session, before=before)
    reports = _purge_reports(reports_dir, before)
    return Purged(runs, reports, notifications, _prune_scripts(reports_dir, before))


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
        # _static holds the scripts reports share, whatever their age (see _prune_scripts).
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


def _prune_scripts(reports_dir: Path, before: datetime) -> int:
    """Removes the folders of _static/ (one per Evidently version) that no remaining report refers to.

    Only folders not used since `before`: ensure_scripts touches its folder each time a report is about to be
    written, so the one a run is writing with right now is never a candidate. A candidate goes once every
    report was read without finding its name, which is only done while old folders remain: the usual pass
    (one folder, in use) reads nothing.
    """
    static = reports_dir / STATIC_DIR
    if not static.is_dir() or static.is_symlink():
        return 0
    unused = {
        folder.name: folder
        for folder in static.iterdir()
        if folder.is_dir() and not folder.is_symlink() and _modified(folder) < before
    }
    for report in _reports(reports_dir):
        if not unused:
            return 0
        for name in _named(report, list(unused)):
            del unused[name]
    for folder in unused.values():
        shutil.rmtree(folder, ignore_errors=True)
    return len(unused)


def _modified(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _reports(reports_dir: Path) -> Iterator[Path]:
    for folder in reports_dir.iterdir():
        if folder.is_dir() and not folder.is_symlink() and folder.name != STATIC_DIR:
            yield from (file for file in folder.glob("*.html") if not file.is_symlink())


def _named(report: Path, names: list[str]) -> list[str]:
    """Which of the _static/ folders `names` the report refers to (read as bytes: a report is a few MB)."""
    try:
        with open(report, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as page:
            return [name for name in names if page.find(f"{STATIC_DIR}/{name}/".encode()) >= 0]
    except (OSError, ValueError):  # gone meanwhile, or empty (mmap refuses empty files)
        return []
