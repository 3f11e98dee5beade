"""Model quality estimated without labels: fitted once per reference, then applied to each window.

Classifiers: probabilities calibrated on the reference (calibration.py), then the expected confusion matrix
and ROC AUC of the window (expected.py). Regressors: loss models learnt on the reference (losses.py). Each
estimate carries its sampling error: how much the realized figure scatters between windows of that many rows
drawn from the reference, in closed form (sampling.py), once per reference and window size.

Estimation assumes the relation between inputs and labels is the reference's (covariate shift is followed;
concept drift is not), and that the probabilities can be calibrated on the reference.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from monitor.columns.roles import ColumnRoles
from monitor.performance import expected
from monitor.performance.calibration import Calibrator, fit_calibrator
from monitor.performance.losses import LossModels, fit_loss_models
from monitor.performance.outcomes import Labelled, Outputs, labelled, model_outputs, normalised
from monitor.performance.sampling import Spreads, learn_spreads
from monitor.sizes import size_bucket

MIN_LABELLED_ROWS = 100
MIN_ROWS_PER_CLASS = 10

CLASSIFICATION = ("roc_auc", "accuracy", "precision", "recall", "f1")
REGRESSION = ("mae", "rmse", "mape")


def estimated_names(task: str | None) -> tuple[str, ...]:
    if task is None:
        return ()
    return REGRESSION if task == "regression" else CLASSIFICATION


@dataclass(frozen=True)
class WindowSize:
    """What a sampling error depends on besides the reference: the window's size bucket (sizes.py)."""

    rows: int


@dataclass(frozen=True)
class Estimate:
    values: dict[str, float]
    sampling_errors: dict[str, float]


@dataclass
class Estimator:
    roles: ColumnRoles
    prediction_kind: str | None
    reference: Labelled  # the reference's labelled rows, for sampling errors
    calibrators: tuple[Calibrator, ...] = ()  # binary: one; multiclass: one per class
    losses: LossModels | None = None
    seed: int = 0
    _spreads: Spreads | None = None  # learnt on the first window, kept while the reference stays the same
    _errors: dict[WindowSize, dict[str, float]] = field(default_factory=dict)

    def estimate(self, frame: pd.DataFrame) -> Estimate | str:
        """The window's estimated figures; a reason (str) when they cannot be estimated for it."""
        outputs = model_outputs(frame, self.roles, self.prediction_kind)
        if outputs is None or len(outputs) == 0:
            return "no row of this window has the model's outputs"
        if not outputs.probabilities:
            return "the window's model outputs hold values outside [0, 1]: they are no probabilities"
        if self.losses is not None:
            rows = frame.loc[_scored(frame, self.roles)]
            values = _regression(self.losses, rows)
        else:
            values = self._classification(outputs)
        return Estimate(values, self.sampling_errors(len(outputs), tuple(values)))

    def _classification(self, outputs: Outputs) -> dict[str, float]:
        if outputs.task == "binary_classification":
            scores = outputs.scores if outputs.scores is not None else outputs.decided.astype(float)
            q = self.calibrators[0](scores)
            return expected.binary(outputs.decided, q, outputs.scores)
        assert outputs.scores is not None
        # Calibrated one class at a time (or not at all): each row made to sum to 1.
        calibrated = normalised(np.column_stack([c(outputs.scores[:, k]) for k, c in enumerate(self.calibrators)]))
        return expected.multiclass(outputs.decided, calibrated, outputs.scores, outputs.classes)

    def sampling_errors(self, rows: int, metrics: tuple[str, ...]) -> dict[str, float]:
        """The std of each realized figure over windows of `rows` rows drawn from the labelled reference (in
        closed form, sampling.py), for the window's size bucket."""
        key = WindowSize(size_bucket(rows))
        if key not in self._errors:
            if self._spreads is None:
                self._spreads = learn_spreads(self.reference)
            self._errors[key] = self._spreads.errors(key.rows)
        return {name: value for name, value in self._errors[key].items() if name in metrics}


def fit_estimator(
    reference: pd.DataFrame, roles: ColumnRoles, prediction_kind: str | None, *, seed: int
) -> Estimator | str:
    """An estimator learnt on the reference's labelled rows; a reason (str) when there is nothing to learn from."""
    data = labelled(reference, roles, prediction_kind)
    if data is None:
        return "no labels: set target_column or labels to estimate model quality"
    problem = _unusable(data, roles)
    if problem:
        return problem
    estimator = Estimator(roles, prediction_kind, data, seed=seed)
    if roles.task == "regression":
        rows = reference.loc[reference[roles.target].notna().to_numpy() & _scored(reference, roles)]
        estimator.losses = fit_loss_models(rows, data.truth, roles, seed=seed)
        return estimator
    outputs = data.outputs
    if outputs.task == "binary_classification":
        scores = outputs.scores if outputs.scores is not None else outputs.decided.astype(float)
        estimator.calibrators = (fit_calibrator(scores, data.truth, seed=seed),)
    else:
        assert outputs.scores is not None
        estimator.calibrators = tuple(
            fit_calibrator(outputs.scores[:, k], (data.truth == name).astype(int), seed=_seed(seed, name))
            for k, name in enumerate(outputs.classes)
        )
    return estimator


def _unusable(data: Labelled, roles: ColumnRoles) -> str | None:
    if len(data) == 0:
        return (
            "model quality not estimated: the reference has no labels; estimation learns how far the model can "
            "be trusted from a labelled reference"
        )
    if len(data) < MIN_LABELLED_ROWS:
        return (
            f"model quality not estimated: the reference has {len(data)} labelled rows, at least "
            f"{MIN_LABELLED_ROWS} are needed to learn from"
        )
    if roles.task == "regression":
        return None
    outputs = data.outputs
    if not outputs.probabilities and outputs.scores is not None:
        example = outputs.scores[(outputs.scores < 0) | (outputs.scores > 1)].flat[0]
        where = f'prediction_column "{roles.prediction}"' if roles.prediction else "a prediction_columns column"
        return (
            f"model quality not estimated: {where} holds scores outside [0, 1] (such as {example:g}), not "
            "probabilities; estimation needs the model's probabilities"
        )
    if outputs.task == "binary_classification" and outputs.decided is None:
        return "model quality not estimated: set prediction_label_column, the class the model decided"
    if roles.task == "multiclass_classification" and not roles.probabilities:
        return (
            "model quality not estimated: a multiclass model needs its class probabilities, "
            'prediction_columns = { class = "column", ... }'
        )
    counts = pd.Series(data.truth).value_counts()
    classes = [0, 1] if roles.task == "binary_classification" else list(roles.classes)
    missing = [str(c) for c in classes if counts.get(c, 0) < MIN_ROWS_PER_CLASS]
    if missing:
        return (
            f"model quality not estimated: the reference's labels hold fewer than {MIN_ROWS_PER_CLASS} rows of "
            f"class {', '.join(missing)}; a reference with every class is needed to learn how far the "
            "probabilities can be trusted"
        )
    return None


def _regression(losses: LossModels, rows: pd.DataFrame) -> dict[str, float]:
    from monitor.performance.losses import expected as expected_losses

    return expected_losses(losses.predict(rows))


def _scored(frame: pd.DataFrame, roles: ColumnRoles) -> np.ndarray:
    needed = [c for c in (roles.prediction, roles.prediction_label) if c is not None]
    needed += [column for _, column in roles.probabilities]
    return frame[needed].notna().all(axis=1).to_numpy()


def _seed(seed: int, name: str) -> int:
    return (seed * 31 + zlib.crc32(name.encode())) & 0x7FFFFFFF
