"""Frames as read -> frames Evidently can trust: types checked, infinities and NULLs made missing."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from pandas.api import types as ptypes

from monitor.columns.kinds import categorical, embedding, numerical, text
from monitor.columns.roles import ColumnRoles
from monitor.errors import DataError


@dataclass(frozen=True)
class Prepared:
    frame: pd.DataFrame
    prediction_kind: str | None  # "probability" | "label" | "value"


def prepare(frame: pd.DataFrame, roles: ColumnRoles) -> Prepared:
    """Checks and converts each column for its role; raises DataError naming the column."""
    out: dict[str, pd.Series] = {}  # one frame made at the end: inserting columns one by one cost more
    features = (
        (numerical.KIND, roles.numerical),
        (categorical.KIND, roles.categorical),
        (text.KIND, roles.text),
        (embedding.KIND, roles.embedding_columns),
    )
    for kind, columns in features:
        for column in columns:
            out[column] = kind.prepare(frame[column], column, roles.role_of(column))  # type: ignore[misc]
    kind = None
    if roles.prediction is not None:
        series = frame[roles.prediction]
        if roles.task is None and not _is_numeric_like(series):
            out[roles.prediction] = _categorical(series)
            kind = "label"
        else:
            values = _numeric(series, roles.prediction, roles)
            kind = _prediction_kind(values, roles)
            out[roles.prediction] = values
    if roles.prediction_label is not None:
        out[roles.prediction_label] = _decided(frame[roles.prediction_label], roles)
    for _, column in roles.probabilities:
        out[column] = _probability(frame[column], column, roles)
    if roles.target is not None:
        out[roles.target] = _target(frame[roles.target], roles)
    for column in roles.grouping:
        out[column] = _categorical(frame[column])
    if roles.task == "multiclass_classification":
        kind = "label"
    return Prepared(pd.DataFrame(out, index=range(len(frame)), copy=False).reset_index(drop=True), kind)


def _decided(series: pd.Series, roles: ColumnRoles) -> pd.Series:
    """The class the model decided: 0/1 for a binary model, the class as text for a multiclass one."""
    if roles.task == "multiclass_classification":
        return _categorical(series)
    values = _numeric(series, roles.prediction_label or "", roles)
    present = values.dropna()
    if not present.isin([0.0, 1.0]).all():
        example = present[~present.isin([0.0, 1.0])].iloc[0].item()
        raise DataError(
            f'prediction_label_column "{roles.prediction_label}" holds {example!r}; for binary_classification '
            "the decided class must be 0/1 or true/false"
        )
    return values


def _probability(series: pd.Series, column: str, roles: ColumnRoles) -> pd.Series:
    return _numeric(series, column, roles)


def _is_numeric_like(series: pd.Series) -> bool:
    if ptypes.is_bool_dtype(series) or ptypes.is_numeric_dtype(series):
        return True
    values = series.dropna()
    return bool(len(values)) and pd.to_numeric(values, errors="coerce").notna().all()


def _numeric(series: pd.Series, column: str, roles: ColumnRoles) -> pd.Series:
    return numerical.prepare(series, column, roles.role_of(column))


def _categorical(series: pd.Series) -> pd.Series:
    return categorical.prepare(series)


def _prediction_kind(values: pd.Series, roles: ColumnRoles) -> str:
    """binary: "label" (0/1 only), "probability" (within [0, 1]) or "score" (a margin or logit: ranks rows, but
    is no probability); otherwise "value"."""
    if roles.task != "binary_classification":
        return "value"
    present = values.dropna()
    if present.isin([0.0, 1.0]).all():
        return "label"
    if ((present < 0) | (present > 1)).any():
        return "score"
    return "probability"


def _target(series: pd.Series, roles: ColumnRoles) -> pd.Series:
    if roles.task == "multiclass_classification":
        return _categorical(series)
    values = _numeric(series, roles.target or "", roles)
    if roles.task == "binary_classification":
        present = values.dropna()
        if not present.isin([0.0, 1.0]).all():
            example = present[~present.isin([0.0, 1.0])].iloc[0].item()
            raise DataError(
                f'target_column "{roles.target}" holds {example!r}; for binary_classification '
                "labels must be 0/1 or true/false"
            )
    return values
