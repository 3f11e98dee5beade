"""`config check`'s load estimate: can the workers keep up with the schedules?

Busy workers = sum over monitors of runs per hour x seconds per run / 3600. Seconds per run are measured
where the store has them (the median duration of the monitor's recent runs, else of every monitor's), else
DEFAULT_RUN_SECONDS. More busy workers than there are means windows wait, age past `catch_up` and are
dropped (counted by `drifthound_windows_dropped_total`): better said before the daemon starts.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from monitor.config import Config, MonitorConfig
from monitor.store import Store
from monitor.store.models import Run
from monitor.times import format_duration
from monitor.windows import Schedule

# A run of a few thousand rows with its reports, on one core (bench/README.md), when none was measured yet.
DEFAULT_RUN_SECONDS = 5.0
MEASURED_RUNS = 50  # per monitor: the most recent ones


@dataclass(frozen=True)
class Load:
    monitors: int
    runs_per_hour: float
    seconds_per_run: float  # the mean over runs, each monitor at its own cost
    busy_workers: float
    workers: int
    source: str  # where the cost per run comes from, in words

    @property
    def too_much(self) -> bool:
        return self.busy_workers > self.workers


def runs_per_hour(monitor: MonitorConfig, now: datetime) -> float:
    """Windows a monitor evaluates per hour: its ticks over the next day, twice each when late labels
    bring every window back for its model quality."""
    schedule = Schedule(monitor.schedule, monitor.every)
    if monitor.every is not None:
        per_hour = 3600 / monitor.every.total_seconds()
    else:
        per_hour = sum(1 for _ in schedule.ticks(now, now + timedelta(days=1))) / 24
    return per_hour * (2 if monitor.labels is not None else 1)


def estimate(
    monitors: Sequence[MonitorConfig], workers: int, costs: Mapping[str, float], now: datetime, *, source: str
) -> Load:
    """The load of `monitors` given measured seconds per run by monitor (`costs`; "" for every monitor's)."""
    fallback = costs.get("", DEFAULT_RUN_SECONDS)
    rates = {m.name: runs_per_hour(m, now) for m in monitors}
    seconds = sum(rate * costs.get(name, fallback) for name, rate in rates.items())
    total = sum(rates.values())
    return Load(len(monitors), total, seconds / total if total else 0.0, seconds / 3600, workers, source)


def measured_costs(store_url: str, monitors: Sequence[str]) -> dict[str, float]:
    """Median seconds per run of each monitor's recent finished runs, and of all of them under ""; empty when
    the store has none (or cannot be read: `config check` reports the store on its own line)."""
    store = Store(store_url)
    try:
        with store.reading() as session:
            costs: dict[str, list[float]] = {}
            for name in monitors:
                durations = session.scalars(
                    select(Run.duration_seconds)
                    .where(Run.monitor == name, Run.status.in_(("ok", "failed")), Run.duration_seconds.is_not(None))
                    .order_by(Run.window_end.desc())
                    .limit(MEASURED_RUNS)
                ).all()
                if durations:
                    costs[name] = [float(d) for d in durations]
    except SQLAlchemyError:
        return {}
    finally:
        store.dispose()
    medians = {name: statistics.median(values) for name, values in costs.items()}
    if medians:
        medians[""] = statistics.median([d for values in costs.values() for d in values])
    return medians


def load_line(config: Config, now: datetime) -> str:
    """One line of `config check`: "ok" with the estimate, or "WARN" when it exceeds the workers."""
    workers = config.service.workers or os.cpu_count() or 1
    costs = measured_costs(config.service.store_url, [m.name for m in config.monitors])
    runs = sum(1 for name in costs if name)
    source = (
        f"measured: median of the recent runs of {runs} monitor{'s' if runs != 1 else ''}"
        if costs
        else f"no runs measured yet: {DEFAULT_RUN_SECONDS:g} s assumed"
    )
    load = estimate(config.monitors, workers, costs, now, source=source)
    text = (
        f"load: {load.monitors} monitors, {load.runs_per_hour:,.0f} runs/h in all x {load.seconds_per_run:.2g} s "
        f"per run ({load.source}) = {load.busy_workers:.2g} workers busy of {load.workers}"
    )
    if not load.too_much:
        return f"  ok    {text}"
    return (
        f"  WARN  {text}: the workers cannot keep up; windows will age past catch_up "
        f"({format_duration(config.service.catch_up)}) and be dropped. Add workers ([service] workers), run "
        "less often (schedule or every) or watch fewer monitors"
    )
