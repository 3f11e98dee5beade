"""Frames as read -> frames Evidently can trust: types checked, infinities and NULLs made missing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from monitor.errors import DataError
from monitor.evaluation.roles import ColumnRoles


@dataclass(frozen=True)
class Prepared:
    frame: pd.DataFrame
    prediction_kind: str | None  # "probability" | "label" | "value"


def prepare(frame: pd.DataFrame, roles: ColumnRoles) -> Prepared:
    """Checks and converts each column for its role; raises DataError naming the column."""
    out = pd.DataFrame(index=range(len(frame)))
    for column in roles.numerical:
        out[column] = _numeric(frame[column], column, roles)
    for column in roles.categorical:
        out[column] = _categorical(frame[column])
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
    return Prepared(out.reset_index(drop=True), kind)


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
    if ptypes.is_bool_dtype(series) or ptypes.is_numeric_dtype(series):
        values = series.astype(float)
    else:
        present = series.notna()
        values = pd.to_numeric(series.where(present, None).map(_plain), errors="coerce").astype(float)
        bad = present & values.isna()
        if bad.any():
            example = series[bad].iloc[0]
            raise DataError(
                f'column "{column}" ({roles.role_of(column)}) holds non-numeric values '
                f"such as {_show(example)} in {int(bad.sum())} rows; fix the data, or list it "
                "under categorical_features"
            )
    return values.replace([np.inf, -np.inf], np.nan)


def _plain(value: object) -> object:
    """Booleans and numeric text as numbers; anything else left to fail the conversion."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _categorical(series: pd.Series) -> pd.Series:
    """Categories as text, so 1, "1" and 1.0 are one category and NULL stays missing."""

    def as_text(value: object) -> object:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        return str(value)

    # Each distinct value converted once (a million rows hold a few dozen categories).
    codes, distinct = pd.factorize(series.astype(object), use_na_sentinel=True)
    texts = np.array([as_text(value) for value in distinct] + [None], dtype=object)
    return pd.Series(texts[codes], index=series.index, dtype=object)  # code -1 (missing) takes the None


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


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
