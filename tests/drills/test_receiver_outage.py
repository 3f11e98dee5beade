"""Receiver outage, short version (bench/drills.py runs a longer one): receivers down for half an hour of a
busy alert stream, then back; then one down for good."""

from __future__ import annotations

from datetime import timedelta

from pytest_httpserver import HTTPServer

from tests.drills.receiver import run_receiver_outage_drill


def test_receivers_down_then_back_get_everything_once_in_order_and_a_lost_cause_is_dead(database_url):
    with HTTPServer(host="127.0.0.1") as server:
        figures = run_receiver_outage_drill(database_url, server, runs=60, outage=timedelta(minutes=30))
    assert figures["delivered"] == figures["notifications"] > 20
    assert figures["requests_refused_during_outage"] > 10
    assert figures["dead_counted"] >= 1
