"""Fairness across the groups of a protected attribute: how often each group gets the favourable decision, and,
with labels, how the model's errors differ between groups. Pure; the definitions are fairlearn's MetricFrame
`ratio()` and `difference()` (between groups) of selection_rate, true_positive_rate, false_positive_rate and
accuracy (a test holds them equal to 1e-9).

Groups with fewer than MIN_GROUP_ROWS rows in the window are left out: a rate over a handful of rows swings
by chance and would page on noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_GROUP_ROWS = 30


@dataclass(frozen=True)
class GroupFigures:
    group: str
    rows: int
    selection_rate: float
    true_positive_rate: float | None = None
    false_positive_rate: float | None = None
    accuracy: float | None = None


@dataclass(frozen=True)
class Fairness:
    attribute: str
    groups: list[GroupFigures]
    selection_rate_ratio: float | None
    selection_rate_difference: float | None
    tpr_difference: float | None = None
    fpr_difference: float | None = None
    accuracy_difference: float | None = None


def fairness(
    attribute: str, groups: np.ndarray, favourable: np.ndarray, truth_favourable: np.ndarray | None
) -> Fairness | None:
    """`favourable`: whether each row got the favourable decision; `truth_favourable`: whether its label was the
    favourable outcome (None without labels; NaN where a label is missing). None with fewer than two groups."""
    figures = []
    for group in sorted(set(groups.tolist()), key=str):
        mine = groups == group
        if mine.sum() < MIN_GROUP_ROWS:
            continue
        decided = favourable[mine]
        tpr = fpr = accuracy = None
        if truth_favourable is not None:
            known = ~np.isnan(truth_favourable[mine])
            truth = truth_favourable[mine][known].astype(bool)
            chosen = decided[known]
            if len(truth):
                accuracy = float((truth == chosen).mean())
                tpr = float(chosen[truth].mean()) if truth.any() else None
                fpr = float(chosen[~truth].mean()) if (~truth).any() else None
        figures.append(GroupFigures(str(group), int(mine.sum()), float(decided.mean()), tpr, fpr, accuracy))
    if len(figures) < 2:
        return None
    rates = [g.selection_rate for g in figures]
    return Fairness(
        attribute,
        figures,
        min(rates) / max(rates) if max(rates) > 0 else None,
        max(rates) - min(rates),
        _spread([g.true_positive_rate for g in figures]),
        _spread([g.false_positive_rate for g in figures]),
        _spread([g.accuracy for g in figures]),
    )


def _spread(values: list[float | None]) -> float | None:
    """max - min over the groups that have the figure (fairlearn's difference(method="between_groups"))."""
    known = [v for v in values if v is not None]
    return max(known) - min(known) if len(known) >= 2 else None
