"""Drift of an embedding as a whole: can a classifier tell the window's vectors from the reference's?

Per-dimension tests miss what embeddings usually do: the latent moves along a direction in which the
reference varies little, so no single dimension moves by more than a fraction of its spread. So the reference
is learnt once: each dimension standardised and the principal axes found on one part of it (the fit part), and
the vectors expressed on those axes scaled to unit spread ("whitened"), where a move along a quiet axis is as
large as it really is. A logistic regression on the whitened coordinates, the squares of the largest (a
moved mean, a changed spread) and, for an embedding wider than the axes kept, its energy beyond them, learns
on half of a held-back part of the reference and half of the window (each side sampled) and is judged on the
other halves: the score is its ROC AUC of "this vector is from the window".
With no drift the judged halves' scores come from one model that never saw them, so that AUC is a
Mann-Whitney statistic whose spread is known from the two sizes, and the threshold comes from
monitor.multivariate.classifier.null_threshold. (Cross-fitting would score every row, but its pooled
out-of-fold AUC is not that statistic: folds fitted on each other's rows share their chance patterns, and its
no-drift spread came out 1.3 times the Mann-Whitney one, with 8 % false alarms at a nominal 5 %.) Neither the
axes nor the classifier ever judge the rows they were fitted on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from monitor.errors import DataError
from monitor.multivariate.classifier import null_threshold

METHOD = "embedding classifier (calibrated)"
MAX_FIT_ROWS = 5000  # reference rows the axes are learnt on
MAX_ROWS_PER_SIDE = 5000  # rows of each side the classifier sees
MAX_AXES = 256  # axes whitened; what a wider embedding holds beyond them is judged by its energy alone
SQUARED_AXES = 64  # the largest axes whose squares (a changed spread) the classifier also sees
MIN_ROWS = 20  # complete vectors a side needs to be judged at all
_FLAT = 1e-9  # an axis with less than this share of the largest axis's variance is taken as flat


@dataclass(frozen=True, eq=False)
class EmbeddingReference:
    """What is kept of the reference's vectors: the standardisation and axes learnt on the fit part, and the
    held-back part (never used for fitting) in whitened coordinates."""

    dims: int
    mean: np.ndarray  # (dims,) of the fit part
    scale: np.ndarray  # (dims,) standard deviation of the fit part, 1 where a dimension is flat
    axes: np.ndarray  # (k, dims) principal axes of the standardised fit part, largest first
    spreads: np.ndarray  # (k,) standard deviation along each axis
    # Mean and std of the fit part's energy beyond the axes (None when the axes span every dimension): a
    # change along the minor axes of a wide embedding shows there.
    residual: tuple[float, float] | None
    held_back: np.ndarray  # (n, k) the reference rows the classifier and the projection use, whitened
    held_back_features: np.ndarray  # (n, features) what the classifier sees of them
    rows: int  # complete reference vectors, fit part and held-back part

    def whiten(self, matrix: np.ndarray) -> np.ndarray:
        return _whiten(matrix, self.mean, self.scale, self.axes, self.spreads)

    def features(self, matrix: np.ndarray) -> np.ndarray:
        return _features(matrix, self.mean, self.scale, self.axes, self.spreads, self.residual)


@dataclass(frozen=True)
class EmbeddingVerdict:
    score: float  # held-out ROC AUC; NaN when the window has fewer than MIN_ROWS complete vectors
    threshold: float
    detected: bool
    method: str
    effect: float  # AUC - 0.5
    rows: tuple[int, int]  # (window rows used, reference rows used): half of each fits, half is judged


def learn_embedding_reference(matrix: np.ndarray, *, seed: int) -> EmbeddingReference:
    complete = _complete(matrix)
    if len(complete) < 2 * MIN_ROWS:
        raise DataError(
            f"the reference holds {len(complete)} complete vectors of the embedding; judging its drift needs at "
            f"least {2 * MIN_ROWS} (half to learn its axes, half to compare against): widen the reference"
        )
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(complete))
    fit_rows = min(len(complete) // 2, MAX_FIT_ROWS)
    fit = complete[order[:fit_rows]]
    held_back = complete[np.sort(order[fit_rows : fit_rows + MAX_ROWS_PER_SIDE])]
    mean = fit.mean(axis=0)
    spread = fit.std(axis=0)
    scale = np.where(spread > 0, spread, 1.0)
    _, singular, vt = np.linalg.svd((fit - mean) / scale, full_matrices=False)
    variances = singular**2 / max(len(fit) - 1, 1)
    if variances.size == 0 or variances[0] <= 0:
        # Every reference vector is the same: any vector that differs is new, on the plain dimensions.
        axes, spreads = np.eye(matrix.shape[1])[:MAX_AXES], np.ones(min(matrix.shape[1], MAX_AXES))
    else:
        kept = (variances > _FLAT * variances[0]).nonzero()[0][:MAX_AXES]
        axes, spreads = vt[kept], np.sqrt(variances[kept])
    residual = None
    if len(axes) < matrix.shape[1]:
        standardised = (fit - mean) / scale
        energy = _energy_beyond(standardised, standardised @ axes.T)
        residual = (float(energy.mean()), float(energy.std()) if energy.std() > 0 else 1.0)
    return EmbeddingReference(
        matrix.shape[1],
        mean,
        scale,
        axes,
        spreads,
        residual,
        held_back=_whiten(held_back, mean, scale, axes, spreads),
        held_back_features=_features(held_back, mean, scale, axes, spreads, residual),
        rows=len(complete),
    )


def judge_embedding(
    reference: EmbeddingReference, window: np.ndarray, *, alpha: float, min_effect: float, seed: int
) -> EmbeddingVerdict:
    _check_dims(reference, window)
    rng = np.random.default_rng(seed)
    current = _sample(_complete(window), rng)
    ref = reference.held_back
    if len(current) < MIN_ROWS:
        threshold = null_threshold(alpha, len(current), len(ref)) if len(current) else float("nan")
        return EmbeddingVerdict(float("nan"), threshold, False, METHOD, float("nan"), (len(current), len(ref)))
    ref_fit, ref_judged = _halves(reference.held_back_features, rng)
    cur_fit, cur_judged = _halves(reference.features(current), rng)
    model = LogisticRegression(C=1.0, max_iter=300)
    model.fit(np.vstack([ref_fit, cur_fit]), np.r_[np.zeros(len(ref_fit)), np.ones(len(cur_fit))])
    scores = model.decision_function(np.vstack([ref_judged, cur_judged]))
    auc = float(roc_auc_score(np.r_[np.zeros(len(ref_judged)), np.ones(len(cur_judged))], scores))
    threshold = null_threshold(alpha, len(cur_judged), len(ref_judged))
    detected = auc > threshold and auc - 0.5 >= min_effect
    return EmbeddingVerdict(auc, threshold, detected, METHOD, auc - 0.5, (len(current), len(ref)))


def project(
    reference: EmbeddingReference, window: np.ndarray, *, max_points: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Both sides on the reference's two largest axes (in units of the standardised dimensions), each sampled
    to at most max_points; the reference's points are its held-back rows, not the ones the axes were learnt on."""
    _check_dims(reference, window)
    rng = np.random.default_rng(seed)
    held = reference.held_back
    if len(held) > max_points:
        held = held[np.sort(rng.choice(len(held), max_points, replace=False))]
    current = _complete(window)
    if len(current) > max_points:
        current = current[np.sort(rng.choice(len(current), max_points, replace=False))]
    whitened = reference.whiten(current) if len(current) else np.empty((0, len(reference.axes)))
    return _plane(reference, held), _plane(reference, whitened)


def _features(
    matrix: np.ndarray,
    mean: np.ndarray,
    scale: np.ndarray,
    axes: np.ndarray,
    spreads: np.ndarray,
    residual: tuple[float, float] | None,
) -> np.ndarray:
    """What the classifier sees of each vector: its whitened coordinates (a moved mean), the squares of the
    largest ones (a changed spread) and, for a wide embedding, its standardised energy beyond the axes."""
    standardised = (matrix - mean) / scale
    coordinates = standardised @ axes.T
    whitened = coordinates / spreads
    parts = [whitened, whitened[:, :SQUARED_AXES] ** 2 - 1.0]
    if residual is not None:
        energy = _energy_beyond(standardised, coordinates)
        parts.append(((energy - residual[0]) / residual[1])[:, None])
    return np.hstack(parts)


def _energy_beyond(standardised: np.ndarray, coordinates: np.ndarray) -> np.ndarray:
    """Each standardised vector's squared length outside the axes (they are orthonormal)."""
    return np.maximum((standardised**2).sum(axis=1) - (coordinates**2).sum(axis=1), 0.0)


def _halves(matrix: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random half to fit on and the rest to judge."""
    order = rng.permutation(len(matrix))
    return matrix[order[: len(matrix) // 2]], matrix[order[len(matrix) // 2 :]]


def _whiten(
    matrix: np.ndarray, mean: np.ndarray, scale: np.ndarray, axes: np.ndarray, spreads: np.ndarray
) -> np.ndarray:
    return ((matrix - mean) / scale) @ axes.T / spreads


def _plane(reference: EmbeddingReference, whitened: np.ndarray) -> np.ndarray:
    points = np.zeros((len(whitened), 2))
    shown = min(2, whitened.shape[1])
    points[:, :shown] = whitened[:, :shown] * reference.spreads[:shown]
    return points


def _complete(matrix: np.ndarray) -> np.ndarray:
    """The rows with every element a finite number (a missing vector is a row of NaN, or no column at all)."""
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"expected a (rows, dims) matrix, got shape {matrix.shape}")
    if matrix.shape[1] == 0:
        return matrix[:0]
    return matrix[np.isfinite(matrix).all(axis=1)]


def _sample(matrix: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if len(matrix) <= MAX_ROWS_PER_SIDE:
        return matrix
    return matrix[np.sort(rng.choice(len(matrix), MAX_ROWS_PER_SIDE, replace=False))]


def _check_dims(reference: EmbeddingReference, window: np.ndarray) -> None:
    dims = np.shape(window)[1] if np.ndim(window) == 2 else None
    if dims is not None and dims not in (reference.dims, 0):  # 0: every vector of the window is missing
        raise DataError(
            f"the window's vectors have {dims} dimensions where the reference's have {reference.dims}; an "
            "embedding must keep its length: compare it against a reference of the same model"
        )
