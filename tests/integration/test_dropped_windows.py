"""Dropped windows in real stores (SQLite and PostgreSQL): recorded once however many look, counted by the next
run, shown by `status`; and `config check`'s load estimate from the durations the store recorded."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from monitor.commands.load import load_line
from monitor.config import parse_config
from monitor.service.scheduling import drop_aged_windows
from monitor.store import Store
from monitor.store.dropped import dropped_in, dropped_since_previous_run
from monitor.store.runs import RunOutcome, claim_window, finish_run
from monitor.windows import Window

T0 = datetime(2026, 11, 22, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def config(store_url: str, workers: int = 2):
    return parse_config(
        f"""
[service]
store_url = "{store_url}"
catch_up = "3h"
workers = {workers}
[sources.main]
url = "sqlite://"
[[monitors]]
name = "credit"
source = "main"
table = "predictions"
timestamp_column = "ts"
every = "1h"
window = "1h"
reference = {{ last = "1d" }}
""",
        environ={},
    )


def evaluate(store: Store, end: datetime, *, seconds: float = 2.0, at: datetime | None = None) -> int:
    """A run of the window ending at `end`, finished at `at` (a minute after the window by default)."""
    at = at or end + timedelta(minutes=1)
    with store.session() as session:
        claim = claim_window(session, monitor="credit", window=Window(end - HOUR, end), owner="t", now=at)
    with store.transaction() as session:
        outcome = RunOutcome("ok", duration_seconds=seconds)
        finish_run(session, run_id=claim.run_id, owner="t", outcome=outcome, metrics=[], now=at)
    return claim.run_id


def test_windows_that_aged_out_are_recorded_once_and_told_by_the_next_run(database_url):
    store = Store(database_url)
    store.ensure_schema()
    monitor = config(database_url).monitors[0]
    evaluate(store, T0 + HOUR)
    evaluate(store, T0 + 2 * HOUR)
    # Six hours later, with catch_up 3h: windows ending 03:00..05:00 aged out unevaluated (06:00..08:00 are owed).
    now = T0 + 8 * HOUR + timedelta(minutes=5)
    first = drop_aged_windows(store, monitor, now, catch_up=3 * HOUR, scanned_to=None)
    assert [w.end for w in first.windows] == [T0 + 3 * HOUR, T0 + 4 * HOUR, T0 + 5 * HOUR]
    assert first.scanned_to == T0 + 5 * HOUR
    # Another replica, or this one looking again: nothing new.
    again = drop_aged_windows(store, monitor, now, catch_up=3 * HOUR, scanned_to=None)
    assert again.windows == []
    with store.reading() as session:
        assert dropped_in(session, "credit", since=T0) == (3, T0 + 5 * HOUR)
    latest = evaluate(store, T0 + 8 * HOUR, at=now + timedelta(minutes=1))
    with store.reading() as session:
        assert dropped_since_previous_run(session, "credit", run_id=latest) == 3
    later = evaluate(store, T0 + 9 * HOUR)
    with store.reading() as session:
        assert dropped_since_previous_run(session, "credit", run_id=later) == 0, "each drop told once"
    # A daemon whose catch_up now reaches a dropped window (or `check --at`) evaluates it.
    with store.session() as session:
        claim = claim_window(
            session, monitor="credit", window=Window(T0 + 2 * HOUR, T0 + 3 * HOUR), owner="t", now=now + 2 * HOUR
        )
    assert claim.held and claim.existing_status == "dropped"


def test_status_shows_the_drops(database_url, monkeypatch, tmp_path):
    from monitor.commands.status import status

    store = Store(database_url)
    store.ensure_schema()
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    evaluate(store, now - 10 * HOUR)
    dropped = drop_aged_windows(
        store, config(database_url).monitors[0], now, catch_up=3 * HOUR, scanned_to=now - 6 * HOUR
    )
    assert len(dropped.windows) == 3
    path = tmp_path / "config.toml"
    path.write_text(
        f'[service]\nstore_url = "{database_url}"\ncatch_up = "3h"\n[sources.main]\nurl = "sqlite://"\n'
        '[[monitors]]\nname = "credit"\nsource = "main"\ntable = "predictions"\ntimestamp_column = "ts"\n'
        'every = "1h"\nwindow = "1h"\nreference = { last = "1d" }\n'
    )
    out = io.StringIO()
    assert status(str(path), out=out) == 0
    assert f"windows dropped in the last 24h: 3, newest ending {(now - 3 * HOUR).isoformat()[:19]}" in (
        out.getvalue().replace("+00:00", "")
    )


def test_the_load_estimate_uses_the_run_durations_the_store_recorded(database_url):
    store = Store(database_url)
    store.ensure_schema()
    assert "(no runs measured yet: 5 s assumed) = 0.0014 workers busy of 2" in load_line(config(database_url), T0)
    for hour, seconds in ((1, 3000.0), (2, 9000.0), (3, 8000.0)):
        evaluate(store, T0 + hour * HOUR, seconds=seconds)
    line = load_line(config(database_url), T0)
    # One run an hour at the median 8,000 s keeps 2.2 workers busy: more than the 2 there are.
    assert line.startswith("  WARN  load: 1 monitors, 1 runs/h in all x 8e+03 s per run (measured: median of the")
    assert "= 2.2 workers busy of 2: the workers cannot keep up" in line
    assert load_line(config(database_url, workers=3), T0).startswith("  ok    load:")


def test_a_rule_on_windows_dropped_fires_when_windows_are_dropped_and_resolves_when_the_workers_keep_up(
    database_url, httpserver
):
    from monitor.figures import MetricRow
    from tests.alert_world import World, config_for
    from tests.receivers import Receiver

    hook = Receiver(httpserver, "/hook", secret=None)
    rule = (
        '[[monitors.rules]]\nname = "windows dropped"\nmetric = "windows.dropped"\nabove = 0\n'
        'severity = "warning"\nchannels = ["hook"]\n'
    )
    world = World(database_url, config_for(database_url, hook=hook.url, extra_rules=rule))
    deliverer = world.deliverer()
    world.run(1, rows=(MetricRow("windows.dropped", "", 3.0),))
    deliverer.drain(5)
    world.clock.advance(hours=1)
    world.run(2, rows=(MetricRow("windows.dropped", "", 0.0),))
    deliverer.drain(5)
    told = [(a["rule"], a["status"], a["summary"]) for body in hook.bodies for a in body["alerts"]]
    assert told == [
        ("windows dropped", "firing", "windows.dropped 3, above 0"),
        ("windows dropped", "resolved", "windows.dropped 0, at 0"),
    ]
