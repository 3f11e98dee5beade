"""A run's look at its log's cycle: would the pooled reference page on ordinary hours? Measured on the reference
the run already holds (no read of its own), once per UTC day of windows, and put in the run's figures JSON
(reports.CYCLE_WARNING_KEY), where the monitor page finds it without touching the source.

Once a day because measuring costs about thirty window-sized drift tests (half a second on the demo), while a
log's rhythm changes over weeks; a process that restarts measures again at its first run."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, timedelta

import structlog

from monitor.columns.roles import ColumnRoles
from monitor.config import MonitorConfig, ReferenceConfig
from monitor.drift.detect import ReferenceProfile
from monitor.evaluation.cycle_check import cycles_in, pooled, share_threshold
from monitor.evaluation.prepare import Prepared
from monitor.evaluation.step import StepOutput
from monitor.reports import CYCLE_WARNING_KEY
from monitor.sources.inputs import ReferenceRead
from monitor.sources.sampling import seed_for
from monitor.windows import Window

log = structlog.get_logger("drifthound.run")


@dataclass(frozen=True)
class CycleKey:
    """What a measurement holds for: the monitor's reference, window, features and dataset rule, for a day."""

    reference: ReferenceConfig
    window: timedelta
    features: tuple[str, ...]
    share_above: float
    day: date


def cycle_step(
    monitor: MonitorConfig,
    reference: ReferenceRead,
    prepared: Prepared,
    profile: ReferenceProfile,
    roles: ColumnRoles,
    window: Window,
    kept: dict[Hashable, object],
) -> StepOutput:
    """The warning (in the snapshot) when the pooled reference would page on the log's cycle. `kept`: what the
    monitor's runs keep between references (MonitorInputs.kept)."""
    out = StepOutput()
    kinds = {c: "numerical" for c in roles.numerical} | {c: "categorical" for c in roles.categorical}
    if not pooled(monitor) or reference.timestamps is None or not kinds:
        return out
    key = CycleKey(monitor.reference, monitor.window, tuple(kinds), share_threshold(monitor), window.end.date())
    if key not in kept:
        for old in [k for k in kept if isinstance(k, CycleKey)]:
            del kept[old]
        kept[key] = _measure(monitor, reference, prepared, profile, kinds, window)
    warning = kept[key]
    if isinstance(warning, str):
        out.snapshot[CYCLE_WARNING_KEY] = warning
    return out


def _measure(
    monitor: MonitorConfig,
    reference: ReferenceRead,
    prepared: Prepared,
    profile: ReferenceProfile,
    kinds: dict[str, str],
    window: Window,
) -> str | None:
    """An estimate beside the run's figures: a failure to measure is logged and never fails the run."""
    times = reference.timestamps
    assert times is not None
    known = times.notna().to_numpy()
    if known.sum() < monitor.min_rows:
        return None
    bounds = reference.bounds
    seed = seed_for(monitor.name, bounds.start if bounds else None, bounds.end if bounds else None)
    spanned = (bounds.end - bounds.start) if bounds else (times.max() - times.min()).to_pytimedelta()
    try:
        reading = cycles_in(
            monitor,
            prepared.frame.loc[known].reset_index(drop=True),
            times[known].reset_index(drop=True),
            kinds,
            rows_total=reference.result.rows_total,
            spanned=spanned,
            seed=seed,
            profile=profile,
        )
    except (ValueError, TypeError, KeyError) as error:
        log.info("run.cycles_unknown", monitor=monitor.name, window_end=window.end.isoformat(), reason=str(error))
        return None
    return reading.warning
