"""What "no drift" looks like for each column, learnt from the reference itself.

Wasserstein: for a window of n rows, pieces of n rows are drawn from the reference and each is
compared with the whole reference: under no drift the current window is just such a piece, except
that it is independent of the reference, which widens the spread by a known factor (see numerical_nulls).
A log-normal fitted to these values (its right tail is heavy on skewed data) gives the threshold at
any false-alarm level. Jensen-Shannon: multinomial draws from the reference's shares, fitted by a gamma.

Tails: samples of n rows are drawn from the reference's tails alone (see Uniforms), many of them,
and each tail statistic's bias, spread, skewness and kurtosis are measured (see TailNull).

Statistics shrink as 1/sqrt(n), so a null learnt at n0 rows serves any window of
n >= n0 rows, scaled; windows smaller than the cap are calibrated at their size.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from monitor.drift.statistics import (
    TAIL_STATISTICS,
    js_distance,
    sample_tail_statistics,
    sorted_quantile,
    tail_bounds,
    tail_shares,
    tail_statistics,
)

REPLICATES = 200
# The tails need more replicates: their thresholds depend on a skewness, which 200 replicates would leave
# uncertain by +-0.17 (a threshold moved by +-0.5 std). They are cheap: only the tails of each sample are drawn.
TAIL_REPLICATES = 4000
MAX_SKEW = 0.5  # beyond these the Cornish-Fisher terms are no longer a fair guide
MAX_KURTOSIS = 0.5
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
            quantile = float(np.exp(self.shape + self.scale * normal_quantile(1 - alpha)))
        else:
            quantile = _gamma_quantile(1 - alpha, self.shape, self.scale)
        if not scaled:
            return quantile
        # From (rows0 vs m) to (rows vs m): the variance goes as 1/n + 1/m.
        return quantile * _scale(self.rows, rows, self.reference_rows)


@dataclass(frozen=True)
class TailNull:
    """The no-drift spread of the tail statistics (statistics.tail_statistics) for windows of `rows` rows.

    Each statistic's move is studentised (centred on its no-drift bias, divided by its no-drift spread), so a
    thin tail weighs as much as a heavy one. Tail statistics are means of many values, close to normal but
    skewed where the tail is (a mean of 50 values from an exponential tail has a skewness of about 0.3, which
    at the thresholds used here makes one side 20 times likelier to be passed than a normal law says), so
    each side's threshold is moved by the Cornish-Fisher terms of its measured skewness and (where positive)
    excess kurtosis; the latter matters with many columns, where each statistic is tested near 1e-6.
    `heaviness` (>= 1) widens all of them where the replicates show heavier tails than that still.
    """

    shares: tuple[float, ...]  # the tails tested (see statistics.tail_shares)
    bounds: np.ndarray  # where the reference's tails start (statistics.tail_bounds)
    reference_tails: np.ndarray  # the reference's own tail statistics
    bias: np.ndarray  # mean (sample statistic - reference statistic) at `rows` rows
    spread: np.ndarray  # its std at `rows` rows, widened for the reference's own noise
    skew: np.ndarray  # its skewness at `rows` rows
    kurtosis: np.ndarray  # its excess kurtosis at `rows` rows, where positive (0 where not)
    heaviness: float
    rows: int
    reference_rows: int

    def studentised(self, moves: np.ndarray, rows: int) -> np.ndarray:
        """Signed moves in no-drift standard deviations (a bias of order 1/n shrinks as such)."""
        return (moves - self.bias * (self.rows / rows)) / (self.spread * _scale(self.rows, rows, self.reference_rows))

    def limits(self, alpha: float, rows: int, z: np.ndarray) -> np.ndarray:
        """The threshold of each statistic on the side its studentised move `z` is on, for a family-wise
        false-alarm rate of alpha over all of them."""
        t = normal_quantile(1 - alpha / (2 * len(self.spread)))
        skew = np.clip(self.skew * np.sqrt(self.rows / rows), -MAX_SKEW, MAX_SKEW) * np.where(z < 0, -1, 1)
        kurtosis = np.clip(self.kurtosis * (self.rows / rows), 0, MAX_KURTOSIS)
        cornish_fisher = (
            t + (t * t - 1) * skew / 6 + (t**3 - 3 * t) * kurtosis / 24 - (2 * t**3 - 5 * t) * skew * skew / 36
        )
        return np.maximum(cornish_fisher, t / 2) * self.heaviness


@functools.lru_cache(maxsize=4096)
def normal_quantile(q: float) -> float:
    """stats.norm.ppf(q), remembered: a run asks for the same few quantiles (its alpha) column after column, and
    scipy's distribution machinery costs about 0.3 ms a call."""
    return float(stats.norm.ppf(q))


@functools.lru_cache(maxsize=4096)
def _gamma_quantile(q: float, shape: float, scale: float) -> float:
    return float(stats.gamma.ppf(q, shape, scale=scale))


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


@dataclass(frozen=True)
class Uniforms:
    """Sorted uniform order statistics for calibrating at `rows` rows. Mapped by position through a sorted
    reference they become samples drawn from it (with replacement), so one set serves every column and every
    segment calibrated at that many rows in a run: drawing them is most of a calibration's cost.

    The order statistics of n uniforms are the running sums of n + 1 exponential gaps over their total (Renyi):
    samples come out sorted, and a sample's tails are drawn without the rest of it (the gaps at each end and
    one gamma draw for the middle)."""

    rows: int
    pieces: np.ndarray  # (REPLICATES, rows): each line one sample's positions in [0, 1), ascending
    lowest: np.ndarray  # (TAIL_REPLICATES, reach): the lowest `reach` positions of larger numbers of samples
    highest: np.ndarray  # their highest `reach`, descending


def draw_uniforms(rows: int, rng: np.random.Generator) -> Uniforms:
    n0 = calibration_rows(rows)
    gaps = rng.standard_exponential((REPLICATES, n0 + 1)).cumsum(axis=1)
    pieces = gaps[:, :-1] / gaps[:, -1:]
    shares = tail_shares(n0)
    if not shares:
        return Uniforms(n0, pieces, np.zeros((0, 0)), np.zeros((0, 0)))
    # Enough of each end for the largest tail, and for the values beyond a bound up to 6 std more than usual.
    widest = max(1, round(n0 * max(shares)))
    reach = max(1, min(widest + int(6 * np.sqrt(widest)) + 10, n0 // 2))
    low_gaps = rng.standard_exponential((TAIL_REPLICATES, reach)).cumsum(axis=1)
    high_gaps = rng.standard_exponential((TAIL_REPLICATES, reach)).cumsum(axis=1)
    middle = rng.standard_gamma(n0 + 1 - 2 * reach, (TAIL_REPLICATES, 1)) if n0 + 1 > 2 * reach else 0.0
    total = low_gaps[:, -1:] + high_gaps[:, -1:] + middle
    return Uniforms(n0, pieces, low_gaps / total, 1 - high_gaps / total)


class SharedUniforms:
    """One set of Uniforms per calibration row count, for the calibrations of one run's segments; dropped with
    the run. Seeded from the run's seed and the row count alone, so a re-evaluation reproduces them."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._sets: dict[int, Uniforms] = {}
        self._lock = threading.Lock()  # a run's columns are calibrated in threads (monitor/parallel.py)

    def get(self, rows: int) -> Uniforms:
        n0 = calibration_rows(rows)
        with self._lock:
            if n0 not in self._sets:
                self._sets[n0] = draw_uniforms(n0, np.random.default_rng([self._seed, n0]))
            return self._sets[n0]


def _at(sorted_reference: np.ndarray, positions: np.ndarray) -> np.ndarray:
    m = len(sorted_reference)
    return sorted_reference[np.minimum((positions * m).astype(np.int64), m - 1)]


def calibration_rows(rows: int) -> int:
    return max(2, min(rows, MAX_CALIBRATION_ROWS))


def tail_null(sorted_reference: np.ndarray, reference_std: float, uniforms: Uniforms) -> TailNull:
    """The tail statistics' no-drift bias, spread, skewness and kurtosis for windows of `uniforms.rows` rows."""
    m = len(sorted_reference)
    n0 = uniforms.rows
    shares = tail_shares(n0)
    bounds = tail_bounds(sorted_reference, shares)
    reference_tails = sample_tail_statistics(sorted_reference, shares, bounds)
    lowest, highest = _at(sorted_reference, uniforms.lowest), _at(sorted_reference, uniforms.highest)
    moves = tail_statistics(lowest, highest, n0, shares, bounds) - reference_tails
    bias = moves.mean(axis=0)
    centred = moves - bias
    variance = (centred**2).mean(axis=0)
    untestable = variance <= 0
    # A window is independent of the reference, whose own statistic is as noisy at m rows.
    spread = np.sqrt(variance) * np.sqrt(1 + n0 / m)
    # A tail mean that never moves is a tail of one value: any move is news. An excess never seen is a bound
    # with nothing beyond it in the reference (ties at the edge): it says nothing.
    excess = np.array([name.startswith("excess") for name in TAIL_STATISTICS] * len(shares))
    spread = np.where(untestable, np.where(excess, np.inf, reference_std * 1e-6), spread)
    with np.errstate(divide="ignore", invalid="ignore"):
        skew = np.where(untestable, 0.0, (centred**3).mean(axis=0) / variance**1.5)
        # Only a heavier tail than normal widens a threshold; a negative estimate is mostly noise.
        kurtosis = np.where(untestable, 0.0, np.maximum((centred**4).mean(axis=0) / variance**2 - 3, 0.0))
    null = TailNull(shares, bounds, reference_tails, bias, spread, skew, kurtosis, 1.0, n0, m)
    # Heavier than the skewness and kurtosis account for: how far the replicates pass the 1% family-wise limits.
    z = centred / spread
    ratios = np.abs(z) / null.limits(0.01, n0, z)
    return replace(null, heaviness=max(1.0, float(np.quantile(ratios.max(axis=1), 0.99))))


def numerical_nulls(
    sorted_reference: np.ndarray, reference_std: float, uniforms: Uniforms
) -> tuple[NullModel, TailNull | None]:
    """(Wasserstein, tail) null models for windows of `uniforms.rows` rows; no tail model for windows too small
    to test their tails (statistics.tail_shares).

    Wasserstein: each sample is drawn from the reference it is compared with, as a fresh window never is: its
    spread goes as 1/n instead of the window's 1/n + 1/m, hence the widening by sqrt(1 + n / m)."""
    m = len(sorted_reference)
    n0 = uniforms.rows
    grid = (np.arange(n0) + 0.5) / n0
    reference_at_grid = sorted_quantile(sorted_reference, grid)
    draws = _at(sorted_reference, uniforms.pieces)
    # W1 between two distributions is the mean distance between their quantile functions.
    wasserstein = np.abs(draws - reference_at_grid).mean(axis=1) / reference_std * np.sqrt(1 + n0 / m)
    tails = tail_null(sorted_reference, reference_std, uniforms) if tail_shares(n0) else None
    return _fit_lognormal(wasserstein, n0, m), tails


def categorical_null(
    reference_shares: np.ndarray, reference_rows: int, rows: int, rng: np.random.Generator
) -> NullModel:
    n0 = calibration_rows(rows)
    counts = rng.multinomial(n0, reference_shares, size=REPLICATES)
    inflation = np.sqrt(1 + n0 / reference_rows)
    values = np.array([js_distance(c / n0, reference_shares) for c in counts]) * inflation
    return _fit(values, n0, reference_rows)
