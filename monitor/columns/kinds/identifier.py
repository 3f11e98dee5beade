"""Identifiers: a key unique per row (increasing integers, UUIDs, hashes). Every window holds new ones, so
they are never judged: compared as numbers or categories they drift on every window, forever."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from monitor.columns.kinds.base import Kind

# Fewer sampled values say nothing about uniqueness: a small sample of a category can be all different.
MIN_VALUES = 50
# Integers unique per row but neither ordered nor dense are taken for a quantity (amounts in cents).
DENSE_SPAN = 10

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_HASH = re.compile(r"^[0-9a-f]{16,}$", re.IGNORECASE)


def detect(values: pd.Series) -> str | None:
    if len(values) < MIN_VALUES or ptypes.is_bool_dtype(values):
        return None
    if ptypes.is_numeric_dtype(values):
        return _integers(values.to_numpy(dtype=float))
    head = values.head(100)
    if not all(isinstance(v, str) for v in head):
        return None
    texts = values.astype(str)
    if texts.nunique() < len(texts) or texts.str.contains(r"\s", regex=True).any():
        return None  # repeated values, or words: a category or free text
    numbers = pd.to_numeric(texts, errors="coerce")
    if numbers.notna().all():
        return _integers(numbers.to_numpy(dtype=float))
    if all(_UUID.match(v) for v in head):
        shape = "UUIDs"
    elif all(_HASH.match(v) for v in head):
        shape = "hashes"
    else:
        shape = "one value per row"
    return f"100 % unique in the sample ({shape})"


def _integers(numbers: np.ndarray) -> str | None:
    if not np.all(np.isfinite(numbers)) or not np.all(numbers == np.round(numbers)):
        return None
    if len(np.unique(numbers)) < len(numbers):
        return None
    steps = np.diff(numbers)
    if np.all(steps > 0) or np.all(steps < 0):
        return "100 % unique in the sample (increasing integers)"
    if numbers.max() - numbers.min() + 1 <= DENSE_SPAN * len(numbers):
        return "100 % unique in the sample (integers)"
    return None


KIND = Kind("identifier", None, detect)
