"""Realized model quality of labelled rows, with scikit-learn's definitions: one formula for a window's figures,
for the reference bands they are compared with, and for judging estimates.

binary: accuracy, precision, recall, f1 from the decided class; roc_auc and log_loss from the score (both
classes needed). multiclass: accuracy, macro precision/recall/f1, one-vs-rest macro roc_auc and log_loss
from the class probabilities (every class present needed for roc_auc). regression: mae, rmse, mape (in
percent, as Evidently), r2.

Binary figures are counted with numpy (equal to scikit-learn's, tested so): the bands and sampling errors take
them hundreds of times per reference, and scikit-learn's input checks cost more than the sums.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn import metrics as sk

from monitor.performance.expected import expected_auc
from monitor.performance.outcomes import Labelled, normalised

BINARY = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss")
MULTICLASS = BINARY
REGRESSION = ("mae", "rmse", "mape", "r2")


def names(task: str | None) -> tuple[str, ...]:
    if task == "regression":
        return REGRESSION
    return BINARY if task == "binary_classification" else MULTICLASS if task else ()


def realized(data: Labelled, metrics: tuple[str, ...] | None = None) -> dict[str, float]:
    """The metrics that are defined for these rows (each as a float); the others are left out."""
    if len(data) == 0:
        return {}
    formulas = _formulas(data)
    wanted = metrics or tuple(formulas)
    values = {}
    for name in wanted:
        formula = formulas.get(name)
        if formula is None:
            continue
        value = float(formula())
        if np.isfinite(value):
            values[name] = value
    return values


def _formulas(data: Labelled) -> dict[str, Callable[[], float]]:
    outputs, truth = data.outputs, data.truth
    if outputs.task == "regression":
        predicted = outputs.decided
        errors = np.abs(truth - predicted)
        formulas: dict[str, Callable[[], float]] = {
            "mae": lambda: errors.mean(),
            "rmse": lambda: np.sqrt((errors**2).mean()),
            "mape": lambda: _mape(errors, truth),
        }
        if len(truth) >= 2:
            formulas["r2"] = lambda: sk.r2_score(truth, predicted)
        return formulas
    if outputs.task == "binary_classification":
        return _binary(outputs.decided, outputs.scores if outputs.probabilities else None, outputs.scores, truth)
    decided = outputs.decided
    formulas = {}
    if decided is not None:
        formulas = {
            "accuracy": lambda: sk.accuracy_score(truth, decided),
            "precision": lambda: sk.precision_score(truth, decided, average="macro", zero_division=0),
            "recall": lambda: sk.recall_score(truth, decided, average="macro", zero_division=0),
            "f1": lambda: sk.f1_score(truth, decided, average="macro", zero_division=0),
        }
    scores = outputs.scores
    if scores is None:
        return formulas
    present = set(truth.tolist())
    if not outputs.probabilities:
        return formulas
    # scikit-learn takes the probability columns in the sorted order of the class names.
    order = sorted(range(len(outputs.classes)), key=lambda k: outputs.classes[k])
    classes, ordered = [outputs.classes[k] for k in order], normalised(scores)[:, order]
    if present <= set(classes):
        formulas["log_loss"] = lambda: sk.log_loss(truth, ordered, labels=classes)
        if present == set(classes):
            formulas["roc_auc"] = lambda: sk.roc_auc_score(
                truth, ordered, multi_class="ovr", average="macro", labels=classes
            )
    return formulas


def _binary(
    decided: np.ndarray | None, probabilities: np.ndarray | None, scores: np.ndarray | None, truth: np.ndarray
) -> dict[str, Callable[[], float]]:
    positive = truth == 1
    formulas: dict[str, Callable[[], float]] = {}
    if decided is not None:
        said = decided == 1
        tp = float(np.count_nonzero(said & positive))
        fp = float(np.count_nonzero(said & ~positive))
        fn = float(np.count_nonzero(~said & positive))
        formulas = {
            "accuracy": lambda: float(np.mean(said == positive)),
            "precision": lambda: tp / (tp + fp) if tp + fp else 0.0,
            "recall": lambda: tp / (tp + fn) if tp + fn else 0.0,
            "f1": lambda: 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0,
        }
    positives = int(np.count_nonzero(positive))
    if scores is None or positives in (0, len(truth)):
        return formulas
    formulas["roc_auc"] = lambda: expected_auc(scores, positive.astype(float))  # with labels as certainties
    if probabilities is not None:
        formulas["log_loss"] = lambda: _log_loss(probabilities, positive)
    return formulas


def _log_loss(probabilities: np.ndarray, positive: np.ndarray) -> float:
    eps = np.finfo(probabilities.dtype).eps
    p = np.clip(probabilities, eps, 1 - eps)
    return float(-np.mean(np.where(positive, np.log(p), np.log1p(-p))))


def _mape(errors: np.ndarray, truth: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.mean(errors / np.abs(truth)) * 100)


def confusion(data: Labelled) -> tuple[list[str], np.ndarray] | None:
    """(classes, counts[truth, decided]) for a classifier's labelled rows."""
    if data.outputs.task == "regression" or len(data) == 0 or data.outputs.decided is None:
        return None
    if data.outputs.task == "binary_classification":
        labels = [0, 1]
    else:
        labels = sorted({*data.truth.tolist(), *data.outputs.decided.tolist(), *data.outputs.classes}, key=str)
    matrix = sk.confusion_matrix(data.truth, data.outputs.decided, labels=labels)
    return [str(label) for label in labels], matrix
