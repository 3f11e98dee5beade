"""Seeded sampling, and when an existing run may be claimed again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from monitor.sources import sampling
from monitor.store.runs import may_take_over

NOW = datetime(2026, 11, 22, 6, tzinfo=UTC)


def test_seeds_are_stable_and_differ_by_window():
    a = sampling.seed_for("m", NOW, NOW + timedelta(hours=1))
    assert a == sampling.seed_for("m", NOW, NOW + timedelta(hours=1))
    assert a != sampling.seed_for("m", NOW + timedelta(hours=1), NOW + timedelta(hours=2))
    assert a != sampling.seed_for("other", NOW, NOW + timedelta(hours=1))


def test_the_oversampled_fraction_nearly_always_yields_enough_rows():
    fraction = sampling.oversampled_fraction(200_000, 10_000_000)
    rng = np.random.default_rng(0)
    draws = rng.binomial(10_000_000, fraction, size=10_000)
    assert (draws >= 200_000).mean() >= 0.999
    assert fraction < 0.0205
    assert sampling.oversampled_fraction(10, 5) == 1.0


def test_trim_keeps_exactly_the_limit_in_order_and_is_reproducible():
    frame = pd.DataFrame({"x": range(1000)})
    a = sampling.trim(frame, 100, seed=7)
    assert len(a) == 100 and a["x"].is_monotonic_increasing
    assert a["x"].tolist() == sampling.trim(frame, 100, seed=7)["x"].tolist()
    assert a["x"].tolist() != sampling.trim(frame, 100, seed=8)["x"].tolist()


def test_the_sqlite_rowid_sampler_is_uniform_across_the_table():
    """Every tenth of the rowids keeps about the same share: no clusters, no gaps."""
    import sqlite3

    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (v)")
    connection.executemany("INSERT INTO t VALUES (?)", ((i,) for i in range(100_000)))
    condition = sampling.sqlite_rowid_condition(0.05, seed=12345)
    kept = [row[0] for row in connection.execute(f"SELECT rowid FROM t WHERE {condition}")]
    assert 4500 < len(kept) < 5500
    counts = np.histogram(kept, bins=10, range=(1, 100_001))[0]
    assert counts.min() > 400 and counts.max() < 600
    other = {
        row[0]
        for row in connection.execute(f"SELECT rowid FROM t WHERE {sampling.sqlite_rowid_condition(0.05, seed=54321)}")
    }
    assert len(set(kept) & other) < 0.2 * len(kept)


@pytest.mark.parametrize(
    ("status", "heartbeat", "force", "retry", "expected"),
    [
        ("running", NOW - timedelta(seconds=10), False, True, False),  # alive: never
        ("running", NOW - timedelta(seconds=10), True, True, False),  # not even forced
        ("running", NOW - timedelta(minutes=10), False, True, True),  # its owner died
        ("running", None, False, True, True),
        ("ok", NOW, False, True, False),
        ("ok", NOW, True, True, True),
        ("skipped", NOW, False, True, False),
        ("failed", NOW, False, True, True),
        ("failed", NOW, False, False, False),
        ("failed", NOW, True, False, True),
    ],
)
def test_who_may_take_an_existing_run(status, heartbeat, force, retry, expected):
    assert (
        may_take_over(status, heartbeat, now=NOW, force=force, retry_failed=retry, stale_after=timedelta(minutes=3))
        is expected
    )


def test_a_claim_of_a_dead_process_on_this_host_is_taken_at_once():
    import os
    import socket
    import subprocess

    from monitor.store.owners import owner_is_gone, pid_space, worker_owner_id

    host, space = socket.gethostname(), pid_space()
    dead = subprocess.Popen(["true"])
    dead.wait()
    assert owner_is_gone(f"{host}:{dead.pid}:abc123:{space}")
    assert not owner_is_gone(f"{host}:{os.getpid()}:abc123:{space}"), "we are alive"
    assert not owner_is_gone(f"elsewhere:{dead.pid}:abc123:{space}"), "another host: only the heartbeat can tell"
    assert may_take_over(
        "running", NOW, now=NOW, force=False, retry_failed=True, stale_after=timedelta(minutes=3), owner_gone=True
    )
    # A worker of a live daemon that died: its run is gone, though the daemon lives.
    daemon = f"{host}:{os.getpid()}:abc123:{space}"
    assert owner_is_gone(worker_owner_id(daemon, dead.pid))
    assert not owner_is_gone(worker_owner_id(daemon, os.getpid()))


def test_a_pid_says_nothing_to_another_pid_namespace_sharing_the_hostname():
    """Two containers with one hostname each have their own PID 1: a PID of another namespace, or an owner id
    written before namespaces were recorded, is left to the heartbeat timeout."""
    import socket
    import subprocess

    from monitor.store.owners import owner_is_gone

    host = socket.gethostname()
    dead = subprocess.Popen(["true"])
    dead.wait()
    assert not owner_is_gone(f"{host}:{dead.pid}:abc123:0badc0de")
    assert not owner_is_gone(f"{host}:{dead.pid}:abc123"), "an older owner id: no namespace to trust"


def test_a_zombie_worker_is_gone():
    """A worker killed under a busy pool stays a zombie until its parent reaps it: it runs nothing."""
    import signal
    import subprocess
    import time

    from monitor.store.owners import pid_alive

    child = subprocess.Popen(["sleep", "30"])
    child.send_signal(signal.SIGKILL)
    time.sleep(0.3)  # not reaped: no wait() yet
    try:
        assert not pid_alive(child.pid)
    finally:
        child.wait()


@pytest.mark.parametrize(
    ("status", "reason", "said"),
    [
        ("ok", "model quality when the labels are due", "ok"),
        ("skipped", "12 rows in the window, fewer than min_rows = 200", "skipped: 12 rows in the window"),
        ("failed", "reading postgresql://app:s3cret-of-claims@db/x failed", "failed: reading postgresql://app:***@db"),
        ("failed", None, "failed"),
    ],
)
def test_a_window_evaluated_before_is_told_with_how_it_went(status, reason, said):
    from monitor import redaction
    from monitor.runner import how_it_went

    redaction.register("s3cret-of-claims")
    assert how_it_went(status, reason).startswith(said)
