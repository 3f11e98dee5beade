"""Which windows aged past catch_up unevaluated, and whether the workers can keep up: pure decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.commands.load import DEFAULT_RUN_SECONDS, estimate, runs_per_hour
from monitor.config import parse_config
from monitor.windows import Schedule, aged_out

NOW = datetime(2026, 11, 22, 6, 7, tzinfo=UTC)
QUARTER = Schedule(every=timedelta(minutes=15))


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 22, hour, minute, tzinfo=UTC)


def test_windows_past_the_horizon_without_a_run_are_dropped_oldest_first():
    # Latest tick 06:00, catch_up 1h: the horizon is 05:00; windows ending after it are still owed.
    aged = aged_out(
        QUARTER, timedelta(minutes=15), NOW, catch_up=timedelta(hours=1), after=at(4, 0), recorded={at(4, 30)}
    )
    assert [w.end for w in aged] == [at(4, 15), at(4, 45), at(5, 0)]
    assert aged[0].start == at(4, 0)


def test_nothing_is_dropped_twice_or_before_the_last_look():
    kwargs = {"catch_up": timedelta(hours=1), "recorded": set()}
    assert aged_out(QUARTER, timedelta(minutes=15), NOW, after=at(5, 0), **kwargs) == []
    assert [w.end for w in aged_out(QUARTER, timedelta(minutes=15), NOW, after=at(4, 45), **kwargs)] == [at(5, 0)]


def config(monitors: str, workers: int = 2):
    return parse_config(
        f'[service]\nstore_url = "sqlite://"\nworkers = {workers}\n[sources.main]\nurl = "sqlite://"\n{monitors}',
        environ={},
    )


def monitor(name: str, schedule: str) -> str:
    return (
        f'[[monitors]]\nname = "{name}"\nsource = "main"\ntable = "t"\ntimestamp_column = "ts"\n{schedule}\n'
        'window = "1h"\nreference = { last = "1d" }\n'
    )


def test_the_load_is_monitors_times_runs_per_hour_times_seconds_per_run_against_the_workers():
    busy = config("".join(monitor(f"m{i}", 'every = "2s"') for i in range(10)))
    hourly = config(monitor("cron", 'schedule = "*/15 * * * *"') + monitor("daily", 'every = "1d"'))
    assert runs_per_hour(hourly.monitors[0], NOW) == 4 and round(runs_per_hour(hourly.monitors[1], NOW), 3) == 0.042
    measured = estimate(busy.monitors, 2, {"": 1.0}, NOW, source="measured")
    assert measured.runs_per_hour == 18000 and measured.busy_workers == 5 and measured.too_much
    assumed = estimate(hourly.monitors, 2, {}, NOW, source="assumed")
    assert round(assumed.seconds_per_run, 9) == DEFAULT_RUN_SECONDS and not assumed.too_much
    own = estimate(busy.monitors, 2, {"": 1.0, "m0": 10.0}, NOW, source="measured")
    assert round(own.busy_workers, 9) == 9.5, "a monitor's own measurements before everyone's"
