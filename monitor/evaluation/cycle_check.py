"""Does a monitor's pooled reference page on its log's ordinary cycle? Reads a sample of the reference with its
timestamps and asks drift.cycles; `config check` (and the monitor page) print the answer with the fix."""

from __future__ import annotations

import pandas as pd

from monitor.config import MonitorConfig
from monitor.drift.cycles import PooledReference, measure_cycle, seasonal_advice
from monitor.drift.detect import ReferenceProfile
from monitor.drift.settings import drift_settings
from monitor.sources import sampling
from monitor.sources.inputs import MonitorInputs
from monitor.sources.timestamps import to_utc
from monitor.windows import Window, reference_window

# Enough rows to see each hour of a week of traffic, few enough that config check stays quick.
SAMPLE_ROWS = 40_000


def cycle_warning(monitor: MonitorConfig, inputs: MonitorInputs, window: Window) -> str | None:
    """The warning for the reference of `window`, or None (seasonal already, no timestamps, no cycle)."""
    reference = monitor.reference
    if reference.seasonality is not None:
        return None
    source = inputs.reference_source
    timestamp = monitor.timestamp_column
    if timestamp not in source.columns():
        return None
    roles = inputs.roles()
    kinds = {c: "numerical" for c in roles.numerical} | {c: "categorical" for c in roles.categorical}
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
    window_rows = max(int(read.rows_total * (monitor.window / spanned)), 1) if spanned else len(frame)
    settings = drift_settings(monitor)
    share_above = _share_threshold(monitor)
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
        for kind in ("hour_of_day", "day_of_week")
    )
    return seasonal_advice(
        PooledReference(reference.last, reference.offset, monitor.window, _rule_label(monitor)), daily, weekly
    )


def _comparable(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """Numbers as numbers; categories as they are (an estimate needs no more than that)."""
    return frame.assign(
        **{c: pd.to_numeric(frame[c], errors="coerce") for c, kind in kinds.items() if kind == "numerical"}
    )


def _share_threshold(monitor: MonitorConfig) -> float:
    """The dataset rule's threshold, as the runs' reports take it (0.5 without a rule)."""
    thresholds = [rule.above for rule in monitor.rules if rule.metric == "drift.share" and rule.above is not None]
    return min(thresholds) if thresholds else 0.5


def _rule_label(monitor: MonitorConfig) -> str:
    rules = [r for r in monitor.rules if r.metric == "drift.share" and r.above is not None]
    if not rules:
        return "the report's dataset drift (drift.share above 0.5)"
    rule = min(rules, key=lambda r: r.above)  # type: ignore[arg-type, return-value]
    return f'"{rule.name}"'
