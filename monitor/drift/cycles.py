"""Whether a log has a cycle a pooled reference would page on: pure functions of the reference's rows and times.

Each hour of the day (and each day of the week) is judged as a window would be: a window-sized sample of the
reference rows at that hour, against the whole reference, with DriftHound's own calibrated test. Hours whose
share of drifted features breaches the monitor's dataset rule are the pages a pooled reference would send on
ordinary traffic; the fix is a seasonal reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from monitor.drift.detect import DriftSettings, ReferenceProfile, detect
from monitor.times import format_duration

# A slice with fewer rows than this says nothing reliable about its hour.
MIN_SLICE_ROWS = 30
# A column "varies with" the cycle when it drifts in at least this share of the slices.
VARYING_SHARE = 0.25


@dataclass(frozen=True)
class Cycle:
    """What a pooled reference would do over one cycle."""

    kind: str  # "hour_of_day" | "day_of_week"
    slices: int  # hours (or weekdays) judged
    breaching: int  # of them, how many would breach the dataset rule
    columns: tuple[str, ...]  # features that drift in many slices, most often first

    @property
    def unit(self) -> str:
        return "hours" if self.kind == "hour_of_day" else "days of the week"


def slice_keys(timestamps: pd.Series, kind: str) -> np.ndarray:
    """Each row's hour of the day (0-23) or day of the week (0 = Monday), UTC."""
    times = pd.DatetimeIndex(timestamps).tz_convert("UTC")
    return np.asarray(times.hour if kind == "hour_of_day" else times.dayofweek)


def measure_cycle(
    frame: pd.DataFrame,
    timestamps: pd.Series,
    kind: str,
    kinds: Mapping[str, str],
    settings: DriftSettings,
    *,
    window_rows: int,
    share_above: float,
    seed: int,
    profile: ReferenceProfile | None = None,
) -> Cycle | None:
    """The hours (or weekdays) of `frame` judged against the whole of it. `kinds`: the features and how each is
    compared; `window_rows`: how many rows a window holds (each slice is sampled to that, as a window would be
    judged); `share_above`: the dataset rule's threshold. None when too few slices have enough rows to say."""
    keys = slice_keys(timestamps, kind)
    wanted = 24 if kind == "hour_of_day" else 7
    if len(np.unique(keys)) < wanted:
        return None  # the reference does not span a whole cycle
    rng = np.random.default_rng(seed)
    if profile is None:
        profile = ReferenceProfile(frame, kinds, seed=seed)
    columns = list(kinds)
    size = max(window_rows, MIN_SLICE_ROWS)
    breaching, judged = 0, 0
    flagged = dict.fromkeys(columns, 0)
    for key in range(wanted):
        rows = np.flatnonzero(keys == key)
        if len(rows) < MIN_SLICE_ROWS:
            continue
        chosen = rng.choice(rows, size=min(size, len(rows)), replace=False)
        verdicts = detect(frame.iloc[np.sort(chosen)], profile, columns, settings)
        drifted = [v.column for v in verdicts if v.detected]
        judged += 1
        breaching += len(drifted) / len(columns) > share_above
        for column in drifted:
            flagged[column] += 1
    if judged < wanted // 2:
        return None
    varying = sorted((c for c in columns if flagged[c] >= VARYING_SHARE * judged), key=lambda c: -flagged[c])
    return Cycle(kind, judged, breaching, tuple(varying))


def pages_ordinary_traffic(cycle: Cycle | None) -> bool:
    """Whether a pooled reference would page on ordinary slices: more than one in eight breaching (one in eight
    leaves room for a rare slice that truly differs, such as the hour of a nightly batch)."""
    return cycle is not None and cycle.breaching > cycle.slices / 8


def names(columns: Sequence[str]) -> str:
    """amount, age and channel"""
    shown = list(columns)
    if len(shown) > 5:
        shown = [*shown[:4], f"{len(columns) - 4} more"]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


@dataclass(frozen=True)
class PooledReference:
    """The pooled reference a monitor has, as advice needs it."""

    last: timedelta | None
    offset: timedelta | None
    window: timedelta
    rule: str  # how the dataset rule is named in messages: '"dataset drift"' or "drift.share above 0.5"


@dataclass(frozen=True)
class SeasonalFix:
    """The seasonal reference that would stop the pages, and why it is needed."""

    seasonality: str  # "hour_of_day" | "hour_of_week" | "day_of_week"
    last: timedelta
    offset: timedelta | None
    why: str  # "amount, age and channel vary with the hour of day: 19 of 24 hours would breach ..."

    @property
    def reference(self) -> str:
        """As a config file writes it: { last = "7d", offset = "1d", seasonality = "hour_of_day" }"""
        offset = f'offset = "{_spelt(self.offset)}", ' if self.offset else ""
        return f'{{ last = "{_spelt(self.last)}", {offset}seasonality = "{self.seasonality}" }}'


def seasonal_fix(reference: PooledReference, daily: Cycle | None, weekly: Cycle | None) -> SeasonalFix | None:
    """The seasonal reference a pooled one paging on ordinary hours or days should become; None when it would
    not page. The fix keeps the reference's offset and lengthens `last` to cover the cycle a few times."""
    by_hour = reference.window < timedelta(days=1) and pages_ordinary_traffic(daily)
    by_day = pages_ordinary_traffic(weekly)
    if not by_hour and not by_day:
        return None
    parts = []
    if by_hour:
        assert daily is not None
        parts.append(_varies(daily, "the hour of day", reference.rule))
    if by_day:
        assert weekly is not None
        parts.append(_varies(weekly, "the day of the week", reference.rule if not parts else "it"))
    if by_day:
        seasonality, at_least = ("hour_of_week" if reference.window < timedelta(days=1) else "day_of_week"), 28
    else:
        seasonality, at_least = "hour_of_day", 7
    last = max(reference.last or timedelta(0), timedelta(days=at_least))
    return SeasonalFix(seasonality, last, reference.offset, ", and ".join(parts))


def seasonal_advice(reference: PooledReference, daily: Cycle | None, weekly: Cycle | None) -> str | None:
    """What config check says when a pooled reference would page on ordinary hours or days; None when it would
    not."""
    fix = seasonal_fix(reference, daily, weekly)
    return None if fix is None else f"{fix.why}; use reference = {fix.reference}"


def _varies(cycle: Cycle, what: str, rule: str) -> str:
    if cycle.columns:
        verb = "varies" if len(cycle.columns) == 1 else "vary"
        subject = f"{names(cycle.columns)} {verb}"
    else:
        subject = "the features vary"
    return f"{subject} with {what}: {cycle.breaching} of {cycle.slices} {cycle.unit} would breach {rule}"


def _spelt(delta: timedelta) -> str:
    """Days as days ("7d", not "1w": how the README writes references)."""
    return (
        f"{delta.days}d"
        if delta >= timedelta(days=1) and delta % timedelta(days=1) == timedelta(0)
        else (format_duration(delta))
    )
