"""Seasonal references (issue 22), measured through the daemon's own Runner on the shop log of tests/cycles.py.

    .venv/bin/python bench/seasonal.py [--only alarms,weekly,power,cost] [--days 3] [--pg URL]

- alarms: a daily cycle and nothing else (500-1,500 rows an hour, 8 days); the 24 hourly windows of the last
  day judged with pooled references and with hour_of_day. Per day: windows breaching the dataset rule
  (drift.share above 0.3) and windows flagging any column. `--days` logs with other seeds.
- weekly: the same with weekends that differ (5 weeks at half the rows); one hourly window in every 7 hours of
  the last week (24 windows over every hour and weekday) with pooled, hour_of_day and hour_of_week references.
- power: basket sizes (`amount`) up by 3, 5, 10 and 33 % in the last 6 hours of the day (3 logs): how many of
  those 18 windows flag amount with hour_of_day; and on the same rows at random times (no cycle), pooled beside
  hour_of_day: what a seasonal reference costs in power where there is no cycle.
- cost: reading the reference of one hourly window, pooled (7 days) and seasonal (the same hour of 7 days; the
  same hours of 4 weeks), on SQLite (indexed ts, text) and PostgreSQL (indexed timestamptz); and what the cycle
  warning adds to `config check` (the seconds a run takes are in the alarms and weekly figures).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
import structlog

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.runner import fresh_runner, write_log  # noqa: E402
from monitor.evaluation.cycle_check import cycle_warning  # noqa: E402
from monitor.sources.connect import dispose_all  # noqa: E402
from monitor.sources.inputs import MonitorInputs  # noqa: E402
from monitor.windows import Window  # noqa: E402
from tests.cycles import START, shop_log, shop_monitor  # noqa: E402

OUT = HERE / "out" / "seasonal"
POOLED = '{ last = "5d", offset = "1d" }'  # the README's
POOLED_7D = '{ last = "7d" }'
HOUR_OF_DAY = '{ last = "7d", seasonality = "hour_of_day" }'
HOUR_OF_WEEK = '{ last = "28d", seasonality = "hour_of_week" }'


def judge(url: str, reference: str, starts: list, tag: str) -> list[dict]:
    config, runner = fresh_runner(OUT / f"store-{tag}.db", OUT / "reports", url, shop_monitor(reference))
    monitor = config.monitors[0]
    figures = []
    for start in starts:
        began = time.perf_counter()
        result = runner.run(monitor, Window(start, start + timedelta(hours=1)), notify=False)
        assert result.status == "ok", result.reason
        values = {(m.metric, m.column): m.value for m in result.metrics}
        values["seconds"] = time.perf_counter() - began
        figures.append(values)
    runner.store.dispose()
    dispose_all()  # engines are kept per URL: a log rewritten at the same path must not be read through one
    return figures


def summary(figures: list[dict]) -> dict:
    features = ("amount", "age", "channel")
    return {
        "windows": len(figures),
        "breaching": sum(f[("drift.share", "")] > 0.3 for f in figures),
        "any_column": sum(any(f[("drift.detected", c)] == 1.0 for c in features) for f in figures),
        "seconds_per_run": round(statistics.median(f["seconds"] for f in figures), 2),
    }


def alarms(days: int) -> dict:
    day = START + timedelta(days=7)
    hours = [day + timedelta(hours=h) for h in range(24)]
    found: dict[str, list[dict]] = {}
    for seed in range(days):
        url = write_log(shop_log(days=8, seed=100 + seed), OUT / f"daily-{seed}.db")
        for name, reference in (("pooled 5d+1d", POOLED), ("pooled 7d", POOLED_7D), ("hour_of_day 7d", HOUR_OF_DAY)):
            found.setdefault(name, []).append(summary(judge(url, reference, hours, "alarms")))
            print(name, seed, found[name][-1], flush=True)
    return found


def weekly() -> dict:
    url = write_log(shop_log(days=35, scale=0.5, weekly=True, seed=200), OUT / "weekly.db")
    week = START + timedelta(days=28)
    starts = [week + timedelta(hours=7 * i) for i in range(24)]
    found = {}
    for name, reference in (
        ("pooled 28d", '{ last = "28d" }'),
        ("hour_of_day 7d", HOUR_OF_DAY),
        ("hour_of_week 28d", HOUR_OF_WEEK),
    ):
        found[name] = summary(judge(url, reference, starts, "weekly"))
        print(name, found[name], flush=True)
    return found


def power() -> dict:
    """The last 6 hours of the day with bigger baskets, on the cyclic log (hour_of_day) and on the same rows at
    random times (no cycle: pooled and hour_of_day side by side, the power a seasonal reference gives up by
    reading a twenty-fourth of the rows)."""
    day = START + timedelta(days=7)
    last6 = [day + timedelta(hours=h) for h in range(18, 24)]
    found: dict[str, dict] = {}
    for factor in (1.03, 1.05, 1.1, 4 / 3):
        counts: dict[str, int] = {}
        for seed in range(3):
            cyclic = shop_log(days=8, seed=300 + seed, shift_from=day + timedelta(hours=18), amount_factor=factor)
            flat = _without_cycle(shop_log(days=8, seed=300 + seed), day, factor, seed)
            for log, references in (("cyclic", (HOUR_OF_DAY,)), ("flat", (POOLED_7D, HOUR_OF_DAY))):
                url = write_log(cyclic if log == "cyclic" else flat, OUT / f"power-{log}-{seed}-{factor:.2f}.db")
                for reference in references:
                    name = f"{log} {'hour_of_day' if 'seasonality' in reference else 'pooled'}"
                    figures = judge(url, reference, last6, "power")
                    counts[name] = counts.get(name, 0) + sum(f[("drift.detected", "amount")] == 1.0 for f in figures)
        found[f"amount x{factor:.2f}"] = {"windows": 18, **counts}
        print(factor, found[f"amount x{factor:.2f}"], flush=True)
    return found


def _without_cycle(frame, day, factor: float, seed: int):
    """The same rows at random times (every hour alike), baskets bigger in the last 6 hours of `day`."""
    rng = np.random.default_rng(seed)
    shuffled = frame.assign(ts=rng.permutation(frame["ts"].to_numpy())).sort_values("ts", ignore_index=True)
    late = shuffled["ts"] >= pd.Timestamp(day + timedelta(hours=18))
    return shuffled.assign(amount=np.where(late, shuffled["amount"] * factor, shuffled["amount"]))


def read_seconds(url: str, config_url: str, reference: str, windows: list[Window]) -> dict:
    config, runner = fresh_runner(OUT / "store-cost.db", OUT / "reports", config_url, shop_monitor(reference))
    runner.store.dispose()
    monitor = config.monitors[0]
    times, rows = [], []
    for window in windows:
        inputs = MonitorInputs(monitor, url)
        inputs.roles()
        inputs.reference_source.timestamp_encoding()
        began = time.perf_counter()
        read = inputs.read_reference(window)
        times.append(time.perf_counter() - began)
        rows.append(len(read.result.frame))
    return {"rows": int(statistics.median(rows)), "seconds": round(statistics.median(times), 3)}


def cycle_check_seconds(url: str, windows: list[Window]) -> dict:
    """What `config check` adds per monitor: a sample of the reference read and its hours and weekdays judged."""
    config, runner = fresh_runner(OUT / "store-cost.db", OUT / "reports", url, shop_monitor(POOLED_7D))
    runner.store.dispose()
    monitor = config.monitors[0]
    times, warned = [], []
    for window in windows:
        inputs = MonitorInputs(monitor, url)
        inputs.roles()
        inputs.source.timestamp_encoding()  # config check has learnt it already, counting the window's rows
        began = time.perf_counter()
        warned.append(cycle_warning(monitor, inputs, window) is not None)
        times.append(time.perf_counter() - began)
    return {"warned": all(warned), "seconds": round(statistics.median(times), 2)}


def cost(pg: str | None) -> dict:
    frame = shop_log(days=35, seed=400)
    windows = [Window(START + timedelta(days=34, hours=h), START + timedelta(days=34, hours=h + 1)) for h in (3, 14)]
    references = (("pooled 7d", POOLED_7D), ("hour_of_day 7d", HOUR_OF_DAY), ("hour_of_week 28d", HOUR_OF_WEEK))
    found: dict[str, dict] = {}
    sqlite_url = write_log(frame, OUT / "cost.db")
    for name, reference in references:
        found[f"sqlite {name}"] = read_seconds(sqlite_url, sqlite_url, reference, windows)
        print("sqlite", name, found[f"sqlite {name}"], flush=True)
    found["config check's cycle warning, pooled 7d"] = cycle_check_seconds(sqlite_url, windows)
    print(found["config check's cycle warning, pooled 7d"], flush=True)
    if pg:
        admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
        name = f"drifthound_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(pg).set(database=name).render_as_string(hide_password=False)
        try:
            engine = sa.create_engine(url)
            with engine.begin() as connection:
                frame.to_sql("predictions", connection, index=False, chunksize=50_000)
                connection.execute(sa.text("CREATE INDEX ix_ts ON predictions (ts)"))
                connection.execute(sa.text("ANALYZE predictions"))
            engine.dispose()
            for label, reference in references:
                found[f"postgresql {label}"] = read_seconds(url, url, reference, windows)
                print("postgresql", label, found[f"postgresql {label}"], flush=True)
        finally:
            dispose_all()
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="alarms,weekly,power,cost")
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    OUT.mkdir(parents=True, exist_ok=True)
    results = {}
    wanted = args.only.split(",")
    if "alarms" in wanted:
        results["alarms"] = alarms(args.days)
    if "weekly" in wanted:
        results["weekly"] = weekly()
    if "power" in wanted:
        results["power"] = power()
    if "cost" in wanted:
        results["cost"] = cost(args.pg or None)
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
