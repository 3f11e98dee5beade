"""Uniform, seeded sampling when a window holds more than `max_rows`.

The seed comes from the monitor and the window, so a re-run of a window reads the
same rows, and it is recorded on the run.
"""

from __future__ import annotations

import math
import zlib
from datetime import datetime

import numpy as np
import pandas as pd

from monitor.times import iso

# The Weyl-sequence sampler for SQLite: consecutive rowids land far apart in [0, M).
_MODULUS = 2_147_483_647
_MULTIPLIER = 1_327_217_885  # about M / golden ratio


def seed_for(monitor: str, start: datetime | None, end: datetime | None) -> int:
    key = f"{monitor}|{iso(start) if start else '-'}|{iso(end) if end else '-'}"
    return zlib.crc32(key.encode("utf-8")) & 0x7FFFFFFF


def oversampled_fraction(wanted: int, total: int) -> float:
    """A Bernoulli fraction that yields at least `wanted` rows of `total` with near certainty.

    Four standard deviations over the target; the surplus is trimmed afterwards.
    """
    if total <= wanted:
        return 1.0
    expected = wanted + 4 * math.sqrt(wanted) + 10
    return min(1.0, expected / total)


def sqlite_rowid_condition(fraction: float, seed: int) -> str:
    """Keeps a row when its rowid's point of the sequence (rowid * a + offset) mod M falls below fraction * M.

    The seed is spread over [0, M) first: nearby seeds would otherwise pick nearly the same rows.
    """
    threshold = int(fraction * _MODULUS)
    offset = (seed * 2_654_435_761) % _MODULUS
    return f"((((rowid % {_MODULUS}) * {_MULTIPLIER}) + {offset}) % {_MODULUS}) < {threshold}"


def bernoulli_chunk(frame: pd.DataFrame, fraction: float, rng: np.random.Generator) -> pd.DataFrame:
    if fraction >= 1.0:
        return frame
    return frame[rng.random(len(frame)) < fraction]


def trim(frame: pd.DataFrame, limit: int, seed: int) -> pd.DataFrame:
    """Exactly `limit` rows (uniform without replacement), keeping their order."""
    if len(frame) <= limit:
        return frame
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(len(frame), size=limit, replace=False))
    return frame.iloc[keep].reset_index(drop=True)
