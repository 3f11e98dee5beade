"""Load and soak, short version (bench/drills.py runs 10 minutes): 30 monitors on a 15-second schedule (2 runs a
second; a run now also estimates quality, judges multivariate drift and draws Evidently's quality widgets, and
50 monitors, 3.3 runs a second, is past what 2 cores sustain: see bench/RELIABILITY.md)."""

from __future__ import annotations

import pytest

from tests.drills.load import run_load_drill

# It measures latency, so it runs alone, after the parallel part of the suite (Makefile).
pytestmark = [pytest.mark.e2e, pytest.mark.serial]


def test_thirty_monitors_miss_and_double_nothing_and_stay_responsive(tmp_path, database_url):
    figures = run_load_drill(tmp_path, store_url=database_url, monitors=30, seconds=30)
    assert figures["windows_expected"] >= 30
    assert figures["windows_missed"] == 0 and figures["windows_doubled"] == 0, figures
    assert figures["healthz_max_ms"] < 100 and figures["readyz_max_ms"] < 100, figures
    assert figures["runs_not_ok"] == 0, figures
