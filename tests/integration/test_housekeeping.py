"""Retention: what is older than report_retention goes; nothing newer, nothing queued, no file before the commit."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from alerts.models import OutboxMessage
from monitor.figures import MetricRow
from monitor.service.housekeeping import housekeep
from monitor.store import Store
from monitor.store.models import MetricValue, Run
from monitor.store.runs import RunOutcome, claim_window, finish_run
from monitor.windows import Window

NOW = datetime(2026, 11, 22, tzinfo=UTC)
BEFORE = NOW - timedelta(days=30)


@pytest.fixture
def world(database_url, tmp_path):
    """Runs with figures and reports 40, 31 and 5 days old, and notifications finished long ago, lately or not."""
    store = Store(database_url)
    store.ensure_schema()
    reports = tmp_path / "reports"
    (reports / "m").mkdir(parents=True)
    for days in (40, 31, 5):
        end = NOW - timedelta(days=days)
        with store.session() as session:
            claim = claim_window(session, monitor="m", window=Window(end - timedelta(hours=1), end), owner="t", now=NOW)
        with store.transaction() as session:
            finish_run(
                session,
                run_id=claim.run_id,
                owner="t",
                outcome=RunOutcome("ok"),
                now=NOW,
                metrics=[MetricRow("rows", "", 1.0)],
            )
        for suffix in (".html", ".json"):
            (reports / "m" / f"{end:%Y%m%dT%H%M%SZ}{suffix}").write_text("x")
    (reports / "m" / "notes.txt").write_text("not ours")
    with store.transaction() as session:
        for status, finished in (
            ("delivered", NOW - timedelta(days=40)),
            ("dead", NOW - timedelta(days=40)),
            ("queued", None),
            ("delivered", NOW - timedelta(days=1)),
        ):
            session.add(
                OutboxMessage(
                    delivery_id=f"{status}-{finished}",
                    channel="c",
                    monitor="m",
                    status=status,
                    payload="{}",
                    attempts=1,
                    created_at=NOW - timedelta(days=41),
                    next_attempt_at=NOW,
                    give_up_at=NOW,
                    finished_at=finished,
                )
            )
    yield store, reports
    store.dispose()


def test_old_runs_figures_reports_and_finished_notifications_go(world):
    store, reports = world
    purged = housekeep(store, reports, before=BEFORE)
    assert (purged.runs, purged.reports, purged.notifications) == (2, 4, 2)
    with store.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Run)) == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(MetricValue)) == 1
        left = sorted(session.scalars(sa.select(OutboxMessage.status)))
    assert left == ["delivered", "queued"], "a queued notification is never purged"
    assert sorted(p.name for p in (reports / "m").iterdir()) == [
        "20261117T000000Z.html",
        "20261117T000000Z.json",
        "notes.txt",
    ]


def test_a_purge_that_rolls_back_leaves_every_report(world):
    """Reports go only once their runs' rows are gone for good: a rollback must not leave runs without reports."""
    store, reports = world

    def fail(_connection: sa.Connection) -> None:
        raise sa.exc.OperationalError("COMMIT", None, Exception("the store went away"))

    sa.event.listen(store.engine, "commit", fail)
    with pytest.raises(sa.exc.OperationalError):
        housekeep(store, reports, before=BEFORE)
    sa.event.remove(store.engine, "commit", fail)
    with store.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Run)) == 3
    assert len(list((reports / "m").iterdir())) == 7


def test_scripts_a_remaining_report_uses_stay_however_old_and_unused_ones_go(world):
    """_static/ keeps what the reports left refer to, and a folder used lately; never a non-folder in it."""
    store, reports = world
    static = reports / "_static"
    for name in ("evidently-0.6.0-old", "evidently-0.7.0-kept", "evidently-0.8.0-new"):
        (static / name).mkdir(parents=True)
        (static / name / "index.js").write_text("x")
    ancient = (BEFORE - timedelta(days=10)).timestamp()
    for name in ("evidently-0.6.0-old", "evidently-0.7.0-kept"):
        os.utime(static / name, (ancient, ancient))
    # The 40-day-old report (purged) used 0.6.0; the 5-day-old one (kept) still uses 0.7.0.
    (reports / "m" / "20261013T000000Z.html").write_text('<script src="../_static/evidently-0.6.0-old/index.js">')
    (reports / "m" / "20261117T000000Z.html").write_text('<script src="../_static/evidently-0.7.0-kept/index.js">')
    (static / "20200101T000000Z.html").write_text("named like an old report")
    purged = housekeep(store, reports, before=BEFORE)
    assert purged.scripts == 1
    assert sorted(p.name for p in static.iterdir()) == [
        "20200101T000000Z.html",
        "evidently-0.7.0-kept",
        "evidently-0.8.0-new",  # unused by any report, but touched lately: a run may be writing with it
    ]
    assert (static / "evidently-0.7.0-kept" / "index.js").is_file()
