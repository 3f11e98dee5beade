"""More monitors than the workers can run: `config check` warns beforehand, and the windows that age past
catch_up unevaluated are counted (`drifthound_windows_dropped_total`), logged, recorded, shown by `status` and
on the monitor page, and stored as `windows.dropped` on the next runs.

Twelve light monitors (no labels, no multivariate step) every 2 seconds on two workers: 6 runs a second asked
of workers that do a few. catch_up is one period, so a window not evaluated by its monitor's next tick is
dropped: within seconds of the workers' first runs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.e2e.cli import drifthound
from tests.e2e.daemon import Daemon, free_port, runs, write_live_log

pytestmark = pytest.mark.e2e

MONITORS = 12


def overloaded_config(directory, *, store_url: str, source_url: str, port: int):
    monitors = "".join(
        f"""
[[monitors]]
name = "live-{index}"
source = "main"
table = "predictions"
timestamp_column = "ts"
numerical_features = ["age", "income"]
categorical_features = ["region"]
prediction_column = "score"
multivariate_drift = "off"
every = "2s"
window = "2s"
reference = {{ last = "5m" }}
min_rows = 20
"""
        for index in range(MONITORS)
    )
    path = directory / "config.toml"
    path.write_text(f"""
[service]
store_url = "{store_url}"
reports_dir = "{directory / "reports"}"
http_listen = "127.0.0.1:{port}"
catch_up = "2s"
workers = 2
shutdown_grace = "1s"  # runs in progress are cut at the stop: nothing here waits on them
log_format = "json"

[sources.main]
url = "{source_url}"
{monitors}
""")
    return path


COUNTER = re.compile(r'^drifthound_windows_dropped_total\{monitor="(live-\d+)"\} (\S+)$', re.MULTILINE)


def dropped_by_counter(daemon: Daemon) -> dict[str, float]:
    status, text = daemon.get("/metrics")
    assert status == 200
    return {monitor: float(value) for monitor, value in COUNTER.findall(text)}


def told_drops(store_url: str) -> list[float]:
    """The stored `windows.dropped` figures: drops since each run's previous one."""
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as connection:
            query = sa.text("SELECT value FROM metric_values WHERE metric = 'windows.dropped'")
            return [float(v) for v in connection.execute(query).scalars()]
    finally:
        engine.dispose()


def test_windows_the_workers_cannot_reach_are_counted_shown_and_warned_of(tmp_path):
    source = f"sqlite:///{tmp_path / 'live.db'}"
    store = f"sqlite:///{tmp_path / 'store.db'}"
    write_live_log(source, back=timedelta(minutes=6), ahead=timedelta(minutes=3), per_second=40)
    port = free_port()
    config = overloaded_config(tmp_path, store_url=store, source_url=source, port=port)

    before = drifthound("config", "check", "-c", str(config))
    assert before.returncode == 0, before.stdout + before.stderr
    [load] = [line for line in before.stdout.splitlines() if "load:" in line]
    assert load.startswith("  WARN  load: 12 monitors, 21,600 runs/h in all x 5 s per run (no runs measured yet")
    assert "= 30 workers busy of 2: the workers cannot keep up" in load and "catch_up (2s)" in load

    daemon = Daemon(config, port, "overload")
    try:
        daemon.wait_ready()
        daemon.wait_until(lambda: sum(dropped_by_counter(daemon).values()) >= 3, 90, "windows dropped")
        counted = dropped_by_counter(daemon)
        assert set(counted) == {f"live-{i}" for i in range(MONITORS)}, "a series per monitor, from 0"
        dropped_monitor = max(counted, key=counted.get)
        page_status, page = daemon.get(f"/reports/{dropped_monitor}/")
        assert page_status == 200
        assert re.search(r"\d+ windows? dropped in the last 24 h \(newest ending", page)
        daemon.wait_until(lambda: max(told_drops(store), default=0) >= 1, 60, "a run telling the drops")
        assert daemon.stop() == 0
    finally:
        if daemon.process.poll() is None:
            daemon.kill()

    events = daemon.events("schedule.windows_dropped")
    assert events and all(e["catch_up"] == "2s" and e["workers"] == 2 for e in events)
    recorded = [r for r in runs(store) if r["status"] == "dropped"]
    assert all(r["reason"] == "aged past catch_up (2s) before a worker was free to evaluate it" for r in recorded)
    # This process recorded every drop (no other replica), and counted each once.
    assert len(recorded) == sum(e["windows"] for e in events) >= sum(counted.values())
    assert len({(r["monitor"], r["window_end"]) for r in recorded}) == len(recorded)

    status = drifthound("status", "-c", str(config))
    assert status.returncode == 0, status.stderr
    shown = re.findall(r"windows dropped in the last 24h: (\d+), newest ending", status.stdout)
    assert shown and sum(int(n) for n in shown) == len(recorded)

    figures = told_drops(store)
    assert max(figures) >= 1, "the next runs carry the drops, for rules"
    assert sum(figures) <= len(recorded), "each drop is told by one run at most"
