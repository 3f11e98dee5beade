"""Traffic cycles are not drift (issue 22): a shop's log with a daily or weekly cycle and nothing else, judged
through the real Runner over SQLite, quiet with a seasonal reference and still catching a real change."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config import parse_config
from monitor.runner import Runner
from monitor.store import Store
from monitor.windows import Window
from tests.cycles import START, shop_log, shop_monitor
from tests.helpers import write_table

DAY = START + timedelta(days=7)  # the day judged: after a week of the same cycle
SETTINGS = 'multivariate_drift = "off"\nmin_rows = 50'
TRAFFIC_RULE = """
[[monitors.rules]]
name = "traffic"
metric = "rows"
outside_reference = 4.0
"""


def _runner(tmp_path: Path, frame, reference: str, window: str = "1h") -> tuple[Runner, object]:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    write_table(url, "predictions", frame, timestamps="text")
    text = f"""
[service]
store_url = "sqlite:///{tmp_path / "store.db"}"
reports_dir = "{tmp_path / "reports"}"

[sources.main]
url = "{url}"

{shop_monitor(reference, window=window, settings=SETTINGS, rules=TRAFFIC_RULE)}"""
    config = parse_config(text, base_dir=tmp_path)
    store = Store(config.service.store_url)
    store.ensure_schema()
    return Runner(config, store, owner="test"), config.monitors[0]


def _judge(runner: Runner, monitor, starts, size: timedelta = timedelta(hours=1)) -> list[dict]:
    figures = []
    for start in starts:
        result = runner.run(monitor, Window(start, start + size), notify=False)
        assert result.status == "ok", result.reason
        figures.append({(m.metric, m.column): m.value for m in result.metrics})
    return figures


def test_hour_of_day_is_quiet_on_a_daily_cycle_and_still_sees_bigger_baskets(tmp_path):
    shift = DAY + timedelta(hours=18)
    frame = shop_log(days=8, scale=0.5, shift_from=shift)
    runner, monitor = _runner(tmp_path, frame, '{ last = "7d", seasonality = "hour_of_day" }')
    hours = [DAY + timedelta(hours=h) for h in range(24)]
    figures = _judge(runner, monitor, hours)

    ordinary = figures[:18]
    assert sum(f[("drift.share", "")] > 0.3 for f in ordinary) <= 1, [f[("drift.share", "")] for f in ordinary]
    shifted = figures[18:]
    assert sum(f[("drift.detected", "amount")] == 1.0 for f in shifted) >= 5
    # Each hour is judged against that hour of the 7 days before: about 7 times its own rows.
    ratios = [f[("reference_rows", "")] / f[("rows", "")] for f in figures[:18]]
    assert all(5.5 < r < 8.5 for r in ratios), ratios
    # Bands come from the same hours too: the night's row count is the night's, not the day's average.
    night, afternoon = figures[2], figures[14]
    assert night[("rows.reference_mean", "")] == pytest.approx(night[("rows", "")], rel=0.1)
    assert afternoon[("rows.reference_mean", "")] == pytest.approx(afternoon[("rows", "")], rel=0.1)
    assert afternoon[("rows", "")] > 2 * night[("rows", "")]


def test_the_pooled_reference_pages_on_the_same_cycle(tmp_path):
    """What the seasonal reference fixes: against five pooled days, ordinary hours breach the dataset rule."""
    frame = shop_log(days=8, scale=0.5)
    runner, monitor = _runner(tmp_path, frame, '{ last = "5d", offset = "1d" }')
    figures = _judge(runner, monitor, [DAY + timedelta(hours=h) for h in (1, 4, 12, 16, 22)])
    assert sum(f[("drift.share", "")] > 0.3 for f in figures) >= 4


def test_hour_of_week_is_quiet_on_a_weekly_cycle(tmp_path):
    """Weekends differ. Three weeks of the same cycle, then a week judged: one hourly window in every 7 hours,
    so the 24 windows cover every hour of the day and every day of the week."""
    frame = shop_log(days=28, scale=0.2, weekly=True)
    week = START + timedelta(days=21)
    starts = [week + timedelta(hours=7 * i) for i in range(24)]
    runner, monitor = _runner(tmp_path, frame, '{ last = "21d", seasonality = "hour_of_week" }')
    figures = _judge(runner, monitor, starts)
    assert sum(f[("drift.share", "")] > 0.3 for f in figures) <= 1, [f[("drift.share", "")] for f in figures]


def test_hour_of_day_alone_misses_the_weekly_cycle(tmp_path):
    """The same weekly log with hour_of_day: a Saturday afternoon is judged against weekday afternoons."""
    frame = shop_log(days=13, scale=0.2, weekly=True)
    runner, monitor = _runner(tmp_path, frame, '{ last = "7d", seasonality = "hour_of_day" }')
    saturday = START + timedelta(days=12, hours=14)
    (figures,) = _judge(runner, monitor, [saturday])
    assert figures[("drift.share", "")] > 0.3


def test_day_of_week_judges_a_day_against_the_same_weekdays(tmp_path):
    """Daily windows on the weekly log: a Saturday and a Wednesday, each against the same weekday of the two
    weeks before; pooled days would hold both kinds of day."""
    frame = shop_log(days=21, scale=0.05, weekly=True)
    days = [START + timedelta(days=19), START + timedelta(days=16)]  # Saturday, Wednesday
    runner, monitor = _runner(tmp_path, frame, '{ last = "14d", seasonality = "day_of_week" }', window="1d")
    figures = _judge(runner, monitor, days, timedelta(days=1))
    assert [f[("drift.share", "")] for f in figures] == [0.0, 0.0]
    assert all(1.7 < f[("reference_rows", "")] / f[("rows", "")] < 2.3 for f in figures), "two same weekdays"
    (tmp_path / "pooled").mkdir()
    runner, monitor = _runner(tmp_path / "pooled", frame, '{ last = "14d" }', window="1d")
    (saturday,) = _judge(runner, monitor, days[:1], timedelta(days=1))
    assert saturday[("drift.share", "")] > 0.3
