"""Several processes on one store: each notification sent once however slow the receiver, only the owner fails
its own run, a run that finished is never overwritten, and a process never kills another's notifications."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from alerts import outbox
from alerts.channels import build_channels
from alerts.delivery import Deliverer
from alerts.models import OutboxMessage
from alerts.notices import AlertNotice, Notification
from monitor.store import Store
from monitor.store.models import Run
from monitor.store.owners import new_owner_id, pid_space, worker_owner_id
from monitor.store.runs import claim_window, expire_abandoned, fail_dead_workers, fail_unfinished
from monitor.windows import Window
from tests.alert_world import SECRET, config_for
from tests.receivers import Receiver

T = datetime(2026, 11, 22, 6, tzinfo=UTC)


def notification(monitor: str) -> Notification:
    alert = AlertNotice(
        rule="dataset drift",
        severity="critical",
        metric="drift.share",
        column=None,
        value=0.5,
        threshold=0.3,
        op="above",
        status="firing",
        reason="first_notification",
        since="2026-11-22T05:00:00Z",
        window_end="2026-11-22T06:00:00Z",
    )
    return Notification(monitor, "2026-11-22T05:00:00Z", "2026-11-22T06:00:00Z", (alert,))


@pytest.fixture
def slow_hook():
    server = HTTPServer(threaded=True)
    server.start()
    receiver = Receiver(server, "/hook", secret=SECRET)
    yield receiver
    server.clear()
    server.stop()


def test_two_replicas_and_a_slow_receiver_send_each_notification_once(pg_url, slow_hook):
    """15 monitors fire at once; two delivery workers; the receiver takes 1.5 s to answer each request. Rows
    claimed 20 at a time under one lease lapsed while they waited and the other replica sent them too."""
    slow_hook.delay = 1.5
    store = Store(pg_url)
    store.ensure_schema()
    config = config_for(pg_url, hook=slow_hook.url)
    now = datetime.now(UTC)
    with store.transaction() as session:
        for index in range(15):
            outbox.enqueue(
                session, channel="hook", notification=notification(f"m{index}"), now=now, give_up_after=timedelta(1)
            )
    deliverers = [
        Deliverer(store, build_channels(config.channels), owner=owner) for owner in (new_owner_id(), new_owner_id())
    ]
    assert deliverers[0].lease < timedelta(seconds=15 * 1.5), "the drill needs a queue longer than one lease"
    threads = [threading.Thread(target=d.drain, args=(60,)) for d in deliverers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    ids = slow_hook.delivery_ids
    assert len(ids) == 15 and len(set(ids)) == 15, f"{len(ids)} requests for {len(set(ids))} delivery ids"
    with store.session() as session:
        statuses = session.scalars(sa.select(OutboxMessage.status)).all()
    assert statuses == ["delivered"] * 15
    for deliverer in deliverers:
        deliverer.close()
    store.dispose()


def test_a_process_without_a_channel_leaves_its_notifications_for_one_that_has_it(database_url):
    """`check -c other.toml`, or a reload that dropped a channel, marked that channel's notifications dead."""
    store = Store(database_url)
    store.ensure_schema()
    now = datetime.now(UTC)
    with store.transaction() as session:
        outbox.enqueue(session, channel="pager", notification=notification("m"), now=now, give_up_after=timedelta(1))
    other = config_for(database_url)  # has "hook" and "slack", not "pager"
    deliverer = Deliverer(store, build_channels(other.channels), owner=new_owner_id())
    assert deliverer.run_once() == 0
    with store.session() as session:
        [row] = session.scalars(sa.select(OutboxMessage)).all()
    assert (row.status, row.attempts, row.last_error) == ("queued", 0, None)
    # Past its give-up time with nobody configured to send it, it is dead, with the reason.
    with store.session() as session:
        assert outbox.expire_unknown_channels(session, channels=other.channels.keys(), now=now) == 0
        assert outbox.expire_unknown_channels(session, channels=other.channels.keys(), now=now + timedelta(2)) == 1
    with store.session() as session:
        [row] = session.scalars(sa.select(OutboxMessage)).all()
    assert row.status == "dead" and 'channel "pager" is not configured' in row.last_error
    deliverer.close()
    store.dispose()


def _claim(store: Store, owner: str, end: datetime, now: datetime | None = None) -> int:
    with store.session() as session:
        claim = claim_window(
            session, monitor="m", window=Window(end - timedelta(hours=1), end), owner=owner, now=now or T
        )
    assert claim.run_id is not None
    return claim.run_id


def _run(store: Store, run_id: int) -> Run:
    with store.session() as session:
        return session.get(Run, run_id)


def test_only_the_owner_fails_its_own_unrecorded_run(database_url):
    store = Store(database_url)
    store.ensure_schema()
    ours, theirs = new_owner_id(), new_owner_id()
    mine = _claim(store, worker_owner_id(ours, 111), T)
    other = _claim(store, worker_owner_id(theirs, 222), T + timedelta(hours=1))
    with store.session() as session:
        assert fail_unfinished(session, monitor="m", window_end=T, owner=ours, reason="x", now=T) == 1
        assert (
            fail_unfinished(session, monitor="m", window_end=T + timedelta(hours=1), owner=ours, reason="x", now=T) == 0
        )
    assert _run(store, mine).status == "failed" and _run(store, mine).failures == 0
    assert _run(store, other).status == "running"
    store.dispose()


def test_a_dead_worker_fails_only_its_own_run(database_url):
    """A worker killed mid-run: its run is failed and counted; a live neighbour's run, and another replica's run
    of the same kind, are left to finish."""
    store = Store(database_url)
    store.ensure_schema()
    dead = subprocess.Popen(["true"])
    dead.wait()
    ours = new_owner_id()
    elsewhere = f"{socket.gethostname()}:999999:ffffff:{pid_space()}"  # another replica's daemon id
    killed = _claim(store, worker_owner_id(ours, dead.pid), T)
    neighbour = _claim(store, worker_owner_id(ours, os.getpid()), T + timedelta(hours=1))
    other_replica = _claim(store, worker_owner_id(elsewhere, dead.pid), T + timedelta(hours=2))
    with store.session() as session:
        failed = fail_dead_workers(session, owner=ours, now=T)
    assert [(f.monitor, f.window_end, f.worker_pid) for f in failed] == [("m", T, dead.pid)]
    run = _run(store, killed)
    assert (run.status, run.failures) == ("failed", 1) and f"pid {dead.pid}" in run.reason
    assert _run(store, neighbour).status == "running"
    assert _run(store, other_replica).status == "running"
    store.dispose()


def test_expiring_abandoned_runs_never_overwrites_a_run_that_finished_meanwhile(pg_url):
    """expire_abandoned reads the running rows, then writes: a run finished between the two stays finished."""
    store = Store(pg_url)
    store.ensure_schema()
    run_id = _claim(store, "gone-host:1:aaaaaa", T)  # stale by the time expire_abandoned looks
    finished = threading.Event()

    def finish_in_between(conn, cursor, statement, parameters, context, executemany):
        if not finished.is_set() and statement.lstrip().upper().startswith("SELECT") and "runs" in statement:
            finished.set()
            with sa.create_engine(pg_url).begin() as other:
                other.execute(sa.text("UPDATE runs SET status = 'ok', reason = NULL WHERE id = :id"), {"id": run_id})

    sa.event.listen(store.engine, "after_cursor_execute", finish_in_between)
    with store.session() as session:
        assert expire_abandoned(session, now=T + timedelta(minutes=10)) == 0
    sa.event.remove(store.engine, "after_cursor_execute", finish_in_between)
    assert finished.is_set()
    assert _run(store, run_id).status == "ok"
    store.dispose()
