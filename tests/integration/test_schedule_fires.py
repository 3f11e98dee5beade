"""Weekly, weekday and monthly schedules fired by the daemon itself (its scheduler, its workers, its store),
on a clock the test moves: the runs appear at cron's days and at no others."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.service.daemon import Daemon
from monitor.times import parse_time
from tests.e2e.daemon import as_utc, free_port


class VirtualClock:
    """Runs at real speed from wherever the test puts it."""

    def __init__(self, start: datetime) -> None:
        self._lock = threading.Lock()
        self.jump(start)

    def jump(self, to: datetime) -> None:
        with self._lock:
            self._base, self._t0 = to, time.monotonic()

    def __call__(self) -> datetime:
        with self._lock:
            return self._base + timedelta(seconds=time.monotonic() - self._t0)


def write_log(url: str, start: datetime, end: datetime, per_hour: int = 6) -> None:
    hours = int((end - start).total_seconds() // 3600)
    rng = np.random.default_rng(3)
    count = hours * per_hour
    offsets = np.sort(rng.uniform(0, hours * 3600, count))
    frame = pd.DataFrame(
        {
            "ts": [(start + timedelta(seconds=float(s))).replace(tzinfo=None) for s in offsets],
            "age": rng.normal(40, 10, count),
            "region": rng.choice(["north", "south"], count),
        }
    )
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        frame.to_sql("predictions", connection, index=False, dtype={"ts": sa.DateTime()})
    engine.dispose()


def config(directory: Path, schedules: dict[str, str], catch_up: str = "24h") -> Path:
    monitors = "".join(
        f"""
[[monitors]]
name = "{name}"
source = "main"
table = "predictions"
timestamp_column = "ts"
numerical_features = ["age"]
categorical_features = ["region"]
schedule = "{cron}"
window = "1d"
reference = {{ last = "3d" }}
min_rows = 20
"""
        for name, cron in schedules.items()
    )
    path = directory / "config.toml"
    path.write_text(f"""
[service]
store_url = "sqlite:///{directory / "store.db"}"
reports_dir = "{directory / "reports"}"
http_listen = "127.0.0.1:{free_port()}"
workers = 1
log_format = "json"
catch_up = "{catch_up}"

[sources.main]
url = "sqlite:///{directory / "source.db"}"
{monitors}""")
    return path


def run_ends(directory: Path, monitor: str) -> dict[datetime, str]:
    engine = sa.create_engine(f"sqlite:///{directory / 'store.db'}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT window_end, status FROM runs WHERE monitor = :m"), {"m": monitor}
            ).all()
    finally:
        engine.dispose()
    return {as_utc(end): status for end, status in rows}


def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def at(text: str) -> datetime:
    return parse_time(text)


@pytest.fixture
def daemon_on(tmp_path):
    started: list[Daemon] = []

    def start(schedules: dict[str, str], clock: VirtualClock, catch_up: str = "24h") -> Daemon:
        daemon = Daemon(config(tmp_path, schedules, catch_up), clock=clock)
        daemon.start()
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.stop()


def fires_at(directory: Path, clock: VirtualClock, monitor: str, tick: str, *, others: tuple[str, ...] = ()) -> None:
    """Moves the clock to two seconds before `tick`: no run of that window yet, then one, `ok`, soon after."""
    end = at(tick)
    clock.jump(end - timedelta(seconds=2))
    time.sleep(0.5)
    assert end not in run_ends(directory, monitor), f"{monitor} ran its {tick} window before the tick"
    wait_for(lambda: run_ends(directory, monitor).get(end) == "ok", 60, f"{monitor}'s window ending {tick}")
    for other in others:
        assert end not in run_ends(directory, other), f"{other} has no tick at {tick}"


def stays_quiet(directory: Path, clock: VirtualClock, monitor: str, moment: str) -> None:
    """Moves the clock to just before `moment` and past it: no run of a window ending then."""
    end = at(moment)
    clock.jump(end - timedelta(seconds=1))
    time.sleep(3)
    assert end not in run_ends(directory, monitor), f"{monitor} fired at {moment}, which is not its day"


def test_a_weekday_schedule_fires_monday_to_friday_at_six(tmp_path, daemon_on):
    write_log(f"sqlite:///{tmp_path / 'source.db'}", at("2026-12-01T00:00:00Z"), at("2026-12-16T00:00:00Z"))
    clock = VirtualClock(at("2026-12-11T05:00:00Z"))  # a Friday
    daemon_on({"weekdays": "0 6 * * 1-5"}, clock)
    # On start it evaluates its latest complete window: Thursday's.
    wait_for(lambda: run_ends(tmp_path, "weekdays").get(at("2026-12-10T06:00:00Z")) == "ok", 90, "Thursday's window")
    fires_at(tmp_path, clock, "weekdays", "2026-12-11T06:00:00Z")
    stays_quiet(tmp_path, clock, "weekdays", "2026-12-12T06:00:00Z")  # Saturday
    stays_quiet(tmp_path, clock, "weekdays", "2026-12-13T06:00:00Z")  # Sunday
    fires_at(tmp_path, clock, "weekdays", "2026-12-14T06:00:00Z")  # Monday: the window APScheduler lost
    fires_at(tmp_path, clock, "weekdays", "2026-12-15T06:00:00Z")
    assert set(run_ends(tmp_path, "weekdays")) == {at(f"2026-12-{day}T06:00:00Z") for day in ("10", "11", "14", "15")}


def test_sunday_as_7_and_as_a_name_and_a_monthly_schedule(tmp_path, daemon_on):
    write_log(f"sqlite:///{tmp_path / 'source.db'}", at("2026-11-25T00:00:00Z"), at("2027-01-02T00:00:00Z"))
    clock = VirtualClock(at("2026-12-06T05:00:00Z"))  # a Sunday
    daemon_on({"sunday": "0 6 * * 7", "named": "30 6 * * sun", "monthly": "0 6 1 * *"}, clock)
    wait_for(
        lambda: all(run_ends(tmp_path, m) for m in ("sunday", "named", "monthly")), 90, "the first evaluations at start"
    )
    assert set(run_ends(tmp_path, "sunday")) == {at("2026-11-29T06:00:00Z")}
    assert set(run_ends(tmp_path, "monthly")) == {at("2026-12-01T06:00:00Z")}
    fires_at(tmp_path, clock, "sunday", "2026-12-06T06:00:00Z", others=("named", "monthly"))
    fires_at(tmp_path, clock, "named", "2026-12-06T06:30:00Z", others=("sunday", "monthly"))
    stays_quiet(tmp_path, clock, "sunday", "2026-12-07T06:00:00Z")  # Monday: 7 is not 1
    fires_at(tmp_path, clock, "monthly", "2027-01-01T06:00:00Z")
    assert datetime(2026, 12, 1, 6, tzinfo=UTC) in run_ends(tmp_path, "monthly")


def test_a_tick_during_a_long_catch_up_is_evaluated_before_the_rest_of_it(tmp_path, daemon_on):
    """A daemon back after a day away owes 24 hourly windows; the hour that ends meanwhile does not wait for them."""
    write_log(f"sqlite:///{tmp_path / 'source.db'}", at("2026-12-01T00:00:00Z"), at("2026-12-12T00:00:00Z"), 60)
    clock = VirtualClock(at("2026-12-10T11:59:50Z"))
    daemon_on({"hourly": "0 * * * *"}, clock, catch_up="30h")
    wait_for(lambda: len(run_ends(tmp_path, "hourly")) >= 3, 90, "the catch-up under way")
    clock.jump(at("2026-12-10T12:00:00Z"))
    wait_for(lambda: run_ends(tmp_path, "hourly").get(at("2026-12-10T12:00:00Z")) == "ok", 60, "the new hour's run")
    owed = {at("2026-12-09T06:00:00Z") + timedelta(hours=k) for k in range(30)}
    done = set(run_ends(tmp_path, "hourly"))
    assert owed - done, "the catch-up was not over when the new hour was evaluated"
    wait_for(lambda: owed <= set(run_ends(tmp_path, "hourly")), 180, "the rest of the catch-up")


def test_probes_say_starting_until_the_scheduler_and_delivery_run(tmp_path):
    """The listener opens first: a probe between it and the rest must not read 'the delivery worker stopped'
    (healthz) nor 'ready' (readyz)."""
    import urllib.error
    import urllib.request

    def probe(daemon: Daemon, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(daemon.http.url + path, timeout=5) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    daemon = Daemon(config(tmp_path, {"a": "0 * * * *"}), clock=VirtualClock(at("2026-11-20T10:30:00Z")))
    daemon.http.start()
    try:
        assert probe(daemon, "/healthz") == (503, "unhealthy: starting\n")
        assert probe(daemon, "/readyz") == (503, "not ready: starting\n")
        daemon.http.start = lambda: None  # already listening: start the rest
        daemon.start()
        assert probe(daemon, "/healthz")[0] == 200
        assert probe(daemon, "/readyz") == (200, "ready\n")
    finally:
        daemon.stop()
