"""The crash drill: `drifthound run` killed with SIGKILL at random moments, restarted each time, with
alerts flipping and a webhook receiver taking every notification; then everything is accounted for.

Shared by the short version in the tests (a few kills) and the long one in bench/drills.py (50 kills).
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.drills import ledger
from tests.drills.flipping import drill_config, end_log, monitor_names, write_flipping_log
from tests.e2e.daemon import Daemon, free_port

MONITORS = monitor_names("crash", 3)


@dataclass
class CrashFigures:
    kills: int = 0
    killed_while: Counter = field(default_factory=Counter)  # the last thing the daemon logged before the kill
    windows: int = 0
    windows_evaluated_again: int = 0  # cut by a kill, evaluated again (one stored result still)
    transitions: int = 0
    carried: int = 0  # transitions told by a later notice of the same state (a restart's catch-up message)
    superseded: int = 0  # transitions whose alert changed again before anything about it was sent
    notifications: int = 0
    requests: int = 0  # what the receiver got: at least one per notification, more after a kill mid-send
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "killed_while": dict(self.killed_while)}


def run_crash_drill(
    directory: Path, *, store_url: str, receiver, kills: int, seed: int = 1, max_pause: float = 8.0
) -> CrashFigures:
    """Kills and restarts the daemon `kills` times, lets a last one finish, checks everything, returns figures."""
    started = time.monotonic()
    rng = random.Random(seed)
    source_url = f"sqlite:///{directory / 'source.db'}"
    horizon = timedelta(minutes=3)  # the killed daemons' catch_up; the last one's reaches back further
    ahead = timedelta(seconds=kills * (max_pause + 10)) + timedelta(minutes=10)
    write_flipping_log(source_url, back=horizon + timedelta(minutes=5), ahead=ahead)
    port = free_port()
    config = drill_config(
        directory,
        store_url=store_url,
        source_url=source_url,
        hook_url=receiver.url,
        port=port,
        catch_up=horizon,
        monitors=MONITORS,
    )
    figures = CrashFigures()
    for kill in range(kills):
        daemon = Daemon(config, port, f"run-{kill:02d}")
        time.sleep(rng.uniform(0.5, max_pause))
        figures.killed_while[_last_event(daemon)] += 1
        daemon.kill()
        figures.kills += 1
    # The log ends shortly: later windows are skipped (no figures, so no transitions), and the last
    # daemon can finish everything that is owed.
    cutoff = end_log(source_url, datetime.now(UTC) + timedelta(seconds=30))
    # Each restart evaluates the newest window first, so under kills every few seconds an old owed window can
    # wait the whole drill. A window older than catch_up is, by design, not evaluated: the last daemon's horizon
    # reaches back past everything any killed daemon could have claimed, so every window it covers is owed.
    # (It stays under the 100 windows a catch-up takes at most while the kills take under about 12 minutes.)
    reach = horizon + timedelta(seconds=int(time.monotonic() - started) + 60)
    config = drill_config(
        directory,
        store_url=store_url,
        source_url=source_url,
        hook_url=receiver.url,
        port=port,
        catch_up=reach,
        monitors=MONITORS,
    )
    final = Daemon(config, port, "final")
    try:
        final.wait_ready()
        final.wait_until(
            lambda: ledger.caught_up(store_url, cutoff, MONITORS), 300, "every window up to the log's end evaluated"
        )
        final.wait_until(lambda: ledger.drained(store_url), 120, "the outbox drained")
    finally:
        assert final.stop() == 0, final.log_text()[-3000:]
    windows = ledger.account_windows(store_url, cutoff)
    # Every restart catches up the windows its predecessor missed, and a catch-up tells its middle windows'
    # changes in one message: a transition may arrive as a later notice of the same state (see the ledger).
    alerts = ledger.account_alerts(store_url, receiver.requests, allow_late=True)
    figures.windows, figures.windows_evaluated_again = windows.windows, windows.evaluated_again
    figures.transitions, figures.notifications = alerts.transitions, alerts.notifications
    figures.carried, figures.superseded = alerts.carried, alerts.superseded
    figures.requests = alerts.requests
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def _last_event(daemon: Daemon) -> str:
    last = "starting"
    for line in daemon.log_text().splitlines():
        try:
            last = json.loads(line).get("event", last)
        except ValueError:
            continue
    return last
