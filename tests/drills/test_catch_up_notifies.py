"""Found by the replica drill: an alert that fired in the middle of a catch-up was never notified when the
catch-up's first and last windows were skipped (too few rows: the model's traffic stopped, or has not arrived
yet). Only those two runs of a catch-up notify (dispatch.py), and a skipped run evaluates no rules, so the alert
stayed firing, unnotified, with nothing queued. The dispatcher now settles what the alert states owe after a
catch-up (alerts.pipeline.notify_unsent).

One daemon, a SQLite store, no kills: the daemon starts behind (catch_up covers 2 minutes of windows), the log
breaches the rule in one window and then goes quiet."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from tests.drills.flipping import PERIOD, drill_config
from tests.e2e.daemon import Daemon, free_port
from tests.receivers import Receiver

pytestmark = pytest.mark.e2e


def _quiet_after_a_breach(url: str, latest: datetime) -> None:
    """10 predictions a second for 5 minutes, 20 a second in the window ending 2 windows before `latest` (the
    `rows` rule breaches there), none after it: the catch-up's latest and last windows are skipped."""
    breach = latest - 2 * PERIOD
    stamps = []
    second = latest - timedelta(minutes=5)
    while second < breach:
        rate = 20 if breach - PERIOD <= second < breach else 10
        stamps += [second + timedelta(seconds=i / rate) for i in range(rate)]
        second += timedelta(seconds=1)
    frame = pd.DataFrame(
        {
            "ts": [s.replace(tzinfo=None) for s in stamps],
            "age": np.random.default_rng(1).normal(40, 10, len(stamps)),
            "region": "north",
        }
    )
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        frame.to_sql("predictions", connection, index=False)
    engine.dispose()


def test_an_alert_that_fires_mid_catch_up_is_notified_though_the_latest_windows_are_skipped(tmp_path):
    latest = datetime.fromtimestamp(time.time() // PERIOD.total_seconds() * PERIOD.total_seconds(), UTC)
    source, store = f"sqlite:///{tmp_path / 'source.db'}", f"sqlite:///{tmp_path / 'store.db'}"
    _quiet_after_a_breach(source, latest)
    with HTTPServer(host="127.0.0.1") as server:
        hook = Receiver(server, "/hook")
        port = free_port()
        config = drill_config(
            tmp_path,
            store_url=store,
            source_url=source,
            hook_url=hook.url,
            port=port,
            catch_up=timedelta(minutes=2),
            monitors=["m"],
        )
        daemon = Daemon(config, port)
        try:
            daemon.wait_ready()
            daemon.wait_until(lambda: _state(store) == "firing", 120, "the alert fired")
            time.sleep(15)  # a notification is sent within a second or two
        finally:
            assert daemon.stop() == 0
    assert [b["status"] for b in hook.bodies] == ["firing"], "the firing alert reached the receiver"


def _state(store: str) -> str | None:
    engine = sa.create_engine(store)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT state FROM alerts WHERE rule = 'busy'")).scalar()
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()
