"""Outage drills, on a throwaway PostgreSQL cluster (never the shared server):

- the store stopped for a while under a running daemon: it stays up, says not ready, loses nothing and
  resumes by itself; the outage shows in its logs and metrics;
- a source stopped, then a column dropped: that monitor fails loudly (its failed-runs alert reaches the
  receiver), the other monitor carries on, and both recover when the source does.

Shared by the short versions in the tests and the long ones in bench/drills.py.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.daemon import Daemon, as_utc, free_port, live_config, runs, write_live_log
from tests.pg_cluster import Cluster

PERIOD = timedelta(seconds=10)


@contextmanager
def _cleaned_up(daemon: Daemon, cluster: Cluster) -> Iterator[None]:
    """Whatever a drill's checks find, its daemon does not outlive it and its throwaway cluster is removed."""
    try:
        yield
    finally:
        if daemon.process.poll() is None:
            daemon.kill()
        cluster.remove()


def _metric(daemon: Daemon, name: str) -> float:
    status, text = daemon.get("/metrics")
    assert status == 200, text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                return sample.value
    return 0.0


def _timed_get(daemon: Daemon, path: str) -> tuple[int, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(daemon.url(path), timeout=5) as response:
            code = response.status
    except urllib.error.HTTPError as error:
        code = error.code
    return code, time.monotonic() - started


def gap_free(store_url: str, monitor: str, since: datetime, until: datetime) -> bool:
    """An ok result for every window of `monitor` ending in [since, until]."""
    ends = {as_utc(r["window_end"]) for r in runs(store_url) if r["monitor"] == monitor and r["status"] == "ok"}
    wanted = {since + k * PERIOD for k in range(int((until - since) / PERIOD) + 1)}
    return wanted <= ends


def run_store_outage_drill(directory: Path, *, outage_seconds: float) -> dict[str, object]:
    cluster = Cluster("store")
    cluster.start()
    source = f"sqlite:///{directory / 'live.db'}"
    write_live_log(source, back=timedelta(minutes=10), ahead=timedelta(seconds=outage_seconds + 600))
    port = free_port()
    horizon = f"{int(outage_seconds) + 180}s"
    config = live_config(directory, store_url=cluster.url, source_url=source, port=port, monitors=2, catch_up=horizon)
    daemon = Daemon(config, port, "store-outage")
    figures: dict[str, object] = {"outage_seconds": outage_seconds}
    with _cleaned_up(daemon, cluster):
        daemon.wait_ready()
        daemon.wait_until(lambda: len([r for r in runs(cluster.url) if r["status"] == "ok"]) >= 4, 120, "4 ok runs")
        runs_before = runs(cluster.url)
        before = datetime.now(UTC)
        cluster.stop()
        # What was running when the store went: each must end (ok, or failed and retried), not stay "running".
        cut_off = {(r["monitor"], r["window_end"]) for r in runs_before if r["status"] == "running"}
        stopped = time.monotonic()
        not_ready_after = None
        slowest_health = 0.0
        while time.monotonic() - stopped < outage_seconds:
            assert daemon.process.poll() is None, "the daemon stays up through the outage"
            health, took = _timed_get(daemon, "/healthz")
            slowest_health = max(slowest_health, took)
            assert health == 200, "/healthz: the process and its scheduler are alive"
            ready, _ = _timed_get(daemon, "/readyz")
            if ready != 200 and not_ready_after is None:
                not_ready_after = time.monotonic() - stopped
            time.sleep(1)
        assert not_ready_after is not None, "/readyz said not ready during the outage"
        assert _metric(daemon, "drifthound_store_up") == 0
        cluster.start()
        restarted = time.monotonic()
        daemon.wait_until(lambda: _timed_get(daemon, "/readyz")[0] == 200, 60, "ready again")
        ready_again_after = time.monotonic() - restarted
        now = datetime.now(UTC)
        since = datetime.fromtimestamp(before.timestamp() // 10 * 10, UTC) - PERIOD
        until = datetime.fromtimestamp(now.timestamp() // 10 * 10, UTC)
        for monitor in ("live-0", "live-1"):
            daemon.wait_until(lambda m=monitor: gap_free(cluster.url, m, since, until), 180, f"{monitor} caught up")
        caught_up_after = time.monotonic() - restarted
        assert _metric(daemon, "drifthound_store_up") == 1
        store_errors = _metric(daemon, "drifthound_store_errors_total")
        assert store_errors > 0, "the outage shows in the metrics"
        assert daemon.events("schedule.store_unavailable"), "the outage shows in the logs"
        # A run that is running now may be today's; one that ended before the catch-up's end must not be left.
        left = [
            r
            for r in runs(cluster.url)
            if r["status"] == "running" and ((r["monitor"], r["window_end"]) in cut_off or r["window_end"] <= until)
        ]
        figures |= {
            "not_ready_after_s": round(not_ready_after, 1),
            "ready_again_after_s": round(ready_again_after, 1),
            "caught_up_after_s": round(caught_up_after, 1),
            "slowest_healthz_s": round(slowest_health, 3),
            "store_errors_counted": store_errors,
            "windows_lost": 0,
            "runs_left_running": len(left),
        }
        assert daemon.stop() == 0
    return figures


def run_source_outage_drill(directory: Path, *, receiver, outage_seconds: float) -> dict[str, object]:
    """Monitor "broken" reads a PostgreSQL source that goes away, then loses a column; "steady" reads SQLite."""
    cluster = Cluster("source")
    cluster.start()
    write_live_log(cluster.url, back=timedelta(minutes=10), ahead=timedelta(seconds=outage_seconds * 2 + 900))
    steady = f"sqlite:///{directory / 'steady.db'}"
    write_live_log(steady, back=timedelta(minutes=10), ahead=timedelta(seconds=outage_seconds * 2 + 900))
    port = free_port()
    config = directory / "config.toml"
    config.write_text(
        live_config(directory, store_url=f"sqlite:///{directory / 'store.db'}", source_url=steady, port=port)
        .read_text()
        .replace('name = "live-0"', 'name = "steady"')
        + f"""
[sources.pg]
url = "{cluster.url}"

[[monitors]]
name = "broken"
source = "pg"
table = "predictions"
timestamp_column = "ts"
numerical_features = ["age", "income"]
categorical_features = ["region"]
every = "10s"
window = "10s"
reference = {{ last = "5m" }}
min_rows = 20

[alerting]
failed_runs_after = 2
failed_runs_channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{receiver.url}"
"""
    )
    store = f"sqlite:///{directory / 'store.db'}"
    daemon = Daemon(config, port, "source-outage")
    figures: dict[str, object] = {"outage_seconds": outage_seconds}

    def statuses(monitor: str, after: datetime) -> list[str]:
        return [
            r["status"]
            for r in runs(store)
            if r["monitor"] == monitor and as_utc(r["window_end"]) > after and r["status"] != "running"
        ]

    def alerted(status: str) -> bool:
        return any(b["monitor"] == "broken" and b["status"] == status for b in receiver.bodies)

    with _cleaned_up(daemon, cluster):
        daemon.wait_ready()
        daemon.wait_until(lambda: "ok" in statuses("broken", datetime.now(UTC) - timedelta(minutes=5)), 120, "ok")
        for phase in ("unreachable", "column dropped"):
            started_at = datetime.now(UTC)
            if phase == "unreachable":
                cluster.stop()
            else:
                _alter(cluster.url, "ALTER TABLE predictions RENAME COLUMN income TO income_gone")
            daemon.wait_until(lambda s=started_at: statuses("broken", s).count("failed") >= 2, 120, f"{phase}: fails")
            daemon.wait_until(lambda: alerted("firing"), 60, f"{phase}: the failed-runs alert reached the receiver")
            time.sleep(max(0.0, outage_seconds - (datetime.now(UTC) - started_at).total_seconds()))
            # The other monitor carries on meanwhile (the broken one still broken): two runs ok, none failed.
            daemon.wait_until(
                lambda s=started_at: statuses("steady", s).count("ok") >= 2, 60, f"{phase}: the steady monitor runs"
            )
            assert "failed" not in statuses("steady", started_at), "the other monitor carries on"
            reasons = [r["reason"] for r in runs(store) if r["monitor"] == "broken" and r["status"] == "failed"]
            figures[f"{phase}: failed runs"] = len(reasons)
            figures[f"{phase}: a reason"] = reasons[-1]
            receiver.requests.clear()
            if phase == "unreachable":
                cluster.start()
            else:
                _alter(cluster.url, "ALTER TABLE predictions RENAME COLUMN income_gone TO income")
            back = datetime.now(UTC)
            daemon.wait_until(lambda b=back: "ok" in statuses("broken", b), 120, f"{phase}: recovers")
            daemon.wait_until(lambda: alerted("resolved"), 60, f"{phase}: the alert resolved")
            figures[f"{phase}: recovered after s"] = round((datetime.now(UTC) - back).total_seconds(), 1)
            receiver.requests.clear()
        assert daemon.stop() == 0
    return figures


def _alter(url: str, statement: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(statement))
    engine.dispose()
