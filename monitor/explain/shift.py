"""Which features' shifts move an estimate: the window re-estimated with one feature at a time taking the
reference's distribution.

A feature is reset by reweighting the window's rows so that its bins (the reference's deciles for a number,
its categories otherwise; a missing value is a bin of its own) hold the reference's shares, the rest of each
row as it was: what the window would look like had only that feature not moved. The rows are drawn by
systematic resampling (each row kept about n x its weight times, never at random), so an unmoved feature
gives the window back as it was, and the estimator is asked as it is asked for the window itself: it needs no
weights, and a classifier's estimate (which reads only the model's scores) follows the scores of the rows
that feature's shift brought in or took away.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

# Numerical features are binned on the reference's quintiles: fine enough to follow a shift, coarse enough that
# the weights stay moderate (finer bins put the reset on fewer rows: more noise, measured in bench/README.md).
BINS = 5
# Each reset is estimated on at most this many rows (the window's, evenly spaced, when it has more): the effects
# of interest are several sampling errors of a window this size, and each reset costs one estimate.
SAMPLE_ROWS = 20_000
# A reset that rests on fewer rows than this (the weights' effective count, (sum w)^2 / sum w^2) says nothing:
# the window has too few rows like the reference's for that feature.
MIN_EFFECTIVE_ROWS = 30

Estimate = Callable[[pd.DataFrame], Mapping[str, float] | None]


def shift_effects(
    window: pd.DataFrame,
    reference: pd.DataFrame,
    features: Sequence[str],
    estimate: Estimate,
    numerical: Callable[[str], bool],
    noise: Callable[[int], Mapping[str, float]] | None = None,
) -> dict[str, dict[str, float]]:
    """{feature: {metric: estimate of the window - estimate with that feature reset}}: negative where the
    feature's shift lowered the figure. Both estimates are on the same rows' count (SAMPLE_ROWS at most).
    Features that cannot be reset (too few rows like the reference's) are left out, and so is an effect within
    `noise(rows)[metric]`: the scatter of a figure over that many rows, the effective rows the reset rests on."""
    if len(window) == 0:
        return {}
    rows = min(len(window), SAMPLE_ROWS)
    even = np.full(len(window), 1.0 / len(window))
    base = estimate(window if rows == len(window) else window.take(systematic(even, rows)))
    if not base:
        return {}
    effects = {}
    for feature in features:
        weights = reset_weights(window[feature], reference[feature], numerical=numerical(feature))
        effective = 0 if weights is None else min(rows, int(1.0 / float(np.sum(weights**2))))
        if weights is None or effective < MIN_EFFECTIVE_ROWS:
            continue
        again = estimate(window.take(systematic(weights, rows)))
        if not again:
            continue
        scatter = noise(effective) if noise is not None else {}
        moved = {m: float(base[m] - again[m]) for m in base if m in again}
        effects[feature] = {m: v for m, v in moved.items() if abs(v) > scatter.get(m, 0.0)}
    return effects


def reset_weights(window: pd.Series, reference: pd.Series, *, numerical: bool) -> np.ndarray | None:
    """Per window row: the reference's share of its bin over the window's, normalised to sum to 1; None when no
    bin of the window is in the reference."""
    if numerical:
        ref = reference.to_numpy(dtype=float)
        edges = np.unique(np.nanquantile(ref, np.linspace(0, 1, BINS + 1)[1:-1])) if np.isfinite(ref).any() else []
        here = _numeric_bins(window.to_numpy(dtype=float), edges)
        there = _numeric_bins(ref, edges)
    else:
        codes = pd.Categorical(pd.concat([reference, window], ignore_index=True).astype("string"))
        there = np.asarray(codes.codes[: len(reference)], dtype=np.int64)
        here = np.asarray(codes.codes[len(reference) :], dtype=np.int64)  # -1: missing
        there, here = there + 1, here + 1
    size = int(max(here.max(initial=0), there.max(initial=0))) + 1
    window_share = np.bincount(here, minlength=size) / max(len(here), 1)
    reference_share = np.bincount(there, minlength=size) / max(len(there), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(window_share > 0, reference_share / window_share, 0.0)
    weights = ratio[here]
    total = weights.sum()
    return weights / total if total > 0 else None


def _numeric_bins(values: np.ndarray, edges: np.ndarray | list) -> np.ndarray:
    """Bin numbers: 0 for a missing value, then 1.. by the edges."""
    bins = np.searchsorted(np.asarray(edges, dtype=float), values, side="right") + 1
    return np.where(np.isnan(values), 0, bins)


def systematic(weights: np.ndarray, n: int) -> np.ndarray:
    """Row positions drawn by systematic resampling: row i about n x weights[i] times, in order."""
    cumulative = np.cumsum(weights)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, (np.arange(n) + 0.5) / n, side="right").clip(0, len(weights) - 1)
