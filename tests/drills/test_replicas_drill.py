"""Replica drill, short version (bench/drills.py runs the long one): two daemons on one PostgreSQL store, a
receiver that takes 10 s to answer, 15 alerts firing at once, daemons and workers killed at random; every window
has one ok run, every alert transition reaches the receiver, no delivery id arrives twice but after a kill.

About 4 minutes on 2 idle cores; the daemons' backlog (and so the drill) grows with whatever else the machine
runs, hence the timeout."""

from __future__ import annotations

import pytest

from tests.drills.replicas import run_replica_drill

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.mark.timeout(600)
def test_two_daemons_killed_at_random_lose_and_double_nothing(tmp_path, pg_url):
    # Seed 2 strikes with each kind within the minute: a daemon SIGKILLed, workers killed, a daemon SIGTERMed.
    figures = run_replica_drill(tmp_path, store_url=pg_url, chaos_seconds=60, seed=2)
    print(figures.as_dict())
    assert figures.duplicates_otherwise == 0
    assert len(figures.events) >= 2 and figures.windows >= 15 * 6
