"""Does a monitor's pooled reference page on its log's ordinary cycle? Measured on reference rows with their
timestamps (drift.cycles): `config check` and `init` read a sample for it; a run measures the reference it holds
(cycle_step.py), and the monitor page shows the answer. The warning names the columns and the fix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

from monitor.config import MonitorConfig
from monitor.drift.cycles import (
    Cycle,
    PooledReference,
    SeasonalFix,
    measure_cycle,
    seasonal_advice,
    seasonal_fix,
)
from monitor.drift.detect import ReferenceProfile
from monitor.drift.settings import drift_settings
from monitor.sources import sampling
from monitor.sources.inputs import MonitorInputs
from monitor.sources.timestamps import to_utc
from monitor.windows import Window, reference_window

# Enough rows to see each hour of a week of traffic, few enough that config check stays quick.
SAMPLE_ROWS = 40_000


@dataclass(frozen=True)
class CycleReading:
    """How a pooled reference fares over the day and the week."""

    reference: PooledReference
    daily: Cycle | None
    weekly: Cycle | None

    @property
    def fix(self) -> SeasonalFix | None:
        return seasonal_fix(self.reference, self.daily, self.weekly)

    @property
    def warning(self) -> str | None:
        return seasonal_advice(self.reference, self.daily, self.weekly)


def pooled(monitor: MonitorConfig) -> bool:
    """Whether the monitor's reference is pooled time (a cycle could make it page): not seasonal, not a table."""
    return monitor.reference.seasonality is None and monitor.reference.table is None


def cycle_warning(monitor: MonitorConfig, inputs: MonitorInputs, window: Window) -> str | None:
    """The warning for the reference of `window`, or None (seasonal already, no timestamps, no cycle)."""
    reading = read_cycles(monitor, inputs, window)
    return reading.warning if reading is not None else None


def read_cycles(monitor: MonitorConfig, inputs: MonitorInputs, window: Window) -> CycleReading | None:
    """Reads a sample of the reference of `window` (at most SAMPLE_ROWS rows) and measures it; None when there is
    nothing to measure (seasonal already, no timestamps, no features, too few rows)."""
    reference = monitor.reference
    if reference.seasonality is not None:
        return None
    source = inputs.reference_source
    timestamp = monitor.timestamp_column
    if timestamp not in source.columns():
        return None
    kinds = feature_kinds(inputs)
    if not kinds:
        return None
    bounds = reference_window(
        last=reference.last, offset=reference.offset, start=reference.start, end=reference.end, current=window
    )
    seed = sampling.seed_for(monitor.name, bounds.start if bounds else None, bounds.end if bounds else None)
    read = source.read([*kinds, timestamp], bounds, max_rows=SAMPLE_ROWS, seed=seed)
    times = to_utc(read.frame[timestamp], source.timestamp_encoding())
    known = times.notna().to_numpy()
    if known.sum() < monitor.min_rows:
        return None
    times = times[known].reset_index(drop=True)
    frame = _comparable(read.frame.loc[known, list(kinds)].reset_index(drop=True), kinds)
    spanned = (bounds.end - bounds.start) if bounds else (times.max() - times.min()).to_pytimedelta()
    return cycles_in(monitor, frame, times, kinds, rows_total=read.rows_total, spanned=spanned, seed=seed)


def feature_kinds(inputs: MonitorInputs) -> dict[str, str]:
    """The features a cycle is measured on, and how each is compared: numerical and categorical ones."""
    roles = inputs.roles()
    return {c: "numerical" for c in roles.numerical} | {c: "categorical" for c in roles.categorical}


def cycles_in(
    monitor: MonitorConfig,
    frame: pd.DataFrame,
    times: pd.Series,
    kinds: dict[str, str],
    *,
    rows_total: int,
    spanned: timedelta,
    seed: int,
    profile: ReferenceProfile | None = None,
) -> CycleReading:
    """The daily and weekly cycles of reference rows (`frame`, their `times`), each hour or weekday judged with
    the rows a window holds on average (`rows_total` rows over `spanned`). `profile`: the reference's drift
    profile when a run has it already. A window as long as a cycle holds all of it, as the pooled reference
    does: that cycle is not measured (at a million rows a day the hours' measurement was 6.8 s of a `check`)."""
    window_rows = max(int(rows_total * (monitor.window / spanned)), 1) if spanned else len(frame)
    settings = drift_settings(monitor)
    share_above = share_threshold(monitor)
    if profile is None:
        profile = ReferenceProfile(frame, kinds, seed=seed)
    daily, weekly = (
        measure_cycle(
            frame,
            times,
            kind,
            kinds,
            settings,
            window_rows=window_rows,
            share_above=share_above,
            seed=seed,
            profile=profile,
        )
        if monitor.window < period
        else None
        for kind, period in (("hour_of_day", timedelta(days=1)), ("day_of_week", timedelta(days=7)))
    )
    reference = PooledReference(monitor.reference.last, monitor.reference.offset, monitor.window, rule_label(monitor))
    return CycleReading(reference, daily, weekly)


def _comparable(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """Numbers as numbers; categories as they are (an estimate needs no more than that)."""
    return frame.assign(
        **{c: pd.to_numeric(frame[c], errors="coerce") for c, kind in kinds.items() if kind == "numerical"}
    )


def share_threshold(monitor: MonitorConfig) -> float:
    """The dataset rule's threshold, as the runs' reports take it (0.5 without a rule)."""
    thresholds = [rule.above for rule in monitor.rules if rule.metric == "drift.share" and rule.above is not None]
    return min(thresholds) if thresholds else 0.5


def rule_label(monitor: MonitorConfig) -> str:
    rules = [r for r in monitor.rules if r.metric == "drift.share" and r.above is not None]
    if not rules:
        return "the report's dataset drift (drift.share above 0.5)"
    rule = min(rules, key=lambda r: r.above)  # type: ignore[arg-type, return-value]
    return f'"{rule.name}"'
