"""Data reconstruction error: how well a PCA learnt on the reference rebuilds a window's rows.

Rows are encoded (encoding.py) and half the reference fits a PCA. It keeps the major components and leaves
out the minor ones, the directions the reference's rows hardly move in: where columns move together (two
correlated columns, a column that is the sum of two others), the direction across them is such a minor
component. A row's error is what the kept components fail to rebuild, each left-out component's part
divided by the variance it had on the reference, so a constraint the reference kept tightly weighs as much
as a loose one (unweighted, a weakened correlation drowns in the loose components' noise: a correlation of
0.6 falling to 0.4 went unseen at 5,000 rows). The other half of the reference, which the PCA never saw,
shows what rebuilding unseen rows costs when nothing changed: a window's score is its rows' mean error, and
its threshold that half's mean plus as many standard errors of a mean of the window's row count as the
false-alarm rate asks (with the Cornish-Fisher terms of the errors' skewness and kurtosis: squared errors
are skewed). When columns stop moving together, rows leave the space the PCA learnt and the error grows,
even when every column's own distribution stays where it was.

Each column's share of a window's extra error says where to look.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.decomposition import PCA

from monitor import parallel
from monitor.drift.calibration import normal_quantile
from monitor.multivariate.encoding import Encoder, learn_encoder

# The share of components left out (the minor ones, at least one): where a reference's constraints are.
MINOR_SHARE = 1 / 3
MIN_ROWS = 200
# Rows a thread rebuilds at least at once: fewer would spend more on hand-offs than on the products.
CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class Reconstruction:
    encoder: Encoder
    pca: PCA  # every component, major first
    minor: int  # how many of the last components are left out of the rebuilding
    mean: float  # the mean row error on held-out reference rows
    std: float
    skew: float
    kurtosis: float  # excess, where positive
    held_out_rows: int
    column_means: np.ndarray  # each column's mean error on the held-out rows

    def errors(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Each row's reconstruction error (per left-out component, about 1 when nothing changed), and each
        column's share of it (rows x columns). Rows are done in chunks, side by side where threads are free:
        each row's figures are the same whatever the chunk (tests/unit/test_parallel.py)."""
        count = parallel.threads()
        size = max(CHUNK_ROWS, -(-len(frame) // count))
        chunks = [frame.iloc[start : start + size] for start in range(0, max(len(frame), 1), size)]
        parts = parallel.map_ordered(self._chunk_errors, chunks, work=len(frame) * len(self.encoder.columns))
        if len(parts) == 1:
            return parts[0]
        return np.concatenate([e for e, _ in parts]), np.concatenate([b for _, b in parts])

    def _chunk_errors(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        x = self.encoder.matrix(frame) - self.pca.mean_
        components = self.pca.components_[-self.minor :]
        variances = np.maximum(self.pca.explained_variance_[-self.minor :], 1e-12)
        # The residual in whitened units, back in the encoded columns: its squares sum to the row's error.
        residual = (x @ components.T / np.sqrt(variances)) @ components
        by_column = _by_column(residual**2, self.encoder) / self.minor
        return by_column.sum(axis=1), by_column

    def threshold(self, alpha: float, rows: int) -> float:
        """The score a window of `rows` rows passes with probability alpha when nothing changed."""
        z = normal_quantile(1 - alpha)
        skew = self.skew / np.sqrt(rows)
        kurtosis = self.kurtosis / rows
        cornish_fisher = z + (z * z - 1) * skew / 6 + (z**3 - 3 * z) * kurtosis / 24 - (2 * z**3 - 5 * z) * skew**2 / 36
        # The window's mean is compared with a mean measured on held_out_rows rows: both are noisy.
        spread = self.std * np.sqrt(1 / rows + 1 / self.held_out_rows)
        return self.mean + max(cornish_fisher, z) * spread


def fit_reconstruction(
    reference: pd.DataFrame, numerical: tuple[str, ...], categorical: tuple[str, ...], *, seed: int
) -> Reconstruction | str:
    """A reconstruction learnt on half the reference and judged on the other half; a reason when it cannot be."""
    encoder = learn_encoder(reference, numerical, categorical)
    if len(encoder.columns) < 2:
        usable = ", ".join(encoder.columns) or "none"
        left = (
            f" ({', '.join(encoder.left_out)} never vary or are all missing in the reference)"
            if encoder.left_out
            else ""
        )
        return (
            f"multivariate drift needs at least two usable feature columns; usable: {usable}{left} (it takes "
            "numerical and categorical features only: never identifiers, dates, free text or embeddings)"
        )
    if len(reference) < 2 * MIN_ROWS:
        return f"multivariate drift needs at least {2 * MIN_ROWS} reference rows (it has {len(reference)})"
    order = np.random.default_rng(seed).permutation(len(reference))
    fit_rows, held_out = np.sort(order[: len(order) // 2]), np.sort(order[len(order) // 2 :])
    x = encoder.matrix(reference)
    pca = PCA(svd_solver="full", random_state=seed).fit(x[fit_rows])
    minor = max(1, round(pca.n_components_ * MINOR_SHARE))
    probe = Reconstruction(encoder, pca, minor, 0.0, 0.0, 0.0, 0.0, len(held_out), np.zeros(0))
    errors, by_column = probe.errors(reference.iloc[held_out])
    return Reconstruction(
        encoder,
        pca,
        minor,
        float(errors.mean()),
        float(errors.std(ddof=1)),
        float(stats.skew(errors)),
        max(float(stats.kurtosis(errors)), 0.0),
        len(held_out),
        by_column.mean(axis=0),
    )


@dataclass(frozen=True)
class ReconstructionVerdict:
    score: float
    threshold: float
    detected: bool
    effect: float  # the score's rise over the no-drift mean, as a share of it
    contributions: list[tuple[str, float]]  # (column, share of the extra error), largest first


def judge(model: Reconstruction, frame: pd.DataFrame, *, alpha: float, min_effect: float) -> ReconstructionVerdict:
    errors, by_column = model.errors(frame)
    score = float(errors.mean())
    threshold = model.threshold(alpha, len(frame))
    effect = score / model.mean - 1 if model.mean > 0 else 0.0
    extra = np.maximum(by_column.mean(axis=0) - model.column_means, 0.0)
    total = float(extra.sum())
    shares = [
        (column, float(e / total) if total > 0 else 0.0) for column, e in zip(model.encoder.columns, extra, strict=True)
    ]
    shares.sort(key=lambda item: -item[1])
    return ReconstructionVerdict(score, threshold, score > threshold and effect >= min_effect, effect, shares)


def _by_column(squared: np.ndarray, encoder: Encoder) -> np.ndarray:
    parts, start = [], 0
    for _, width in encoder.dimensions:
        parts.append(squared[:, start : start + width].sum(axis=1))
        start += width
    return np.column_stack(parts) if parts else np.zeros((len(squared), 0))
