"""Crash drill, short version (bench/drills.py runs the long one): SIGKILL at random moments, restart,
nothing lost, nothing doubled, every alert transition delivered under one delivery id."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from tests.drills.crash import run_crash_drill
from tests.receivers import Receiver

pytestmark = pytest.mark.e2e


def test_sigkill_at_random_moments_loses_and_doubles_nothing(tmp_path, database_url):
    with HTTPServer(host="127.0.0.1") as server:
        receiver = Receiver(server)
        figures = run_crash_drill(tmp_path, store_url=database_url, receiver=receiver, kills=3, max_pause=5.0)
    assert figures.kills == 3 and figures.windows > 10 and figures.transitions >= 2
