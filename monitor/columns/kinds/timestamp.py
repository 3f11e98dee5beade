"""Timestamps and dates: every window holds new ones, so they are never judged."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
from pandas.api import types as ptypes

from monitor.columns.kinds.base import Kind

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$")


def detect(values: pd.Series) -> str | None:
    if not len(values):
        return None
    if ptypes.is_datetime64_any_dtype(values):
        return "dates and times"
    head = values.head(200)
    if all(isinstance(v, dt.date | dt.datetime) for v in head):
        return "dates and times"
    if all(isinstance(v, str) for v in head) and all(_ISO.match(v.strip()) for v in head):
        return "dates and times written as text"
    return None


KIND = Kind("timestamp or date", None, detect)
