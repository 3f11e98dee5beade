"""Categorical features: values compared by their shares (drift/detect.py's categorical fast path). What is
neither numbers nor any other kind is a category."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from monitor.columns.kinds.base import Kind


def detect(values: pd.Series) -> str | None:
    if ptypes.is_bool_dtype(values) or (len(values) and all(isinstance(v, bool) for v in values.head(100))):
        return "true/false"
    try:
        return f"{values.nunique():,} distinct values in the sample"
    except TypeError:  # lists or mappings (not vectors of one length): no kind compares them
        return None


def prepare(series: pd.Series, column: str = "", role: str = "") -> pd.Series:
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


KIND = Kind("categorical", "categorical_features", detect, prepare)
