"""Outage drills, short versions (bench/drills.py runs the long ones), on a throwaway PostgreSQL cluster."""

from __future__ import annotations

import os

import pytest
from pytest_httpserver import HTTPServer

from tests import pg_cluster
from tests.drills.outage import run_source_outage_drill, run_store_outage_drill
from tests.receivers import Receiver

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not pg_cluster.available() and os.environ.get("CI") != "true",
        reason="PostgreSQL's initdb and pg_ctl are not installed",
    ),
]


def test_the_store_stopped_under_the_daemon_loses_nothing(tmp_path):
    figures = run_store_outage_drill(tmp_path, outage_seconds=12)
    assert figures["runs_left_running"] == 0
    assert figures["slowest_healthz_s"] < 1.0


def test_a_source_down_or_changed_fails_loudly_and_recovers(tmp_path):
    with HTTPServer(host="127.0.0.1") as server:
        figures = run_source_outage_drill(tmp_path, receiver=Receiver(server), outage_seconds=25)
    assert "cannot connect" in figures["unreachable: a reason"]
    assert "income" in figures["column dropped: a reason"]
