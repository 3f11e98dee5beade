"""A shop's prediction log with an ordinary daily (and optionally weekly) cycle and nothing else.

500-1,500 rows an hour (busiest in the afternoon), bigger baskets and older customers by day, more app traffic
at night, the same every day. With `weekly`, weekends differ: younger customers, smaller baskets, more app
traffic. `shift_from` multiplies basket sizes (`amount`) by `amount_factor` from then on: a real change.
Shared by tests and bench/seasonal.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

# A Monday: the weekly cycle's weekends are days 5 and 6 from here.
START = datetime(2026, 11, 16, tzinfo=UTC)
FEATURES = ("amount", "age", "channel")


def daytime(hour: np.ndarray) -> np.ndarray:
    """0 at 02:00 (deep night), 1 at 14:00 (mid-afternoon), smoothly between."""
    return (1 - np.cos(2 * np.pi * (hour - 2) / 24)) / 2


def shop_log(
    *,
    days: int = 8,
    start: datetime = START,
    seed: int = 7,
    scale: float = 1.0,
    weekly: bool = False,
    shift_from: datetime | None = None,
    amount_factor: float = 4 / 3,
) -> pd.DataFrame:
    """Columns ts (UTC), amount, age, channel ("app" | "web"), score. `scale` multiplies the rows an hour (a
    smaller log for fast tests, the same shape)."""
    rng = np.random.default_rng(seed)
    hours = np.arange(days * 24)
    per_hour = np.rint(scale * (1000 + 500 * np.sin(2 * np.pi * (hours % 24 - 8) / 24))).astype(int)
    hour_of_row = np.repeat(hours, per_hour)
    offsets = hour_of_row * 3600 + rng.uniform(0, 3600, len(hour_of_row))
    order = np.argsort(offsets)
    offsets = offsets[order]
    clock = (offsets % 86400) / 3600
    day = daytime(clock)
    weekend = ((offsets // 86400 + start.weekday()) % 7 >= 5) if weekly else np.zeros(len(offsets), dtype=bool)
    count = len(offsets)
    amount = rng.lognormal(3.2 + 0.5 * day - 0.3 * weekend, 0.5, count)
    age = rng.normal(32 + 14 * day - 6 * weekend, 9, count)
    app_share = np.clip(0.75 - 0.5 * day + 0.2 * weekend, 0, 1)
    channel = np.where(rng.random(count) < app_share, "app", "web")
    ts = pd.to_datetime(start) + pd.to_timedelta(offsets, unit="s")
    if shift_from is not None:
        amount = np.where(ts >= pd.Timestamp(shift_from), amount * amount_factor, amount)
    score = 1 / (1 + np.exp(-(np.log(amount) - 3.5 + (age - 40) / 20)))
    return pd.DataFrame({"ts": ts, "amount": amount, "age": age, "channel": channel, "score": score})


def hourly_windows(day_start: datetime, hours: int = 24) -> list[tuple[datetime, datetime]]:
    return [(day_start + timedelta(hours=h), day_start + timedelta(hours=h + 1)) for h in range(hours)]


def shop_monitor(reference: str, *, window: str = "1h", settings: str = "", rules: str = "") -> str:
    """The shop log's monitor as a config file holds it: windows of `window` (hourly), the README's dataset rule;
    `settings` are more keys of the monitor, `rules` more `[[monitors.rules]]` tables."""
    return f"""
[[monitors]]
name = "shop"
source = "main"
table = "predictions"
timestamp_column = "ts"
numerical_features = ["amount", "age"]
categorical_features = ["channel"]
prediction_column = "score"
every = "{window}"
window = "{window}"
reference = {reference}
{settings}

[[monitors.rules]]
name = "dataset drift"
metric = "drift.share"
above = 0.3
{rules}"""
