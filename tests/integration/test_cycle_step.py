"""The monitor page's cycle warning starts in the run: measured on the reference the run holds, once per UTC day
of windows, kept in the run's figures JSON; never for a seasonal reference."""

from __future__ import annotations

import json
from datetime import timedelta

from monitor.config import parse_config
from monitor.evaluation.cycle_step import CycleKey
from monitor.reports import CYCLE_WARNING_KEY
from monitor.runner import Runner
from monitor.store import Store
from monitor.windows import Window
from tests.cycles import START, shop_log, shop_monitor
from tests.helpers import write_table

DAY = START + timedelta(days=7)


def _runner(tmp_path, url: str, reference: str) -> Runner:
    config = parse_config(f"""
[service]
store_url = "sqlite:///{tmp_path / "store.db"}"
reports_dir = "{tmp_path / "reports"}"

[sources.main]
url = "{url}"
{shop_monitor(reference)}""")
    runner = Runner(config, Store(config.service.store_url))
    runner.store.ensure_schema()
    return runner


def _warning(tmp_path, result) -> str | None:
    figures = json.loads((tmp_path / "reports" / result.report_path).with_suffix(".json").read_text())
    return figures.get(CYCLE_WARNING_KEY)


def test_a_run_measures_the_cycle_once_a_day_and_keeps_the_warning_in_its_figures(tmp_path):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    write_table(url, "predictions", shop_log(days=9, scale=0.3), timestamps="text")
    runner = _runner(tmp_path, url, '{ last = "5d", offset = "1d" }')
    monitor = runner.config.monitors[0]
    kept = runner.inputs(monitor).kept

    def run(start):
        result = runner.run(monitor, Window(start, start + timedelta(hours=1)), notify=False)
        assert result.status == "ok", result.reason
        return result

    first = run(DAY + timedelta(hours=11))
    warning = _warning(tmp_path, first)
    assert warning is not None and "vary with the hour of day" in warning
    assert warning.endswith('use reference = { last = "7d", offset = "1d", seasonality = "hour_of_day" }')
    [measured] = [key for key in kept if isinstance(key, CycleKey)]
    assert measured.day == DAY.date()
    # Later that day: the day's measurement, not a new one (the same key, the same text).
    assert _warning(tmp_path, run(DAY + timedelta(hours=15))) == warning
    assert [key for key in kept if isinstance(key, CycleKey)] == [measured]
    # The next day is measured again, and only its measurement is kept.
    assert "vary with the hour of day" in _warning(tmp_path, run(DAY + timedelta(days=1, hours=11)))
    [again] = [key for key in kept if isinstance(key, CycleKey)]
    assert again.day == DAY.date() + timedelta(days=1)

    seasonal = _runner(tmp_path / "seasonal", url, '{ last = "7d", offset = "1d", seasonality = "hour_of_day" }')
    result = seasonal.run(
        seasonal.config.monitors[0], Window(DAY + timedelta(hours=11), DAY + timedelta(hours=12)), notify=False
    )
    assert result.status == "ok" and _warning(tmp_path / "seasonal", result) is None


def test_a_window_that_spans_the_cycle_is_not_warned_about_it():
    """Daily windows hold every hour of the day, as the pooled reference does: the hours' cycle that pages
    hourly windows cannot page them, so no warning (and no cost) for it."""
    from monitor.evaluation.cycle_check import cycles_in

    log = shop_log(days=8, scale=0.3)
    frame, times = log.drop(columns=["ts"]), log["ts"]
    kinds = {"amount": "numerical", "age": "numerical", "channel": "categorical"}

    def reading(window: str):
        monitor_toml = shop_monitor('{ last = "7d" }', window=window)
        config = parse_config(f'[sources.main]\nurl = "sqlite://"\n{monitor_toml}')
        monitor = config.monitors[0]
        return cycles_in(monitor, frame, times, kinds, rows_total=len(frame), spanned=timedelta(days=8), seed=1)

    hourly, daily = reading("1h"), reading("1d")
    assert hourly.daily is not None and hourly.warning is not None and "hour of day" in hourly.warning
    assert daily.daily is None and daily.warning is None
