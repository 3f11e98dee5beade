"""What "no drift" looks like for each column, learnt from the reference itself.

For a window of n rows, pieces of n rows are drawn from the reference and each is
compared with the whole reference: under no drift the current window is just such
a piece, except that it is independent of the reference, which widens the spread
by a known factor (see _pieces). A
distribution fitted to these values gives the threshold at any false-alarm level:
log-normal for the Wasserstein distance (whose right tail is heavy on skewed data),
gamma for the others.

Statistics shrink as 1/sqrt(n), so a null learnt at n0 rows serves any window of
n >= n0 rows, scaled; windows smaller than the cap are calibrated at their size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from monitor.drift.statistics import js_distance, tail_means, tail_shares

REPLICATES = 200
MAX_CALIBRATION_ROWS = 5000


@dataclass(frozen=True)
class NullModel:
    """The no-drift distribution of one statistic for windows of `rows` rows.

    gamma: shape and scale; lognormal: mean and std of the log (as shape and scale).
    """

    shape: float
    scale: float
    rows: int
    reference_rows: int
    family: str = "gamma"

    def threshold(self, alpha: float, rows: int, *, scaled: bool = True) -> float:
        if self.scale <= 0:
            quantile = 0.0
        elif self.family == "lognormal":
            quantile = float(np.exp(self.shape + self.scale * stats.norm.ppf(1 - alpha)))
        else:
            quantile = float(stats.gamma.ppf(1 - alpha, self.shape, scale=self.scale))
        if not scaled:
            return quantile
        # From (rows0 vs m) to (rows vs m): the variance goes as 1/n + 1/m.
        return quantile * _scale(self.rows, rows, self.reference_rows)


@dataclass(frozen=True)
class TailNull:
    """The tail statistic is studentised: each tail mean's move is divided by its own no-drift spread,
    so a thin tail weighs as much as a heavy one.

    Tail means are close to normal, so the largest of k studentised moves passes
    Phi^-1(1 - alpha/2k) with chance at most alpha; `heaviness` (>= 1) widens that where the
    bootstrap shows heavier tails than normal (few rows in a tail, or few distinct values).
    """

    shares: tuple[float, ...]  # the tails tested (see statistics.tail_shares)
    reference_tails: np.ndarray  # the reference's tail means for those shares
    spread: np.ndarray  # std of (sample tail mean - reference tail mean) at `rows` rows, per tail
    heaviness: float
    rows: int
    reference_rows: int

    def spread_at(self, rows: int) -> np.ndarray:
        return self.spread * _scale(self.rows, rows, self.reference_rows)

    def threshold(self, alpha: float) -> float:
        return float(stats.norm.ppf(1 - alpha / (2 * len(self.spread)))) * self.heaviness


def _scale(calibrated_rows: int, rows: int, reference_rows: int) -> float:
    m = reference_rows
    return float(np.sqrt((1 / rows + 1 / m) / (1 / calibrated_rows + 1 / m)))


def _fit(values: np.ndarray, rows: int, reference_rows: int) -> NullModel:
    mean, var = float(values.mean()), float(values.var())
    if mean <= 0:
        return NullModel(1.0, 0.0, rows, reference_rows)
    if var <= 0:
        var = (mean * 1e-3) ** 2
    return NullModel(mean * mean / var, var / mean, rows, reference_rows)


def _fit_lognormal(values: np.ndarray, rows: int, reference_rows: int) -> NullModel:
    positive = values[values > 0]
    if len(positive) < len(values) // 2:
        return _fit(values, rows, reference_rows)
    logs = np.log(positive)
    return NullModel(float(logs.mean()), max(float(logs.std()), 1e-3), rows, reference_rows, "lognormal")


def _pieces(sorted_reference: np.ndarray, rows: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """REPLICATES sorted pieces of `rows` rows of the reference, and how much to widen their statistics.

    Pieces drawn without replacement are fresh samples of the reference's distribution, extremes
    included (the bootstrap, with replacement, understates how far extremes wander, which matters in
    tails). A piece is part of the reference it is compared with, which narrows the spread by
    (1/n - 1/m) instead of the (1/n + 1/m) of an independent window: hence sqrt((m + n) / (m - n)).
    A reference too small for that (under 4 windows) is bootstrapped.
    """
    m = len(sorted_reference)
    if m >= 4 * rows:
        index = np.stack([rng.choice(m, rows, replace=False) for _ in range(REPLICATES)])
        return np.sort(sorted_reference[index], axis=1), float(np.sqrt((m + rows) / (m - rows)))
    index = rng.integers(0, m, size=(REPLICATES, rows))
    return np.sort(sorted_reference[index], axis=1), float(np.sqrt(1 + rows / m))


def calibration_rows(rows: int) -> int:
    return max(2, min(rows, MAX_CALIBRATION_ROWS))


def numerical_nulls(
    sorted_reference: np.ndarray, reference_std: float, rows: int, rng: np.random.Generator
) -> tuple[NullModel, TailNull]:
    """(Wasserstein, tail) null models for windows of `rows` rows."""
    m = len(sorted_reference)
    n0 = calibration_rows(rows)
    grid = (np.arange(n0) + 0.5) / n0
    reference_at_grid = np.quantile(sorted_reference, grid)
    shares = tail_shares(n0)
    reference_tails = tail_means(sorted_reference, shares)
    draws, inflation = _pieces(sorted_reference, n0, rng)
    # W1 between two distributions is the mean distance between their quantile functions.
    wasserstein = np.abs(draws - reference_at_grid).mean(axis=1) / reference_std * inflation
    sizes = [max(1, round(n0 * share)) for share in shares]
    draw_tails = np.stack(
        [part for k in sizes for part in (draws[:, :k].mean(axis=1), draws[:, -k:].mean(axis=1))], axis=1
    )
    moves = (draw_tails - reference_tails) * inflation
    spread = moves.std(axis=0)
    spread = np.where(spread > 0, spread, reference_std * 1e-6)
    studentised = np.abs(moves / spread).max(axis=1)
    # Measured where the replicates are many enough to say something (their 90th percentile).
    heaviness = max(1.0, float(np.quantile(studentised, 0.9)) / stats.norm.ppf(1 - 0.1 / (2 * len(spread))))
    return _fit_lognormal(wasserstein, n0, m), TailNull(shares, reference_tails, spread, heaviness, n0, m)


def categorical_null(
    reference_shares: np.ndarray, reference_rows: int, rows: int, rng: np.random.Generator
) -> NullModel:
    n0 = calibration_rows(rows)
    counts = rng.multinomial(n0, reference_shares, size=REPLICATES)
    inflation = np.sqrt(1 + n0 / reference_rows)
    values = np.array([js_distance(c / n0, reference_shares) for c in counts]) * inflation
    return _fit(values, n0, reference_rows)
