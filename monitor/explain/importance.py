"""Held-out permutation importance: how much a fitted model's score on rows it never saw falls when one
feature's values are shuffled among those rows (the rest of each row kept).

Judged on held-out rows because a model scores the rows it was fitted on better than it should, and most
of all through the features it overfitted. A feature may span several encoded columns (a one-hot block):
the block is shuffled as a whole, rows kept together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def permutation_importance(
    predict: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    widths: Sequence[int],
    score: Callable[[np.ndarray, np.ndarray], float],
    rng: np.random.Generator,
) -> np.ndarray:
    """Per feature (blocks of `widths` encoded columns, in matrix order): the held-out `score` (higher is
    better) less the score with that feature's block shuffled. Near 0 (or below, by chance) when the model
    does not use the feature. One permutation of the rows per feature, drawn from `rng` in order."""
    base = score(y, predict(x))
    drops, start = [], 0
    for width in widths:
        shuffled = x.copy()
        order = rng.permutation(len(x))
        shuffled[:, start : start + width] = x[order, start : start + width]
        drops.append(base - score(y, predict(shuffled)))
        start += width
    return np.array(drops)
