"""What the model wrote and what really happened: the score, the decided class and the label, found by their
names and checked on their values; the task follows from the label's values."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from pandas.api import types as ptypes

SCORE_NAMES = ("score", "prediction", "predicted", "pred", "probability", "proba", "prob", "y_pred", "y_score")
SCORE_WORDS = ("score", "proba", "probability", "prediction", "pred")
DECISION_NAMES = (
    "predicted_label",
    "predicted_class",
    "prediction_label",
    "pred_label",
    "decision",
    "approved",
    "y_pred_label",
)
LABEL_NAMES = ("label", "target", "y", "y_true", "actual", "truth", "ground_truth", "outcome", "true_label")
# A label with more distinct numbers than this is a quantity (regression); fewer, classes.
MAX_CLASSES = 20


@dataclass(frozen=True)
class ModelColumns:
    prediction: str | None = None
    prediction_label: str | None = None
    target: str | None = None
    task: str | None = None
    reasons: dict[str, str] = field(default_factory=dict)  # column -> why it was taken for its part
    notes: tuple[str, ...] = ()  # what could not be set, and how to set it
    set_aside: tuple[str, ...] = ()  # written by the model but unusable yet (a decided class without labels)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c in (self.prediction, self.prediction_label, self.target) if c is not None)


def find_model_columns(sample: pd.DataFrame, exclude: set[str]) -> ModelColumns:
    """The model's outputs and the label among the sample's columns (not `exclude`: timestamp, keys)."""
    names = {str(c).lower(): str(c) for c in sample.columns if str(c) not in exclude}
    score = _named(names, SCORE_NAMES) or _worded(names, SCORE_WORDS)
    decision = _named(names, DECISION_NAMES)
    label = _named(names, LABEL_NAMES)
    reasons: dict[str, str] = {}
    if score is not None:
        reasons[score] = _score_reason(sample[score])
    if decision == score:
        decision = None
    if label is None:
        notes = ["no label column found (named label, target, y, outcome ...): model quality needs one"]
        if decision is not None:
            notes.append(
                f'"{decision}" looks like the class the model decided; prediction_label_column goes with a task '
                "and labels: set them together"
            )
        aside = (decision,) if decision is not None else ()
        return ModelColumns(score, None, None, None, reasons, tuple(notes), aside)
    values = sample[label].dropna()
    classes = values.nunique()
    reasons[label] = f"named like a label; {classes} distinct values in the sample"
    numeric = ptypes.is_numeric_dtype(values) and not ptypes.is_bool_dtype(values)
    if numeric and classes > MAX_CLASSES:
        if score is None or not ptypes.is_numeric_dtype(sample[score]):
            return ModelColumns(score, None, None, None, reasons, ("a numeric label but no numeric prediction",))
        return ModelColumns(score, None, label, "regression", reasons)
    if classes <= 2:
        if score is None:
            score, decision = decision, None
        if score is None:
            return ModelColumns(None, None, None, None, {}, ("a label but no score or prediction column",))
        if decision is not None:
            reasons[decision] = "named like the class the model decided"
        return ModelColumns(score, decision, label, "binary_classification", reasons)
    decided = decision or (score if score is not None and not ptypes.is_numeric_dtype(sample[score]) else None)
    if decided is None:
        return ModelColumns(score, None, None, None, reasons, ("a label of several classes but no decided class",))
    reasons[decided] = "named like the class the model decided"
    return ModelColumns(None, decided, label, "multiclass_classification", reasons)


def _named(names: dict[str, str], wanted: tuple[str, ...]) -> str | None:
    return next((names[name] for name in wanted if name in names), None)


def _worded(names: dict[str, str], words: tuple[str, ...]) -> str | None:
    """A column whose name holds one of `words` as a part (risk_score, p_proba), not as a prefix of a label."""
    for lowered, name in names.items():
        parts = lowered.replace("-", "_").split("_")
        if any(word in parts for word in words) and "label" not in parts:
            return name
    return None


def _score_reason(values: pd.Series) -> str:
    present = values.dropna()
    if ptypes.is_numeric_dtype(present) and len(present):
        low, high = float(present.min()), float(present.max())
        if low >= 0.0 and high <= 1.0:
            return f"named like a model's score; numbers from {low:.3g} to {high:.3g}"
        return f"named like a model's prediction; numbers from {low:.3g} to {high:.3g}"
    return f"named like a model's prediction; {present.nunique()} distinct values"
