"""Domain classifier: can gradient-boosted trees tell a window's rows from the reference's?

Rows of both (each side sampled down to MAX_ROWS_PER_SIDE, seeded) are encoded as for the reconstruction,
and scikit-learn's histogram gradient boosting is cross-validated on them: the score is the out-of-fold ROC
AUC of "this row is from the window". When nothing changed, every fold's model is fitted on rows whose side
says nothing, so the held-out rows' AUC is a Mann-Whitney statistic of independent scores: its no-drift
spread is known from the two sides' sizes, and the threshold is 0.5 plus as many of those spreads as the
false-alarm rate asks (NannyML uses a fixed 0.65, which misses mild changes and, on small windows, is passed
by chance). Each column's share of the model's held-out permutation importance (explain/importance.py) says where
to look.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from monitor.drift.calibration import normal_quantile
from monitor.explain.importance import permutation_importance
from monitor.multivariate.encoding import Encoder

MAX_ROWS_PER_SIDE = 5000
FOLDS = 5


@dataclass(frozen=True)
class ClassifierVerdict:
    score: float  # out-of-fold ROC AUC
    threshold: float
    detected: bool
    contributions: list[tuple[str, float]]  # (column, share of the importance), largest first


def null_threshold(alpha: float, window_rows: int, reference_rows: int) -> float:
    """0.5 plus z standard deviations of a Mann-Whitney AUC between samples of these sizes."""
    n1, n2 = window_rows, reference_rows
    spread = np.sqrt((n1 + n2 + 1) / (12 * n1 * n2))
    return 0.5 + normal_quantile(1 - alpha) * float(spread)


def judge(
    encoder: Encoder,
    reference: pd.DataFrame,
    window: pd.DataFrame,
    *,
    alpha: float,
    min_effect: float,
    seed: int,
) -> ClassifierVerdict:
    rng = np.random.default_rng(seed)
    ref = _sample(reference, rng)
    cur = _sample(window, rng)
    x = np.vstack([encoder.matrix(ref), encoder.matrix(cur)])
    y = np.r_[np.zeros(len(ref)), np.ones(len(cur))]
    scores = np.zeros(len(y))
    importances = np.zeros(len(encoder.columns))
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    for train, test in folds.split(x, y):
        model = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_leaf_nodes=31, random_state=seed)
        model.fit(x[train], y[train])
        scores[test] = model.predict_proba(x[test])[:, 1]
        importances += permutation_importance(
            lambda rows, fitted=model: fitted.predict_proba(rows)[:, 1],
            x[test],
            y[test],
            [width for _, width in encoder.dimensions],
            roc_auc_score,
            rng,
        )
    auc = float(roc_auc_score(y, scores))
    threshold = null_threshold(alpha, len(cur), len(ref))
    total = float(np.maximum(importances, 0).sum())
    shares = [
        (column, float(max(value, 0) / total) if total > 0 else 0.0)
        for column, value in zip(encoder.columns, importances, strict=True)
    ]
    shares.sort(key=lambda item: -item[1])
    return ClassifierVerdict(auc, threshold, auc > threshold and auc - 0.5 >= min_effect, shares)


def _sample(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    if len(frame) <= MAX_ROWS_PER_SIDE:
        return frame
    return frame.iloc[np.sort(rng.choice(len(frame), MAX_ROWS_PER_SIDE, replace=False))]
