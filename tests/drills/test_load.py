"""Load and soak, short version (bench/drills.py runs 10 minutes on both stores): 30 monitors on a 15-second
schedule (2 runs a second; a run now also estimates quality, judges multivariate drift and draws Evidently's
quality widgets, and 50 monitors, 3.3 runs a second, is past what 2 cores sustain: see bench/RELIABILITY.md).

Here on SQLite only, the default store and the one whose single writer is most pressed by 30 monitors: the
PostgreSQL store's behaviour under concurrency is drilled by the replica, crash and outage drills, and this
test runs alone (it measures latency), so each store here costs the suite its full minute."""

from __future__ import annotations

import pytest

from tests.drills.load import run_load_drill

# It measures latency, so it runs alone, after the parallel part of the suite (Makefile).
pytestmark = [pytest.mark.e2e, pytest.mark.serial]


def test_thirty_monitors_miss_and_double_nothing_and_stay_responsive(tmp_path):
    figures = run_load_drill(tmp_path, store_url=f"sqlite:///{tmp_path / 'store.db'}", monitors=30, seconds=30)
    assert figures["windows_expected"] >= 30
    assert figures["windows_missed"] == 0 and figures["windows_doubled"] == 0, figures
    assert figures["healthz_max_ms"] < 100 and figures["readyz_max_ms"] < 100, figures
    assert figures["runs_not_ok"] == 0, figures
