"""How far a model's probabilities can be trusted: learnt on the reference's labelled rows.

A score is taken as the probability it claims unless a calibration step lowers the calibration error on
reference rows it was not fitted on: isotonic regression is fitted on all folds but one and judged on the one
left out, and is kept when it is better on average and on most folds. (Requiring more than the folds' noise
as well left well-calibrated columns of NannyML's multiclass data uncalibrated, and its estimates a hair
worse; bench/README.md.) The calibrator that serves windows is then fitted on every labelled reference
row; it never judges those rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.isotonic import IsotonicRegression

FOLDS = 5


@dataclass(frozen=True)
class Calibrator:
    method: str  # "none" | "isotonic"
    model: IsotonicRegression | None = None
    held_out_error: float | None = None  # the mean calibration error on held-out rows, of the method chosen
    uncalibrated_error: float | None = None

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        if self.model is None:
            return np.clip(scores, 0.0, 1.0)
        return np.clip(self.model.predict(scores), 0.0, 1.0)


def calibration_error(probabilities: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over equal-count bins: the mean |share of positives - mean probability|,
    weighted by the rows in each bin."""
    order = np.argsort(probabilities, kind="stable")
    parts = np.array_split(order, min(bins, max(1, len(order))))
    total = len(order)
    return float(sum(len(p) * abs(truth[p].mean() - probabilities[p].mean()) for p in parts if len(p)) / total)


def fit_calibrator(scores: np.ndarray, truth: np.ndarray, *, seed: int) -> Calibrator:
    """Isotonic when it helps on held-out rows; the raw score otherwise."""
    folds = _folds(len(scores), seed)
    raw, fitted = [], []
    for index, held_out in enumerate(folds):
        train = np.concatenate([f for k, f in enumerate(folds) if k != index])
        model = _isotonic(scores[train], truth[train])
        raw.append(calibration_error(np.clip(scores[held_out], 0, 1), truth[held_out]))
        fitted.append(calibration_error(model.predict(scores[held_out]), truth[held_out]))
    gain = np.array(raw) - np.array(fitted)
    helps = gain.mean() > 0 and (gain > 0).sum() > len(gain) / 2
    if not helps:
        return Calibrator("none", None, float(np.mean(raw)), float(np.mean(raw)))
    return Calibrator("isotonic", _isotonic(scores, truth), float(np.mean(fitted)), float(np.mean(raw)))


def _isotonic(scores: np.ndarray, truth: np.ndarray) -> IsotonicRegression:
    model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True)
    model.fit(scores, truth.astype(float))
    return model


def _folds(rows: int, seed: int) -> list[np.ndarray]:
    order = np.random.default_rng(seed).permutation(rows)
    return [np.sort(part) for part in np.array_split(order, min(FOLDS, rows))]
