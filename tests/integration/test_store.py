"""The store on SQLite and PostgreSQL: schema only through Alembic, claims, outcomes, UTC."""

from __future__ import annotations

import io
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from monitor.figures import MetricRow
from monitor.store import Store
from monitor.store.migrate import StoreSchemaError, current_revision, head_revision, upgrade
from monitor.store.models import MetricValue, Run
from monitor.store.runs import ClaimLost, RunOutcome, claim_window, finish_run, heartbeat
from monitor.store.schema import metadata
from monitor.windows import Window

NOW = datetime(2026, 11, 22, 6, tzinfo=UTC)
WINDOW = Window(NOW - timedelta(hours=1), NOW)


@pytest.fixture
def store(database_url):
    store = Store(database_url)
    store.ensure_schema()
    yield store
    store.dispose()


def test_migrations_create_exactly_the_models(store):
    assert current_revision(store.engine) == head_revision()
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    assert differences == []


def test_upgrade_is_idempotent_and_an_old_schema_is_refused(database_url):
    store = Store(database_url)
    assert upgrade(store.engine) == (None, head_revision())
    assert upgrade(store.engine) == (head_revision(), head_revision())
    with store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff'"))
    with pytest.raises(StoreSchemaError, match="newer than this DriftHound knows"):
        store.ensure_schema()
    store.dispose()


def test_an_upgrade_cut_off_midway_leaves_the_store_as_it_was(database_url):
    """As a daemon killed while it creates a new store: the next start must find it new, not at 0001."""
    from alembic import command

    from monitor.store.migrate import alembic_config

    class Killed(Exception):
        pass

    def cut_after_the_second_step(*, step, **_: object) -> None:
        if step.up_revision_id == "0002":
            raise Killed

    store = Store(database_url)
    config = alembic_config(store.engine)
    config.attributes["on_version_apply"] = [cut_after_the_second_step]
    with pytest.raises(Killed):
        command.upgrade(config, "head")
    assert current_revision(store.engine) is None
    assert set(metadata.tables) & set(sa.inspect(store.engine).get_table_names()) == set()
    store.ensure_schema()  # found new, so created
    assert current_revision(store.engine) == head_revision()
    store.dispose()


def test_the_store_may_share_a_database_but_unversioned_drifthound_tables_are_refused(database_url):
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE someone_elses (x INTEGER)"))
    store = Store(database_url)
    store.ensure_schema()
    assert current_revision(store.engine) == head_revision()
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE alembic_version"))
    engine.dispose()
    with pytest.raises(StoreSchemaError, match=r"has DriftHound.s tables .* but no schema version"):
        store.ensure_schema()
    store.dispose()


def test_a_window_is_claimed_once(store):
    with store.session() as session:
        first = claim_window(session, monitor="m", window=WINDOW, owner="a", now=NOW)
    with store.session() as session:
        second = claim_window(session, monitor="m", window=WINDOW, owner="b", now=NOW + timedelta(seconds=5))
    assert first.held and not second.held
    assert second.existing_status == "running" and second.owner == "a"


def test_a_claim_whose_owner_stopped_heart_beating_is_taken_over(store):
    with store.session() as session:
        first = claim_window(session, monitor="m", window=WINDOW, owner="a", now=NOW)
    later = NOW + timedelta(minutes=10)
    with store.session() as session:
        taken = claim_window(session, monitor="m", window=WINDOW, owner="b", now=later)
    assert taken.held and taken.replaced and taken.run_id == first.run_id
    with store.session() as session:
        assert not heartbeat(session, run_id=first.run_id, owner="a", now=later)
    with pytest.raises(ClaimLost), store.transaction() as session:
        finish_run(session, run_id=first.run_id, owner="a", outcome=RunOutcome("ok"), metrics=[], now=later)
    with store.transaction() as session:
        finish_run(session, run_id=taken.run_id, owner="b", outcome=RunOutcome("ok"), metrics=[], now=later)
    with store.session() as session:
        run = session.get(Run, first.run_id)
        assert (run.status, run.owner, run.attempts) == ("ok", "b", 2)


def test_a_finished_window_is_not_evaluated_again_unless_forced(store):
    with store.session() as session:
        claim = claim_window(session, monitor="m", window=WINDOW, owner="a", now=NOW)
    with store.transaction() as session:
        finish_run(
            session,
            run_id=claim.run_id,
            owner="a",
            outcome=RunOutcome("ok", rows=10),
            metrics=[MetricRow("rows", "", 10.0), MetricRow("drift.score", "age", 0.5, "ks")],
            now=NOW,
        )
    with store.session() as session:
        again = claim_window(session, monitor="m", window=WINDOW, owner="b", now=NOW)
    assert not again.held and again.existing_status == "ok"
    with store.session() as session:
        forced = claim_window(session, monitor="m", window=WINDOW, owner="b", now=NOW, force=True)
    assert forced.held and forced.replaced
    with store.transaction() as session:
        finish_run(
            session,
            run_id=forced.run_id,
            owner="b",
            outcome=RunOutcome("ok", rows=12),
            metrics=[MetricRow("rows", "", 12.0)],
            now=NOW,
        )
    with store.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Run)) == 1
        values = session.execute(sa.select(MetricValue.metric, MetricValue.value)).all()
    assert values == [("rows", 12.0)], "the forced run replaced the old figures, it did not add to them"


def test_times_come_back_aware_utc_and_non_finite_values_as_null(store):
    with store.session() as session:
        claim = claim_window(session, monitor="m", window=WINDOW, owner="a", now=NOW)
    with store.transaction() as session:
        finish_run(
            session,
            run_id=claim.run_id,
            owner="a",
            outcome=RunOutcome("ok"),
            metrics=[MetricRow("r2", "", float("nan")), MetricRow("mape", "", float("inf"))],
            now=NOW,
        )
    with store.session() as session:
        run = session.get(Run, claim.run_id)
        assert run.window_end == NOW and run.window_end.tzinfo == UTC
        values = dict(session.execute(sa.select(MetricValue.metric, MetricValue.value)).all())
    assert values == {"r2": None, "mape": None}


def test_naive_times_are_refused(store):
    with pytest.raises(Exception, match="naive datetime"), store.session() as session:
        session.add(
            Run(
                monitor="m",
                window_start=datetime(2026, 1, 1),  # noqa: DTZ001
                window_end=datetime(2026, 1, 2),  # noqa: DTZ001
                status="ok",
                attempts=1,
                started_at=NOW,
            )
        )
        session.flush()


def test_an_older_store_is_refused_until_upgraded_and_keeps_its_data(database_url):
    from alembic import command

    from monitor.store.migrate import alembic_config

    store = Store(database_url)
    command.upgrade(alembic_config(store.engine), "0002")
    with store.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO alerts (monitor, rule, column_name, state, severity, metric, op, breaches, clears, "
                "notified_firing, updated_at) VALUES ('m', 'r', '', 'firing', 'critical', 'accuracy', 'below', 2, 0, "
                "true, CURRENT_TIMESTAMP)"
            )
        )
    with pytest.raises(StoreSchemaError, match=r"the store's schema is at 0002, this version needs .* db upgrade"):
        store.ensure_schema()
    assert upgrade(store.engine) == ("0002", head_revision())
    store.ensure_schema()
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT state, op FROM alerts")).one() == ("firing", "below")
    store.dispose()


def test_claims_cut_by_killed_processes_never_give_a_window_up_but_its_own_failures_do(store):
    """Found by the crash drill: a daemon killed three times while catching up gave up the window it was on."""
    from monitor.service.scheduling import MAX_FAILURES, settled_ends
    from monitor.store.runs import expire_abandoned

    later = NOW
    for kill in range(MAX_FAILURES + 2):  # each claim's owner is a process that no longer exists
        later += timedelta(minutes=5)
        with store.session() as session:
            assert claim_window(session, monitor="m", window=WINDOW, owner=f"stale-{kill}", now=later).held
        with store.session() as session:
            assert expire_abandoned(session, now=later + timedelta(minutes=4)) == 1
    with store.session() as session:
        assert WINDOW.end not in settled_ends(session, "m", since=WINDOW.start, now=later), "still owed"
    for failure in range(MAX_FAILURES):
        later += timedelta(minutes=5)
        with store.session() as session:
            claim = claim_window(session, monitor="m", window=WINDOW, owner="a", now=later)
        with store.transaction() as session:
            finish_run(
                session, run_id=claim.run_id, owner="a", outcome=RunOutcome("failed", "boom"), metrics=[], now=later
            )
        with store.session() as session:
            given_up = WINDOW.end in settled_ends(session, "m", since=WINDOW.start, now=later)
        assert given_up == (failure == MAX_FAILURES - 1), f"after {failure + 1} failures of its own"


def test_status_and_metrics_do_not_wait_for_a_writer_holding_the_sqlite_write_lock(tmp_path):
    from monitor.commands.metrics import metrics
    from monitor.commands.status import status

    path = tmp_path / "store.db"
    config = tmp_path / "config.toml"
    config.write_text(f"""
[service]
store_url = "sqlite:///{path}"
reports_dir = "{tmp_path / "reports"}"
[sources.main]
url = "sqlite://"
[[monitors]]
name = "m"
source = "main"
table = "p"
timestamp_column = "ts"
every = "1h"
window = "1h"
reference = {{ last = "1d" }}
""")
    store = Store(f"sqlite:///{path}")
    store.ensure_schema()
    with store.session() as session:
        claim = claim_window(session, monitor="m", window=WINDOW, owner="a", now=NOW)
    with store.transaction() as session:
        finish_run(
            session,
            run_id=claim.run_id,
            owner="a",
            outcome=RunOutcome("ok"),
            metrics=[MetricRow("drift.share", "", 0.25)],
            now=NOW,
        )
    store.dispose()
    writer = sqlite3.connect(path, timeout=0, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a daemon finishing a run; WAL lets readers go on beside it
    try:
        started = time.monotonic()
        assert status(str(config), out=io.StringIO()) == 0
        out = io.StringIO()
        assert metrics(str(config), "m", output="json", out=out) == 0
        assert '"drift.share"' in out.getvalue()
        assert time.monotonic() - started < 2
    finally:
        writer.rollback()
        writer.close()


def test_a_reading_session_cannot_write(store):
    with store.reading() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Run)) == 0
        with pytest.raises(sa.exc.OperationalError if store.dialect == "sqlite" else sa.exc.InternalError):
            session.execute(sa.delete(Run))
    store.ping()


def test_newest_figures_come_in_whole_windows_newest_first_and_page_back_to_since(store):
    from monitor.store.history import figures, newest_figures

    for hours in range(4):
        end = NOW - timedelta(hours=hours)
        with store.session() as session:
            claim = claim_window(session, monitor="m", window=Window(end - timedelta(hours=1), end), owner="a", now=NOW)
        with store.transaction() as session:
            finish_run(
                session,
                run_id=claim.run_id,
                owner="a",
                outcome=RunOutcome("ok"),
                metrics=[MetricRow("drift.share", "", 0.1), MetricRow("drift.score", "b", 0.2)],
                now=NOW,
            )
    since = NOW - timedelta(hours=3)  # windows ending after it: the oldest is not asked for
    pages, until = [], None
    with store.session() as session:
        while True:
            page = newest_figures(session, "m", limit=3, since=since, until=until)
            pages.append(page.rows)
            if page.older is None:
                break
            until = page.older
        everything = figures(session, "m", since=since)
    assert [{r.window_end for r in rows} for rows in pages] == [{NOW - timedelta(hours=h)} for h in range(3)]
    assert [len(rows) for rows in pages] == [2, 2, 2]
    assert [r for rows in reversed(pages) for r in rows] == everything
