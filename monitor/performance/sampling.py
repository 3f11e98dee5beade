"""How much a realized figure scatters between windows of n rows drawn from the labelled reference, in closed form.

Every figure here is a smooth function of per-row means (accuracy a proportion; precision, recall and f1 ratios
of counts; mae, rmse and mape means of per-row losses; ROC AUC a two-sample U-statistic), so its variance over
windows of n rows is the variance of its per-row influence over the reference, divided by n (the delta method;
for AUC, DeLong's structural components with the U-statistic's exact second-order term). The per-row parts are
learnt once per reference (one sort per class for AUC); a window size then costs a few multiplications.

Windows are drawn as the resampling this replaces drew them: with replacement when a window holds more than half
the reference's rows, without replacement (the finite population correction) otherwise. A figure is left out
where most such windows would not define it (AUC of a window likely to miss a class; mape beside true values of
0), as the resampling left out figures that most of its draws lacked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitor.performance.outcomes import Labelled, normalised


@dataclass(frozen=True)
class Spread:
    """One figure's per-row scatter on the reference: the variance of its influence (the first-order term:
    variance over windows of n rows is `influence / n`), the second-order term of a U-statistic (times 1/n**2),
    and the share of windows defining it as a function of n (`undefined`, below)."""

    influence: float
    second_order: float = 0.0


@dataclass(frozen=True)
class Spreads:
    """What sampling errors of every window size are computed from, learnt once per reference."""

    rows: int  # the reference's labelled rows
    spreads: dict[str, Spread]
    # Per class of the AUC (or per zero-valued truth for mape): shares whose absence leaves the figure undefined.
    auc_class_shares: tuple[float, ...] = ()
    zero_truth_share: float = 0.0

    def errors(self, rows: int) -> dict[str, float]:
        """The standard deviation of each figure over windows of `rows` rows."""
        n = max(rows, 1)
        population = self.rows
        correction = 1.0 if n > population // 2 else max(population - n, 0) / max(population - 1, 1)
        errors = {}
        for name, spread in self.spreads.items():
            if name == "roc_auc" and not _defined_usually(n, self.auc_class_shares):
                continue
            if name == "mape" and (1 - self.zero_truth_share) ** n < 0.5:
                continue
            variance = (spread.influence / n + spread.second_order / n**2) * correction
            errors[name] = float(np.sqrt(max(variance, 0.0)))
        return errors


def learn_spreads(reference: Labelled) -> Spreads:
    outputs, truth = reference.outputs, reference.truth
    rows = len(reference)
    if outputs.task == "regression":
        return _regression(outputs.decided, truth.astype(float))
    if outputs.task == "binary_classification":
        positive = truth == 1
        spreads = {}
        if outputs.decided is not None:
            said = outputs.decided == 1
            spreads.update(_counts(said == positive, [said], [positive]))
        shares: tuple[float, ...] = ()
        if outputs.scores is not None and 0 < np.count_nonzero(positive) < rows:
            influence, second = _auc(outputs.scores, positive)
            spreads["roc_auc"] = Spread(_variance(influence), second)
            shares = (float(positive.mean()), float(1 - positive.mean()))
        return Spreads(rows, spreads, shares)
    classes = outputs.classes
    spreads = {}
    if outputs.decided is not None:
        labels = sorted({*truth.tolist(), *outputs.decided.tolist()}, key=str)
        correct = outputs.decided == truth
        spreads.update(_counts(correct, [outputs.decided == c for c in labels], [truth == c for c in labels]))
    shares = ()
    present = set(truth.tolist())
    if outputs.scores is not None and outputs.probabilities and present == set(classes):
        scores = normalised(outputs.scores)
        parts = [_auc(scores[:, k], truth == c) for k, c in enumerate(classes)]
        influence = np.mean([p[0] for p in parts], axis=0)
        second = float(np.mean([p[1] for p in parts])) / len(classes)
        spreads["roc_auc"] = Spread(_variance(influence), second)
        shares = tuple(float(np.mean(truth == c)) for c in classes)
    return Spreads(rows, spreads, shares)


def _counts(correct: np.ndarray, decided: list[np.ndarray], actual: list[np.ndarray]) -> dict[str, Spread]:
    """Accuracy, and precision, recall and f1 (macro over the classes given: binary figures are of class 1
    alone) from one indicator per class of what was decided and what was true. Each ratio x/y of counts has
    influence (x - ratio * y) / mean(y)."""
    spreads = {"accuracy": Spread(_variance(correct.astype(float)))}
    k = len(decided)
    for name in ("precision", "recall", "f1"):
        influence = np.zeros(len(correct))
        for said, true in zip(decided, actual, strict=True):
            hit = (said & true).astype(float)
            if name == "precision":
                x, y = hit, said.astype(float)
            elif name == "recall":
                x, y = hit, true.astype(float)
            else:
                x, y = 2 * hit, said.astype(float) + true.astype(float)
            if y.mean() > 0:  # a ratio with nothing under it is 0 in every window: no scatter
                influence += (x - x.mean() / y.mean() * y) / y.mean()
        spreads[name] = Spread(_variance(influence / k))
    return spreads


def _auc(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, float]:
    """The AUC's per-row influence (DeLong's structural components, scaled by each side's share) and its
    second-order term (the variance of the pair kernel beyond both components: (s11 - s10 - s01) / (pi (1 - pi)),
    over n**2)."""
    pos, neg = scores[positive], scores[~positive]
    share = positive.mean()
    neg_sorted, pos_sorted = np.sort(neg), np.sort(pos)
    below = np.searchsorted(neg_sorted, pos, side="left")
    tied = np.searchsorted(neg_sorted, pos, side="right") - below
    v10 = (below + 0.5 * tied) / len(neg)  # each positive: share of negatives it outranks
    above = len(pos) - np.searchsorted(pos_sorted, neg, side="right")
    tied_pos = np.searchsorted(pos_sorted, neg, side="right") - np.searchsorted(pos_sorted, neg, side="left")
    v01 = (above + 0.5 * tied_pos) / len(pos)  # each negative: share of positives above it
    auc = float(v10.mean())
    influence = np.empty(len(scores))
    influence[positive] = (v10 - auc) / share
    influence[~positive] = (v01 - auc) / (1 - share)
    kernel = float(np.mean((below + 0.25 * tied) / len(neg))) - auc**2  # E[h^2] - auc^2, h in {0, 1/2, 1}
    second = (kernel - v10.var() - v01.var()) / (share * (1 - share))
    return influence, second


def _regression(predicted: np.ndarray, truth: np.ndarray) -> Spreads:
    errors = np.abs(truth - predicted)
    squared = errors**2
    mse = squared.mean()
    spreads = {"mae": Spread(_variance(errors))}
    if mse > 0:
        spreads["rmse"] = Spread(_variance(squared) / (4 * mse))
    nonzero = truth != 0
    if nonzero.any():
        spreads["mape"] = Spread(_variance(errors[nonzero] / np.abs(truth[nonzero]) * 100))
    return Spreads(len(truth), spreads, zero_truth_share=float(1 - nonzero.mean()))


def _variance(values: np.ndarray) -> float:
    return float(np.var(values)) if len(values) else 0.0


def _defined_usually(n: int, class_shares: tuple[float, ...]) -> bool:
    """Whether most windows of n rows hold every class (at least 1 - the sum of each one's chance to be missed)."""
    return 1 - sum((1 - share) ** n for share in class_shares) >= 0.5
