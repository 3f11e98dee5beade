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

Small on purpose, since every drifted column costs a prediction of the held-out rows in every run: 50 trees of
15 leaves, 1,000 held-out rows, quantiles of at most 10,000 of the window's values (bench/impact.py: about
5 ms a drifted column, the fit about 0.2 s once per reference).
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
HELD_OUT_ROWS = 1_000  # other reference rows, at most, to judge it and measure impacts on
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
    levels: dict[str, np.ndarray]  # numerical feature -> each held-out row's quantile level (missing: NaN)

    def impacts(self, window: pd.DataFrame, columns: Sequence[str], *, seed: int) -> dict[str, float]:
        """`drift.impact` of each of `columns` (features the surrogate knows) in `window`. The surrogate
        predicts every changed copy of the held-out rows in one call."""
        rng = np.random.default_rng(seed)
        changed: list[tuple[str, np.ndarray | None, np.ndarray]] = []  # (column, rows before, rows after)
        for column in columns:
            if column not in self.kinds:
                continue
            values = _drawn(window[column], rng, numerical=self.kinds[column] == "numerical")
            if not len(values):
                continue
            if self.kinds[column] == "numerical":
                values.sort()
                after = np.full(len(self.held_out), np.nan)
                present = ~np.isnan(self.levels[column])
                # The window's quantiles at the rows' levels (numpy's linear rule, on the sorted draw).
                positions = self.levels[column][present] * (len(values) - 1)
                after[present] = np.interp(positions, np.arange(len(values)), values)
                changed.append((column, None, self._rows(column, after)))
            else:
                own = self.held_out[column].to_numpy(dtype=object)
                changed.append(
                    (column, self._rows(column, rng.permutation(own)), self._rows(column, rng.choice(values, len(own))))
                )
        blocks = [rows for _, before, after in changed for rows in (before, after) if rows is not None]
        if not blocks:
            return {}
        predicted = iter(np.split(self.surrogate.predict(np.vstack(blocks)), len(blocks)))
        moved = {}
        for column, before, _ in changed:
            outputs = self.outputs if before is None else next(predicted)
            # Wasserstein distance between two samples of one size: the mean gap of their sorted values.
            gap = np.abs(np.sort(outputs) - np.sort(next(predicted))).mean()
            moved[column] = float(gap / self.scale)
        return moved

    def _rows(self, column: str, values: np.ndarray) -> np.ndarray:
        """The held-out rows, encoded, with `column` taking `values`."""
        frame = self.held_out.copy()
        frame[column] = values
        return self.encoder.matrix(frame)


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
    # Small: every drifted column costs a prediction of the held-out rows in each run.
    surrogate = HistGradientBoostingRegressor(max_iter=50, learning_rate=0.2, max_leaf_nodes=15, random_state=seed)
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
        {column: _levels(held[column]) for column, kind in kinds.items() if kind == "numerical"},
    )


def _drawn(values: pd.Series, rng: np.random.Generator, *, numerical: bool) -> np.ndarray:
    """The column's present values, or a draw of WINDOW_VALUES of them (quantiles and category shares of
    10,000 values are as good as of all, and cost less)."""
    every = values.to_numpy(dtype=float if numerical else object)
    if len(every) > WINDOW_VALUES:
        every = every[rng.integers(0, len(every), WINDOW_VALUES)]
    present = ~np.isnan(every) if numerical else ~pd.isna(every)
    return every[present]


def _levels(own: pd.Series) -> np.ndarray:
    """Each value's quantile level among `own`, (rank - 0.5) / count; missing stays missing."""
    values = own.to_numpy(dtype=float)
    present = ~np.isnan(values)
    levels = np.full(len(values), np.nan)
    levels[present] = (stats.rankdata(values[present]) - 0.5) / present.sum()
    return levels
