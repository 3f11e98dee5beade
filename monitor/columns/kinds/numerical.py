"""Numerical features: numbers, compared by their distribution (drift/detect.py's numerical fast path)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from monitor.columns.kinds.base import Kind
from monitor.errors import DataError


def detect(values: pd.Series) -> str | None:
    if ptypes.is_bool_dtype(values) or not len(values):
        return None
    if ptypes.is_numeric_dtype(values):
        return f"numbers ({values.nunique():,} distinct values in the sample)"
    if ptypes.is_object_dtype(values) or ptypes.is_string_dtype(values):
        if any(isinstance(v, bool) for v in values.head(100)):
            return None
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().all():
            return f"numbers written as text ({numbers.nunique():,} distinct values in the sample)"
    return None


def prepare(series: pd.Series, column: str, role: str) -> pd.Series:
    """Floats, infinities as missing; DataError naming the column when a value is not a number."""
    if ptypes.is_bool_dtype(series) or ptypes.is_numeric_dtype(series):
        values = series.astype(float)
    else:
        present = series.notna()
        # Each distinct value converted once: a label column not yet filled is a million NULLs, text numbers
        # repeat (a missing value takes code -1, the NaN appended last).
        codes, distinct = pd.factorize(series.astype(object), use_na_sentinel=True)
        numbers = pd.to_numeric(pd.Series(distinct, dtype=object).map(_plain), errors="coerce").astype(float)
        values = pd.Series(np.append(numbers.to_numpy(), np.nan)[codes], index=series.index)
        bad = present & values.isna()
        if bad.any():
            example = series[bad].iloc[0]
            raise DataError(
                f'column "{column}" ({role}) holds non-numeric values '
                f"such as {show(example)} in {int(bad.sum())} rows; fix the data, or list it "
                "under categorical_features"
            )
    numbers = values.to_numpy(dtype=float, copy=True)
    numbers[np.isinf(numbers)] = np.nan  # as values.replace([inf, -inf], nan), without pandas' slow replace
    return pd.Series(numbers, index=values.index, name=values.name)


def _plain(value: object) -> object:
    """Booleans and numeric text as numbers; anything else left to fail the conversion."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


KIND = Kind("numerical", "numerical_features", detect, prepare)
