"""Checking `metrics`' --metric, --column and --segment against what can exist, with a "did you mean".

A name that can exist but has no stored rows is not an error (its output is empty); a name that
cannot exist is a typo, and an empty table would hide it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

from monitor import metric_names
from monitor.config import MonitorConfig
from monitor.errors import UsageError


def did_you_mean(value: str, known: Iterable[str]) -> str:
    """ "; did you mean "x"?" for the closest known names, else ""."""
    close = difflib.get_close_matches(value, sorted(set(known)), n=3, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(f'"{name}"' for name in close) + "?"


def check_choice(flag: str, value: str, known: frozenset[str], stored: Callable[[], Iterable[str]]) -> None:
    """Raises UsageError when `value` is neither known nor stored; the store is asked only then."""
    if value in known:
        return
    seen = frozenset(stored())
    if value in seen:
        return
    raise UsageError(f"{flag}: unknown {flag.removeprefix('--')} {value!r}{did_you_mean(value, known | seen)}")


def configured_columns(monitor: MonitorConfig) -> frozenset[str]:
    """Every column the monitor's config names; "" is the dataset level."""
    names = {
        "",
        *(monitor.numerical_features or ()),
        *(monitor.categorical_features or ()),
        *(monitor.prediction_columns or {}).values(),
        *monitor.segments,
        *monitor.protected_attributes,
        *monitor.columns,
    }
    for name in (monitor.prediction_column, monitor.prediction_label_column, monitor.target_column):
        if name:
            names.add(name)
    return frozenset(names)


def known_metrics() -> frozenset[str]:
    return metric_names.STORED_NAMES
