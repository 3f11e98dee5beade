"""Saying when a log has a cycle a pooled reference would page on (drift/cycles.py)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from monitor.drift.cycles import Cycle, PooledReference, measure_cycle, pages_ordinary_traffic, seasonal_advice
from monitor.drift.detect import DriftSettings
from tests.cycles import shop_log

KINDS = {"amount": "numerical", "age": "numerical", "channel": "categorical"}


def _measure(frame: pd.DataFrame, kind: str) -> Cycle | None:
    times = pd.Series(pd.to_datetime(frame["ts"], utc=True))
    return measure_cycle(
        frame[list(KINDS)], times, kind, KINDS, DriftSettings(), window_rows=300, share_above=0.3, seed=3
    )


@pytest.fixture(scope="module")
def week() -> pd.DataFrame:
    return shop_log(days=7, scale=0.3)


def test_a_daily_cycle_is_measured_hour_by_hour(week):
    daily = _measure(week, "hour_of_day")
    assert daily is not None and daily.slices == 24
    assert daily.breaching >= 18 and set(daily.columns) == {"amount", "age", "channel"}
    assert pages_ordinary_traffic(daily)
    weekly = _measure(week, "day_of_week")
    assert weekly is not None and weekly.slices == 7
    assert not pages_ordinary_traffic(weekly), "every day is the same: no weekly cycle"


def test_a_log_without_a_cycle_is_left_alone(week):
    rng = np.random.default_rng(5)
    flat = week.assign(ts=rng.permutation(week["ts"].to_numpy()))  # the same rows at random hours
    daily = _measure(flat, "hour_of_day")
    assert daily is not None and daily.breaching <= 2 and not pages_ordinary_traffic(daily)


def test_a_reference_shorter_than_the_cycle_says_nothing(week):
    two_days = week[pd.to_datetime(week["ts"], utc=True) < week["ts"].min() + pd.Timedelta(days=2)]
    assert _measure(two_days, "day_of_week") is None


DAILY = Cycle("hour_of_day", 24, 19, ("amount", "age", "channel"))
WEEKLY = Cycle("day_of_week", 7, 2, ("age",))
QUIET_DAYS = Cycle("day_of_week", 7, 0, ())
HOURLY = PooledReference(timedelta(days=5), timedelta(days=1), timedelta(hours=1), '"dataset drift"')


@pytest.mark.parametrize(
    ("reference", "daily", "weekly", "expected"),
    [
        (
            HOURLY,
            DAILY,
            QUIET_DAYS,
            'amount, age and channel vary with the hour of day: 19 of 24 hours would breach "dataset drift"; '
            'use reference = { last = "7d", offset = "1d", seasonality = "hour_of_day" }',
        ),
        (
            PooledReference(timedelta(days=30), None, timedelta(hours=1), '"dataset drift"'),
            DAILY,
            WEEKLY,
            'amount, age and channel vary with the hour of day: 19 of 24 hours would breach "dataset drift", and '
            "age varies with the day of the week: 2 of 7 days of the week would breach it; "
            'use reference = { last = "30d", seasonality = "hour_of_week" }',
        ),
        (
            PooledReference(timedelta(days=7), None, timedelta(days=1), '"dataset drift"'),
            DAILY,
            WEEKLY,
            'age varies with the day of the week: 2 of 7 days of the week would breach "dataset drift"; '
            'use reference = { last = "28d", seasonality = "day_of_week" }',
        ),
        (PooledReference(timedelta(days=7), None, timedelta(days=1), "r"), DAILY, QUIET_DAYS, None),
        (HOURLY, Cycle("hour_of_day", 24, 3, ("amount",)), None, None),
        (HOURLY, None, None, None),
    ],
)
def test_the_advice_names_the_columns_and_the_fix(reference, daily, weekly, expected):
    assert seasonal_advice(reference, daily, weekly) == expected
