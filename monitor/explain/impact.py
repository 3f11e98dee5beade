"""Does a drift matter to the model? A surrogate of the model, learnt once per reference, answers per feature.

The surrogate is scikit-learn's histogram gradient boosting fitted on part of the reference, from the features
(encoded as for multivariate drift) to the score the model logged. Two figures come from it, both judged on
held-out reference rows the surrogate never saw (a model follows its own training rows too well):

- `importance`: permutation importance, how much of the logged score's variance the surrogate no longer
  explains when the feature is shuffled among the held-out rows (its R² drop; up to 2, since shuffled
  values can make it worse than a constant). About 0 for a feature the model ignores.
- `drift.impact`: how far the model's output distribution moves when only that feature takes the window's
  values: each held-out row keeps everything else, and the feature moves to the window's value at the same
  quantile (numerical; missing values stay missing), or is drawn from the window's categories, against a
  draw from the reference's (categorical). The figure is the Wasserstein distance between the surrogate's
  outputs before and after, over the logged score's standard deviation on the reference: in the same unit
  for every feature, method and window (0.1: the outputs moved by a tenth of their usual spread). Keeping
  each row's other values and its rank keeps the features' relations, so a window like the reference moves
  the outputs by about 0, whatever the feature's correlations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.metrics import r2_score

from monitor.explain.importance import permutation_importance
from monitor.multivariate.encoding import Encoder, learn_encoder

METHOD = "surrogate (held-out permutation)"
MIN_ROWS = 400
FIT_ROWS = 20_000  # of the reference, at most, to fit the surrogate on
HELD_OUT_ROWS = 2_000  # other reference rows, at most, to judge it and measure impacts on
WINDOW_VALUES = 10_000  # of a column's window values, at most, drawn (seeded) to take quantiles and categories of


@dataclass(frozen=True)
class ModelImpact:
    """The surrogate of one reference and what is measured against it."""

    encoder: Encoder
    surrogate: HistGradientBoostingRegressor
    held_out: pd.DataFrame  # reference rows the surrogate never saw: the features only
    outputs: np.ndarray  # the surrogate's outputs on them
    scale: float  # the logged score's standard deviation on the reference
    fit: float  # the surrogate's R² on the held-out rows: how well it follows the model
    importance: dict[str, float]  # feature -> held-out R² drop when shuffled, largest first
    kinds: dict[str, str]  # feature -> "numerical" | "categorical"

    def impacts(self, window: pd.DataFrame, columns: Sequence[str], *, seed: int) -> dict[str, float]:
        """`drift.impact` of each of `columns` (features the surrogate knows) in `window`."""
        rng = np.random.default_rng(seed)
        moved = {}
        for column in columns:
            if column not in self.kinds:
                continue
            values = window[column].dropna().to_numpy(dtype=float if self.kinds[column] == "numerical" else object)
            if not len(values):
                continue
            if len(values) > WINDOW_VALUES:  # quantiles and shares of 10,000 values are as good, and cheaper
                values = values[rng.integers(0, len(values), WINDOW_VALUES)]
            if self.kinds[column] == "numerical":
                before, after = self.outputs, self._outputs(column, _transported(self.held_out[column], values))
            else:
                own = self.held_out[column].to_numpy(dtype=object)
                before = self._outputs(column, rng.permutation(own))
                after = self._outputs(column, rng.choice(values, len(own)))
            moved[column] = float(stats.wasserstein_distance(before, after) / self.scale)
        return moved

    def _outputs(self, column: str, values: np.ndarray) -> np.ndarray:
        frame = self.held_out.copy()
        frame[column] = values
        return self.surrogate.predict(self.encoder.matrix(frame))


def fit_model_impact(
    reference: pd.DataFrame, numerical: tuple[str, ...], categorical: tuple[str, ...], score: str, *, seed: int
) -> ModelImpact | str:
    """The surrogate of `score` on the reference's features; a reason when it cannot be learnt."""
    rows = reference[reference[score].notna()]
    if len(rows) < MIN_ROWS:
        return f"no feature importance: {len(rows)} reference rows with a score, at least {MIN_ROWS} needed"
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(rows))
    half = len(rows) // 2
    fit_rows = rows.iloc[np.sort(order[:half][:FIT_ROWS])]
    held = rows.iloc[np.sort(order[half:][:HELD_OUT_ROWS])].reset_index(drop=True)
    encoder = learn_encoder(fit_rows, numerical, categorical)
    if not encoder.columns:
        return "no feature importance: no feature varies on the reference"
    y_fit = fit_rows[score].to_numpy(dtype=float)
    y_held = held[score].to_numpy(dtype=float)
    scale = float(rows[score].to_numpy(dtype=float).std())
    if not scale > 0:
        return f"no feature importance: the score {score} never varies on the reference"
    surrogate = HistGradientBoostingRegressor(max_iter=100, learning_rate=0.1, max_leaf_nodes=31, random_state=seed)
    surrogate.fit(encoder.matrix(fit_rows), y_fit)
    x_held = encoder.matrix(held)
    outputs = surrogate.predict(x_held)
    widths = [width for _, width in encoder.dimensions]
    drops = permutation_importance(surrogate.predict, x_held, y_held, widths, r2_score, rng)
    importance = dict(sorted(zip(encoder.columns, map(float, drops), strict=True), key=lambda item: -item[1]))
    kinds = {c: "numerical" for c, _, _ in encoder.numerical} | {c: "categorical" for c, *_ in encoder.categorical}
    return ModelImpact(
        encoder,
        surrogate,
        held[list(encoder.columns)],
        outputs,
        scale,
        float(r2_score(y_held, outputs)),
        importance,
        kinds,
    )


def _transported(own: pd.Series, window: np.ndarray) -> np.ndarray:
    """Each value moved to the window's value at its own quantile among `own` (missing stays missing)."""
    values = own.to_numpy(dtype=float)
    present = ~np.isnan(values)
    ranks = stats.rankdata(values[present]) - 0.5
    out = np.full(len(values), np.nan)
    out[present] = np.quantile(window, ranks / present.sum())
    return out
