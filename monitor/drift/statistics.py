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
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

# The tails compared: the means of the lowest and of the highest 5% and 1% of values (each sample's own).
TAIL_SHARES = (0.05, 0.01)


def normed_wasserstein(current: np.ndarray, reference: np.ndarray, reference_std: float) -> float:
    return float(wasserstein_distance(current, reference) / reference_std)


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


def tail_moves(current: np.ndarray, reference_tails: np.ndarray, shares: tuple[float, ...]) -> np.ndarray:
    """How far each tail's mean moved, in the column's units (`reference_tails` for the same shares)."""
    return tail_means(np.sort(current), shares) - reference_tails


def shares(values: Sequence[object] | np.ndarray, categories: Sequence[object]) -> np.ndarray:
    """The share of each category (in `categories` order) among `values`."""
    index = {category: i for i, category in enumerate(categories)}
    counts = np.zeros(len(categories))
    for value, count in zip(*np.unique(np.asarray(values, dtype=object), return_counts=True), strict=True):
        counts[index[value]] += count
    total = counts.sum()
    return counts / total if total else counts


def js_distance(current_shares: np.ndarray, reference_shares: np.ndarray) -> float:
    return float(jensenshannon(current_shares, reference_shares, base=2))


def total_variation(current_shares: np.ndarray, reference_shares: np.ndarray) -> float:
    return float(np.abs(current_shares - reference_shares).sum() / 2)
