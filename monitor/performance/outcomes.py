"""What a model decided and what happened, as arrays: the common input of realized and estimated quality."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitor.columns.roles import ColumnRoles


@dataclass(frozen=True)
class Outputs:
    """The model's outputs for some rows.

    binary: `decided` 0/1 (None when the model gives only a score that is no probability and no decided
    class), `scores` P(class 1), or a margin that ranks rows ("score" kind), or None (the model gives only a
    class);
    multiclass: `decided` class names, `scores` an n x K matrix of class probabilities as the model gave
    them (see `normalised`) or None; regression: `decided` the predicted values.
    """

    task: str
    decided: np.ndarray | None
    scores: np.ndarray | None = None
    classes: tuple[str, ...] = ()
    probabilities: bool = True  # the scores are probabilities (not margins)

    def __len__(self) -> int:
        return len(self.decided if self.decided is not None else self.scores)  # type: ignore[arg-type]

    def take(self, index: np.ndarray) -> Outputs:
        scores = None if self.scores is None else self.scores[index]
        decided = None if self.decided is None else self.decided[index]
        return Outputs(self.task, decided, scores, self.classes, self.probabilities)


@dataclass(frozen=True)
class Labelled:
    outputs: Outputs
    truth: np.ndarray

    def __len__(self) -> int:
        return len(self.truth)

    def take(self, index: np.ndarray) -> Labelled:
        return Labelled(self.outputs.take(index), self.truth[index])


def model_outputs(frame: pd.DataFrame, roles: ColumnRoles, prediction_kind: str | None) -> Outputs | None:
    """The outputs of the rows the model scored (rows with no decision are left out); None without a task."""
    task = roles.task
    if task is None:
        return None
    frame = _rows_with(frame, _decided_rows(frame, roles), _output_columns(roles))
    if task == "regression":
        return Outputs(task, frame[roles.prediction].to_numpy(dtype=float))
    if task == "binary_classification":
        scores = frame[roles.prediction].to_numpy(dtype=float) if roles.prediction is not None else None
        decided: np.ndarray | None
        if prediction_kind == "label":
            decided, scores = scores, None
        elif roles.prediction_label is not None:
            decided = frame[roles.prediction_label].to_numpy(dtype=float)
        elif prediction_kind == "probability":
            decided = (scores >= 0.5).astype(float)  # no decided class given: the usual cut
        else:
            decided = None  # a margin with no decided class: nothing says where the model cuts
        probabilities = prediction_kind != "score"
        return Outputs(task, None if decided is None else decided.astype(int), scores, (), probabilities)
    classes = roles.classes
    decided = frame[roles.prediction_label].to_numpy(dtype=object)
    if not roles.probabilities:
        return Outputs(task, decided, None, classes)
    matrix = frame[[column for _, column in roles.probabilities]].to_numpy(dtype=float)
    if ((matrix < 0) | (matrix > 1)).any():
        return Outputs(task, decided, matrix, classes, probabilities=False)
    return Outputs(task, decided, matrix, classes)


def normalised(matrix: np.ndarray) -> np.ndarray:
    """Class probabilities whose rows sum to 1 (a model's own are often a rounding off)."""
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, totals, out=np.full_like(matrix, 1 / matrix.shape[1]), where=totals > 0)


def scored_rows(frame: pd.DataFrame, roles: ColumnRoles) -> np.ndarray:
    """Which rows have every output of the model (the rows model_outputs keeps)."""
    return _decided_rows(frame, roles)


def _output_columns(roles: ColumnRoles) -> list[str]:
    needed = [c for c in (roles.prediction, roles.prediction_label) if c is not None]
    return needed + [column for _, column in roles.probabilities]


def _decided_rows(frame: pd.DataFrame, roles: ColumnRoles) -> np.ndarray:
    needed = _output_columns(roles)
    return frame[needed].notna().all(axis=1).to_numpy() if needed else np.ones(len(frame), dtype=bool)


def _rows_with(frame: pd.DataFrame, rows: np.ndarray, columns: list[str]) -> pd.DataFrame:
    """Only the columns wanted of the rows wanted: a window's other columns are not copied."""
    picked = frame[columns]
    return picked if rows.all() else picked.loc[rows]


def labelled(frame: pd.DataFrame, roles: ColumnRoles, prediction_kind: str | None) -> Labelled | None:
    """The rows whose label has arrived (and that the model scored)."""
    if roles.task is None or roles.target is None:
        return None
    rows = _rows_with(
        frame,
        frame[roles.target].notna().to_numpy() & _decided_rows(frame, roles),
        [*_output_columns(roles), roles.target],
    )
    outputs = model_outputs(rows, roles, prediction_kind)
    assert outputs is not None
    if roles.task == "binary_classification":
        truth = rows[roles.target].to_numpy(dtype=float).astype(int)
    elif roles.task == "regression":
        truth = rows[roles.target].to_numpy(dtype=float)
    else:
        truth = rows[roles.target].to_numpy(dtype=object)
    return Labelled(outputs, truth)
