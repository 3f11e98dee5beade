"""The statistics, as pure functions of a current sample and a reference.

Numerical columns: the Wasserstein distance normed by the reference's standard
deviation (a shift of location or spread, in std units) and the tail moves (how
far the means of the lowest and highest 5% and 1% moved, and how far values beyond
the reference's 5% and 95%, 1% and 99% quantiles reach past them). Categorical columns: the
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


def sorted_quantile(sorted_values: np.ndarray, q: float | Sequence[float] | np.ndarray) -> np.ndarray:
    """np.quantile (its default, linear method) of values already sorted, to the last bit, without its
    partition of the whole array: a reference of millions of rows is sorted once, its quantiles read often."""
    n = len(sorted_values)
    index = (n - 1) * np.asarray(q, dtype=float)
    previous = np.clip(np.floor(index), 0, n - 1).astype(np.intp)
    following = np.minimum(previous + 1, n - 1)
    gamma = index - previous
    below, above = sorted_values[previous], sorted_values[following]
    difference = above - below
    # numpy's lerp: from the nearer end, so an exact quantile lands exactly on its value.
    return np.where(gamma >= 0.5, above - difference * (1 - gamma), below + difference * gamma)


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


# A tail statistic over fewer values is too noisy, and too far from normal, to be worth testing: with 10 values
# a tail (5 % of 200 rows), the thresholds a wide run needs (a false-alarm share near 1e-5 per test) cannot be
# learnt from its replicates, and 20 segments x 20 columns of 100-250 rows flagged 4 % of stationary runs.
MIN_TAIL_ROWS = 20


def tail_shares(rows: int) -> tuple[float, ...]:
    """The tail shares worth testing in a window of `rows` rows: none under 400 rows."""
    return tuple(share for share in TAIL_SHARES if rows * share >= MIN_TAIL_ROWS)


def tail_bounds(sorted_reference: np.ndarray, shares: tuple[float, ...]) -> np.ndarray:
    """Where the reference's tails start: its `share` and 1 - `share` quantiles (lower, upper per share)."""
    return sorted_quantile(sorted_reference, [q for share in shares for q in (share, 1 - share)])


def tail_reach(sorted_values: np.ndarray, shares: tuple[float, ...], bounds: np.ndarray) -> int:
    """How many of the lowest and highest values `tail_statistics` needs of a sorted sample."""
    n = len(sorted_values)
    beyond = [
        max(int(np.searchsorted(sorted_values, low, "left")), n - int(np.searchsorted(sorted_values, high, "right")))
        for low, high in bounds.reshape(-1, 2)
    ]
    return max(1, *(round(n * share) for share in shares), *beyond)


# What `tail_statistics` gives for each share, in this order.
TAIL_STATISTICS = ("lowest mean", "highest mean", "excess below", "excess above")


def tail_statistics(
    lowest: np.ndarray, highest: np.ndarray, rows: int, shares: tuple[float, ...], bounds: np.ndarray
) -> np.ndarray:
    """The tail statistics of samples of `rows` rows, over the last axis of their lowest values (ascending) and
    highest values (descending), as many as `tail_reach` says. For each share, in TAIL_STATISTICS order:

    - the mean of the lowest and of the highest `share` of the sample's own values: means of many values, not
      single quantiles, so a tail that moves is seen early and the no-drift spread is near normal;
    - the mean excess beyond the reference's bounds (how far past the lower bound, on average, the values
      below it lie; the same above the upper bound): what a tail that stretches without moving its start
      changes, free of the noise of where the sample's own tail starts. Zero when no value is beyond.
    """
    parts = []
    for share, (low, high) in zip(shares, bounds.reshape(-1, 2), strict=True):
        k = max(1, round(rows * share))
        parts += [lowest[..., :k].mean(axis=-1), highest[..., :k].mean(axis=-1)]
        for gaps in (low - lowest, highest - high):
            beyond = gaps > 0
            parts.append(np.where(beyond, gaps, 0).sum(axis=-1) / np.maximum(beyond.sum(axis=-1), 1))
    return np.stack(parts, axis=-1)


def sample_tail_statistics(sorted_values: np.ndarray, shares: tuple[float, ...], bounds: np.ndarray) -> np.ndarray:
    """`tail_statistics` of one sorted sample."""
    reach = tail_reach(sorted_values, shares, bounds)
    return tail_statistics(sorted_values[:reach], sorted_values[::-1][:reach], len(sorted_values), shares, bounds)


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
