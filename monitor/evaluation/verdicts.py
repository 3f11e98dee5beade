"""DriftHound's drift verdicts, shown by Evidently: its report asks a registered stat test, which answers
with the verdict DriftHound already stored and alerted on, so the report and the alert always agree (and
the report does not compute the statistics again)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from monitor.drift.detect import ColumnDrift

_local = threading.local()
_registered: dict[str, str] = {}
_lock = threading.Lock()

_DISPLAY = {
    "wasserstein (calibrated)": "Wasserstein distance (normed), threshold calibrated on the reference",
    "tail means (calibrated)": "tail means (z-score), threshold calibrated on the reference",
    "jensenshannon (calibrated)": "Jensen-Shannon distance, threshold calibrated on the reference",
}


def _lookup(reference: Any, current: Any, feature_type: Any, threshold: float) -> tuple[float, bool]:
    verdicts: dict[str, ColumnDrift] = getattr(_local, "verdicts", {})
    verdict = verdicts.get(current.name)
    if verdict is None:
        raise LookupError(f"no DriftHound verdict for column {current.name!r}")
    return (float("nan") if verdict.score is None else verdict.score), bool(verdict.detected)


def stat_test_name(method: str) -> str:
    """The name under which Evidently knows DriftHound's verdicts for `method` (registered on first use)."""
    from evidently.legacy.calculations.stattests.registry import StatTest, register_stattest
    from evidently.legacy.core import ColumnType

    with _lock:
        if method not in _registered:
            display = _DISPLAY.get(method)
            if display is None:
                display = f"{_evidently_display(method)}, threshold corrected for the number of columns"
            name = f"drifthound:{method}"
            register_stattest(
                StatTest(
                    name=name,
                    display_name=display,
                    allowed_feature_types=[ColumnType.Numerical, ColumnType.Categorical],
                ),
                default_impl=lambda *args: _lookup(*args),
            )
            _registered[method] = name
        return _registered[method]


def _evidently_display(method: str) -> str:
    from evidently.legacy.calculations.stattests.registry import _registered_stat_tests

    tests = _registered_stat_tests.get(method, {})
    return next(iter(tests.values())).display_name if tests else method


@contextmanager
def showing(drift: Sequence[ColumnDrift]) -> Iterator[None]:
    """While a report runs, its drift tests answer with these verdicts."""
    _local.verdicts = {d.column: d for d in drift}
    try:
        yield
    finally:
        _local.verdicts = {}
