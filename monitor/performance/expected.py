"""A classifier's expected quality on rows without labels, from calibrated probabilities. Pure.

Each row's label is taken as a coin that lands positive with its calibrated probability q. The expected
confusion matrix follows from the decided classes (TP = sum of q over rows decided positive, FP = sum of
1 - q there, FN = sum of q over rows decided negative, ...), and accuracy, precision, recall and f1 from it.
The expected ROC AUC is the area under the expected ROC curve: the rows ordered by the model's own score,
each threshold's expected true- and false-positive rates (a row's pair with itself counts as a tie; counting
pairs of distinct rows only was measured a hair further from the realized AUC, bench/README.md).
Multiclass: one-vs-rest per class, macro averaged, as the realized figures are.
"""

from __future__ import annotations

import numpy as np


def binary(decided: np.ndarray, probabilities: np.ndarray, scores: np.ndarray | None) -> dict[str, float]:
    q = probabilities
    positive = decided == 1
    tp, fp = float(q[positive].sum()), float((1 - q[positive]).sum())
    fn, tn = float(q[~positive].sum()), float((1 - q[~positive]).sum())
    values = {"accuracy": (tp + tn) / len(q), **_rates(tp, fp, fn)}
    if scores is not None:
        auc = expected_auc(scores, q)
        if auc is not None:
            values["roc_auc"] = auc
    return values


def multiclass(
    decided: np.ndarray, probabilities: np.ndarray, scores: np.ndarray, classes: tuple[str, ...]
) -> dict[str, float]:
    """`probabilities`: calibrated, rows summing to 1; `scores`: the model's own, ordering each class's rows."""
    rows = np.arange(len(decided))
    column = {name: k for k, name in enumerate(classes)}
    chosen = np.array([column.get(d, -1) for d in decided])
    known = chosen >= 0
    accuracy = float(probabilities[rows[known], chosen[known]].sum() / len(decided))
    per_class = []
    aucs = []
    for k in range(len(classes)):
        q = probabilities[:, k]
        mine = chosen == k
        tp, fp, fn = float(q[mine].sum()), float((1 - q[mine]).sum()), float(q[~mine].sum())
        per_class.append(_rates(tp, fp, fn))
        aucs.append(expected_auc(scores[:, k], q))
    values = {"accuracy": accuracy}
    for name in ("precision", "recall", "f1"):
        values[name] = float(np.mean([c[name] for c in per_class]))
    if all(a is not None for a in aucs):
        values["roc_auc"] = float(np.mean(aucs))
    return values


def _rates(tp: float, fp: float, fn: float) -> dict[str, float]:
    """As scikit-learn with zero_division=0: a ratio with nothing under it is 0."""
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp > 0 else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def expected_auc(scores: np.ndarray, q: np.ndarray) -> float | None:
    """The area under the ROC curve of expected rates: sum over rows of q * (expected negatives scored lower
    + half those scored the same, itself included), over (sum of q) * (sum of 1 - q)."""
    n = len(scores)
    if n < 2:
        return None
    order = np.argsort(scores, kind="stable")
    s, p = scores[order], q[order]
    negative = 1 - p
    # For each row: the expected negatives strictly below its score, and within its tie group.
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, n]))
    below_groups = np.r_[0.0, np.cumsum(np.add.reduceat(negative, starts))[:-1]]
    tied = np.add.reduceat(negative, starts)[group]  # its tie group, itself included
    right = float(np.sum(p * (below_groups[group] + 0.5 * tied)))
    pairs = float(p.sum() * negative.sum())
    if pairs <= 0:
        return None
    return right / pairs
