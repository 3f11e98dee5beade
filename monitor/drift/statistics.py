"""The statistics, as pure functions of a current sample and a reference.

Numerical columns: the Wasserstein distance normed by the reference's standard
deviation (a shift of location or spread, in std units) and the tail moves (how
far the means of the lowest and highest 5% and 1% moved). Categorical columns: the
Jensen-Shannon distance (base 2) of the category shares, and the total variation
distance (the share of rows that changed category) as the effect.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

# The tails compared: the means of the lowest and of the highest 5% and 1% of values (each sample's own).
TAIL_SHARES = (0.05, 0.01)


def normed_wasserstein(current: np.ndarray, reference: np.ndarray, reference_std: float) -> float:
    """scipy's Wasserstein distance / the reference std: the reference implementation (any order)."""
    return float(wasserstein_distance(current, reference) / reference_std)


def sorted_wasserstein(current_sorted: np.ndarray, reference_sorted: np.ndarray) -> float:
    """The Wasserstein distance of two sorted samples, as scipy computes it (the integral of |U - V| over
    the merged values) without sorting either again: a stable sort of two sorted runs is a linear merge,
    and each CDF is the running count of its own sample's values."""
    both = np.concatenate([current_sorted, reference_sorted])
    merged_order = np.argsort(both, kind="stable")
    n, m = len(current_sorted), len(reference_sorted)
    merged = both[merged_order]
    from_current = merged_order < n
    current_cdf = np.cumsum(from_current)[:-1] / n
    reference_cdf = np.cumsum(~from_current)[:-1] / m
    return float(np.sum(np.multiply(np.abs(current_cdf - reference_cdf), np.diff(merged))))


# A tail mean of fewer values is too noisy (and too far from normal) to be worth testing.
MIN_TAIL_ROWS = 20


def tail_shares(rows: int) -> tuple[float, ...]:
    """The tail shares worth testing in a window of `rows` rows."""
    usable = tuple(share for share in TAIL_SHARES if rows * share >= MIN_TAIL_ROWS)
    return usable or TAIL_SHARES[:1]


def tail_means(sorted_values: np.ndarray, shares: tuple[float, ...] = TAIL_SHARES) -> np.ndarray:
    """Means of the lowest and highest `shares` of sorted values (lower, upper for each share): means of many
    values, not single quantiles, so a stretching tail is seen early and the no-drift spread is near normal."""
    means = []
    for share in shares:
        k = max(1, round(len(sorted_values) * share))
        means += [sorted_values[:k].mean(), sorted_values[-k:].mean()]
    return np.array(means)


def counts(values: Sequence[object] | np.ndarray | pd.Series) -> dict[object, int]:
    """How often each value occurs (hash-counted: no sort of the values)."""
    return pd.Series(values, copy=False).value_counts(sort=False, dropna=True).to_dict()


def shares_of(counted: dict[object, int], categories: Sequence[object]) -> np.ndarray:
    """The share of each category (in `categories` order), from counts."""
    found = np.array([counted.get(category, 0) for category in categories], dtype=float)
    total = found.sum()
    return found / total if total else found


def js_distance(current_shares: np.ndarray, reference_shares: np.ndarray) -> float:
    return float(jensenshannon(current_shares, reference_shares, base=2))


def total_variation(current_shares: np.ndarray, reference_shares: np.ndarray) -> float:
    return float(np.abs(current_shares - reference_shares).sum() / 2)
