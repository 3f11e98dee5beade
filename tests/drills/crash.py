"""The crash drill: `drifthound run` killed with SIGKILL at random moments, restarted each time, with
alerts flipping and a webhook receiver taking every notification; then everything is accounted for.

Shared by the short version in the tests (a few kills) and the long one in bench/drills.py (50 kills).
"""

from __future__ import annotations

import itertools
import json
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from tests.e2e.daemon import Daemon, as_utc, free_port

PERIOD = timedelta(seconds=10)
BLOCK_SECONDS = 30  # the log's rate doubles every other 30 s: the `rows` rule fires and resolves in turn
MONITORS = 3


def write_flipping_log(url: str, *, back: timedelta, ahead: timedelta) -> None:
    """10 predictions a second, 20 in every other 30-second block (naive UTC timestamps)."""
    now = datetime.now(UTC).replace(microsecond=0)
    start, end = now - back, now + ahead
    seconds = np.arange(int(start.timestamp()), int(end.timestamp()))
    rate = np.where((seconds // BLOCK_SECONDS) % 2 == 1, 20, 10)
    stamps = np.concatenate([s + np.arange(r) / r for s, r in zip(seconds, rate, strict=True)])
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(
        {
            "ts": pd.to_datetime(stamps, unit="s"),
            "age": rng.normal(40, 10, len(stamps)),
            "region": rng.choice(["north", "south"], len(stamps)),
        }
    )
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        frame.to_sql("predictions", connection, index=False, if_exists="replace")
        connection.execute(sa.text("CREATE INDEX ix_predictions_ts ON predictions (ts)"))
    engine.dispose()


def drill_config(
    directory: Path, *, store_url: str, source_url: str, hook_url: str, port: int, catch_up: timedelta
) -> Path:
    monitors = "".join(
        f"""
[[monitors]]
name = "crash-{index}"
source = "main"
table = "predictions"
timestamp_column = "ts"
numerical_features = ["age"]
categorical_features = ["region"]
every = "10s"
window = "10s"
reference = {{ last = "2m" }}
min_rows = 20

[[monitors.rules]]
name = "busy"
metric = "rows"
above = 150
severity = "warning"
channels = ["hook"]
"""
        for index in range(MONITORS)
    )
    path = directory / "config.toml"
    path.write_text(f"""
[service]
store_url = "{store_url}"
reports_dir = "{directory / "reports"}"
http_listen = "127.0.0.1:{port}"
catch_up = "{int(catch_up.total_seconds())}s"
workers = 2
shutdown_grace = "20s"
log_format = "json"

[alerting]
repeat_interval = "24h"

[sources.main]
url = "{source_url}"

[channels.hook]
type = "webhook"
url = "{hook_url}"
{monitors}""")
    return path


@dataclass
class CrashFigures:
    kills: int = 0
    killed_while: Counter = field(default_factory=Counter)  # the last thing the daemon logged before the kill
    windows: int = 0
    windows_evaluated_again: int = 0  # cut by a kill, evaluated again (one stored result still)
    transitions: int = 0
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
        directory, store_url=store_url, source_url=source_url, hook_url=receiver.url, port=port, catch_up=horizon
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
    cutoff = _end_log(source_url, datetime.now(UTC) + timedelta(seconds=30))
    # Each restart evaluates the newest window first, so under kills every few seconds an old owed window can
    # wait the whole drill. A window older than catch_up is, by design, not evaluated: the last daemon's horizon
    # reaches back past everything any killed daemon could have claimed, so every window it covers is owed.
    # (It stays under the 100 windows a catch-up takes at most while the kills take under about 12 minutes.)
    reach = horizon + timedelta(seconds=int(time.monotonic() - started) + 60)
    config = drill_config(
        directory, store_url=store_url, source_url=source_url, hook_url=receiver.url, port=port, catch_up=reach
    )
    final = Daemon(config, port, "final")
    try:
        final.wait_ready()
        final.wait_until(lambda: _caught_up(store_url, cutoff), 300, "every window up to the log's end evaluated")
        final.wait_until(lambda: _drained(store_url), 120, "the outbox drained")
    finally:
        assert final.stop() == 0, final.log_text()[-3000:]
    _account(store_url, receiver, figures, cutoff)
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def _end_log(source_url: str, after: datetime) -> datetime:
    """Deletes the predictions from the first window boundary after `after`; returns that boundary."""
    seconds = int(PERIOD.total_seconds())
    cutoff = datetime.fromtimestamp((int(after.timestamp()) // seconds + 1) * seconds, UTC)
    engine = sa.create_engine(source_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text("DELETE FROM predictions WHERE ts >= :cutoff"), {"cutoff": cutoff.replace(tzinfo=None)}
        )
    engine.dispose()
    return cutoff


def _last_event(daemon: Daemon) -> str:
    last = "starting"
    for line in daemon.log_text().splitlines():
        try:
            last = json.loads(line).get("event", last)
        except ValueError:
            continue
    return last


def _rows(store_url: str, sql: str) -> list[dict]:
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as connection:
            return [dict(r) for r in connection.execute(sa.text(sql)).mappings().all()]
    except sa.exc.SQLAlchemyError:
        return []
    finally:
        engine.dispose()


def _caught_up(store_url: str, cutoff: datetime) -> bool:
    """Every monitor has an ok result for every window from its first up to `cutoff`, and one window past
    it (skipped: the log has ended)."""
    runs = _rows(store_url, "SELECT monitor, window_end, status FROM runs")
    before = [r for r in runs if as_utc(r["window_end"]) <= cutoff]
    if any(r["status"] != "ok" for r in before):
        return False
    ends: dict[str, set[datetime]] = defaultdict(set)
    for run in before:
        ends[run["monitor"]].add(as_utc(run["window_end"]))
    past = {r["monitor"] for r in runs if as_utc(r["window_end"]) > cutoff and r["status"] == "skipped"}
    return (
        len(ends) == MONITORS
        and len(past) == MONITORS
        and all(
            max(found) == cutoff and len(found) == (max(found) - min(found)) // PERIOD + 1 for found in ends.values()
        )
    )


def _drained(store_url: str) -> bool:
    return not _rows(store_url, "SELECT id FROM outbox WHERE status = 'queued'")


def _account(store_url: str, receiver, figures: CrashFigures, cutoff: datetime) -> None:
    """Every window evaluated once with one result, every transition delivered under one delivery id."""
    everything = _rows(store_url, "SELECT monitor, window_end, status, attempts FROM runs ORDER BY monitor, window_end")
    runs = [r for r in everything if as_utc(r["window_end"]) <= cutoff]
    assert runs and {r["status"] for r in runs} == {"ok"}, Counter(r["status"] for r in runs)
    assert {r["status"] for r in everything if as_utc(r["window_end"]) > cutoff} == {"skipped"}
    by_monitor: dict[str, list[datetime]] = defaultdict(list)
    for run in runs:
        by_monitor[run["monitor"]].append(as_utc(run["window_end"]))
    for monitor, ends in by_monitor.items():
        assert len(ends) == len(set(ends)), f"{monitor}: a window has two results"
        gaps = [(a, b) for a, b in itertools.pairwise(sorted(ends)) if b - a != PERIOD]
        assert not gaps, f"{monitor}: windows lost between {gaps[:3]}"
    figures.windows = len(runs)
    figures.windows_evaluated_again = sum(1 for r in runs if r["attempts"] > 1)

    transitions = _rows(
        store_url,
        "SELECT a.monitor, e.window_end, e.to_state FROM alert_events e JOIN alerts a ON a.id = e.alert_id "
        # What is notified: firing, and the resolve of an alert that was firing (a state replayed from
        # history that fired and resolved before it was ever notified is not, as in Alertmanager).
        "WHERE e.to_state = 'firing' OR (e.to_state = 'resolved' AND e.from_state = 'firing')",
    )
    outbox = _rows(store_url, "SELECT delivery_id, monitor, status FROM outbox")
    assert transitions, "the drill's alerts fired and resolved"
    assert {m["status"] for m in outbox} == {"delivered"}, Counter(m["status"] for m in outbox)
    received: dict[tuple[str, datetime, str], set[str]] = defaultdict(set)
    for request in receiver.requests:
        body = request["body"]
        key = (body["monitor"], as_utc(body["window"]["end"]), body["status"])
        received[key].add(body["delivery_id"])
    for t in transitions:
        ids = received.get((t["monitor"], as_utc(t["window_end"]), t["to_state"]))
        assert ids, f"transition never reached the receiver: {t}"
        assert len(ids) == 1, f"one transition under two delivery ids: {t} {ids}"
    assert {m["delivery_id"] for m in outbox} == {i for ids in received.values() for i in ids}
    figures.transitions = len(transitions)
    figures.notifications = len(outbox)
    figures.requests = len(receiver.requests)
