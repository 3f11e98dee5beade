"""`drifthound run` as operators run it: a real subprocess on a live log, on SQLite and PostgreSQL stores."""

from __future__ import annotations

import itertools
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from monitor.store.owners import OwnerId
from tests.e2e.daemon import Daemon, as_utc, free_port, live_config, runs, write_live_log

pytestmark = pytest.mark.e2e

PERIOD = timedelta(seconds=10)


def ok_runs(store_url: str, monitor: str = "live-0") -> list[dict]:
    return [r for r in runs(store_url) if r["monitor"] == monitor and r["status"] == "ok"]


@pytest.fixture
def live(tmp_path):
    source = f"sqlite:///{tmp_path / 'live.db'}"
    write_live_log(source)
    return source


@pytest.fixture
def daemons():
    started: list[Daemon] = []
    yield started
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.kill()


def test_the_daemon_runs_serves_metrics_and_stops_cleanly(tmp_path, live, database_url, daemons):
    port = free_port()
    config = live_config(tmp_path, store_url=database_url, source_url=live, port=port)
    daemon = Daemon(config, port)
    daemons.append(daemon)
    daemon.wait_ready()
    assert daemon.get("/healthz") == (200, "ok: 1 monitors scheduled\n")
    daemon.wait_until(lambda: len(ok_runs(database_url)) >= 8, 120, "eight ok runs (catch-up, then on schedule)")

    status, text = daemon.get("/metrics")
    assert status == 200
    families = {family.name: family for family in text_string_to_metric_families(text)}
    ok = [s for s in families["drifthound_runs"].samples if s.labels == {"monitor": "live-0", "status": "ok"}]
    assert ok and ok[0].value >= 3
    assert families["drifthound_run_duration_seconds"].type == "histogram"
    assert families["drifthound_store_up"].samples[0].value == 1
    last = families["drifthound_last_success_timestamp_seconds"].samples[0]
    assert abs(last.value - time.time()) < 120

    finished = daemon.events("run.finished")
    assert finished and {"monitor", "window_start", "window_end", "rows", "duration_s", "status"} <= set(finished[0])

    started = time.monotonic()
    assert daemon.stop() == 0
    assert time.monotonic() - started < 30, "stops within shutdown_grace"
    assert [r for r in runs(database_url) if r["status"] == "running" and r["reason"] is None] == []
    assert daemon.events("daemon.stopped")
    # Every window from the first ok one to the last is ok, but for one that was still running at SIGTERM: with
    # two workers, a later window can finish while an earlier one is cut off, and that one is released for the
    # next start (not lost).
    by_end = {as_utc(r["window_end"]): r for r in runs(database_url) if r["monitor"] == "live-0"}
    ends = sorted(end for end, r in by_end.items() if r["status"] == "ok")
    every = [ends[0] + i * PERIOD for i in range((ends[-1] - ends[0]) // PERIOD + 1)]
    missed = {end: by_end.get(end) for end in every if end not in ends}
    released = {end for end, r in missed.items() if r and r["status"] == "running" and "shutting down" in r["reason"]}
    assert set(missed) == released, f"none missed: {missed}"


def test_kill_9_then_restart_loses_no_window_and_evaluates_none_twice(tmp_path, live, daemons):
    store = f"sqlite:///{tmp_path / 'store.db'}"
    port = free_port()
    config = live_config(tmp_path, store_url=store, source_url=live, port=port, catch_up="2m")
    first = Daemon(config, port, "first")
    daemons.append(first)
    # Past its start-up catch-up, in its steady rhythm; the downtime (22 s and a restart, slow on loaded cores)
    # stays within the 2m horizon.
    first.wait_until(lambda: len(ok_runs(store)) >= 8, 120, "eight ok runs")
    first.kill()
    time.sleep(22)  # two windows pass while nothing runs
    second = Daemon(config, port, "second")
    daemons.append(second)
    killed_at = datetime.now(UTC)
    second.wait_until(
        lambda: any(as_utc(r["window_end"]) > killed_at + PERIOD for r in ok_runs(store)),
        120,
        "a window after the restart",
    )
    second.wait_until(lambda: all(r["status"] != "running" for r in runs(store)), 60, "no run left running")
    assert second.events("schedule.catching_up"), "the missed windows were caught up"
    all_runs = runs(store)
    ends = sorted(as_utc(r["window_end"]) for r in all_runs)
    assert len(ends) == len(set(ends)), "no window has two runs"
    assert all(b - a == PERIOD for a, b in itertools.pairwise(ends)), f"no window lost: {ends}"
    assert {r["status"] for r in all_runs} == {"ok"}
    assert max(r["attempts"] for r in all_runs) <= 2, "only a window cut by the kill was evaluated again"
    assert second.stop() == 0


def test_two_daemons_share_the_monitors_of_one_postgresql_store(tmp_path, live, pg_url, daemons):
    ports = [free_port(), free_port()]
    pair = []
    for name, port in zip(("a", "b"), ports, strict=True):
        directory = tmp_path / name
        directory.mkdir()
        config = live_config(directory, store_url=pg_url, source_url=live, port=port, monitors=4)
        pair.append(Daemon(config, port, name))
    daemons.extend(pair)
    for daemon in pair:
        daemon.wait_ready()
    pair[0].wait_until(lambda: len([r for r in runs(pg_url) if r["status"] == "ok"]) >= 16, 180, "16 ok runs")
    for daemon in pair:
        assert daemon.stop() == 0
    all_runs = runs(pg_url)
    by_window = {(r["monitor"], as_utc(r["window_end"])) for r in all_runs}
    assert len(by_window) == len(all_runs)
    again = [r for r in all_runs if r["attempts"] != 1]
    assert again == [], "no window evaluated twice"
    owners = {r["owner"].split(":")[1] for r in all_runs}
    assert len(owners) == 2, "both daemons did part of the work"
    workers: dict[tuple[str, str], set[int | None]] = {}
    for r in all_runs:
        owner = OwnerId.parse(r["owner"])
        workers.setdefault((owner.daemon, r["monitor"]), set()).add(owner.worker_pid)
    assert all(len(pids) == 1 for pids in workers.values()), f"a daemon runs a monitor in one worker: {workers}"


def test_sighup_reloads_and_a_bad_config_is_refused(tmp_path, live, daemons):
    store = f"sqlite:///{tmp_path / 'store.db'}"
    port = free_port()
    config = live_config(tmp_path, store_url=store, source_url=live, port=port)
    daemon = Daemon(config, port)
    daemons.append(daemon)
    daemon.wait_until(lambda: len(ok_runs(store)) >= 1, 120, "a first run")
    live_config(tmp_path, store_url=store, source_url=live, port=port, monitors=2)
    daemon.signal(signal.SIGHUP)
    daemon.wait_until(lambda: len(ok_runs(store, "live-1")) >= 1, 120, "the added monitor's first run")
    assert daemon.events("config.reloaded")
    config.write_text(config.read_text().replace('every = "10s"', 'every = "ten seconds"', 1))
    daemon.signal(signal.SIGHUP)
    daemon.wait_until(lambda: daemon.events("config.reload_refused"), 30, "the refusal")
    refused = daemon.events("config.reload_refused")[0]
    assert "is not a duration" in refused["error"]
    before = len(ok_runs(store, "live-1"))
    daemon.wait_until(lambda: len(ok_runs(store, "live-1")) > before, 60, "the old config still running")
    assert daemon.get("/healthz")[0] == 200
    assert daemon.stop() == 0


def test_tokens_guard_pages_and_api_but_not_health_or_metrics(tmp_path, live, daemons):
    store = f"sqlite:///{tmp_path / 'store.db'}"
    port = free_port()
    tokens = 'http_token = "${DH_TOKEN}"\n[service.tokens]\noncall = { token = "${DH_OPERATOR}", role = "operator" }'
    config = live_config(tmp_path, store_url=store, source_url=live, port=port, extra_service=tokens)
    secrets = {"DH_TOKEN": "t0ken-for-tests", "DH_OPERATOR": "operator-t0ken-for-tests"}
    daemon = Daemon(config, port, env=secrets)
    daemons.append(daemon)
    daemon.wait_until(lambda: daemon.get("/healthz")[0] == 200, 60, "/healthz")
    for path in ("/readyz", "/metrics"):
        assert daemon.get(path)[0] == 200, f"{path} stays open for probes and Prometheus"
    for path in ("/reports/", "/api/monitors"):
        assert daemon.get(path)[0] == 401, path
        assert daemon.get(path, {"Authorization": "Bearer wrong"})[0] == 401, path
        for token in secrets.values():
            assert daemon.get(path, {"Authorization": f"Bearer {token}"})[0] == 200, path
    log = daemon.log_text()
    assert daemon.stop() == 0
    assert not any(token in log + daemon.log_text() for token in secrets.values())


@pytest.mark.serial  # a latency: measured alone, not beside two other workers' daemons
def test_every_runs_start_within_a_second_or_two_of_their_tick(tmp_path, live, daemons):
    """`every` ticks are epoch-aligned: a run starts right after its window ends, not at the daemon's start time
    plus multiples of the period (14-25 s late in a one-minute monitor before)."""
    port = free_port()
    config = live_config(tmp_path, store_url=f"sqlite:///{tmp_path / 'store.db'}", source_url=live, port=port)
    started = datetime.now(UTC)
    daemon = Daemon(config, port)
    daemons.append(daemon)
    daemon.wait_ready()
    store = f"sqlite:///{tmp_path / 'store.db'}"

    def on_time() -> list[float]:
        engine = sa.create_engine(store)
        try:
            with engine.connect() as connection:
                rows = connection.exec_driver_sql("SELECT window_end, started_at FROM runs").all()
        finally:
            engine.dispose()
        # Windows that ended after the start (and after the workers' first start-up): on schedule, not catch-up.
        return [(as_utc(s) - as_utc(e)).total_seconds() for e, s in rows if as_utc(e) > started + timedelta(seconds=15)]

    daemon.wait_until(lambda: len(on_time()) >= 3, 120, "three runs on schedule")
    delays = on_time()
    assert all(0 <= delay < 2.0 for delay in delays), f"seconds after the tick: {delays}"


def test_the_daemon_speaks_https_and_sighup_brings_in_a_renewed_certificate(tmp_path, live, daemons):
    import subprocess

    from tests.certificates import make_certificates

    first = make_certificates(tmp_path / "tls")
    port = free_port()
    tls = 'tls_cert_file = "tls/server.crt"\ntls_key_file = "tls/server.key"'
    config = live_config(
        tmp_path, store_url=f"sqlite:///{tmp_path / 'store.db'}", source_url=live, port=port, extra_service=tls
    )
    daemon = Daemon(config, port)
    daemons.append(daemon)

    def curl(ca, scheme: str = "https") -> subprocess.CompletedProcess[str]:
        command = ["curl", "-sS", "--max-time", "5", f"{scheme}://127.0.0.1:{port}/healthz"]
        return subprocess.run(command + (["--cacert", str(ca)] if ca else []), capture_output=True, text=True)

    daemon.wait_until(lambda: curl(first.ca_file).returncode == 0, 60, "/healthz over HTTPS")
    assert curl(first.ca_file).stdout.startswith("ok: ")
    assert curl(None, "http").returncode != 0, "plain HTTP gets no answer"
    old_ca = tmp_path / "old-ca.crt"
    old_ca.write_bytes(first.ca_file.read_bytes())
    renewed = make_certificates(tmp_path / "tls")  # a new CA and certificate in the same files
    assert curl(renewed.ca_file).returncode == 60, "still the old certificate"
    daemon.signal(signal.SIGHUP)
    daemon.wait_until(lambda: curl(renewed.ca_file).returncode == 0, 30, "the renewed certificate")
    assert curl(old_ca).returncode == 60, "the old certificate is no longer presented"
    assert daemon.stop() == 0
