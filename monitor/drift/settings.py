"""A monitor's drift configuration as detection settings."""

from __future__ import annotations

from monitor.config import MonitorConfig
from monitor.drift.detect import ColumnSettings, DriftSettings


def drift_settings(monitor: MonitorConfig) -> DriftSettings:
    default = ColumnSettings(monitor.drift_method, monitor.drift_threshold, None)
    columns = {
        name: ColumnSettings(
            override.drift_method or monitor.drift_method,
            override.drift_threshold
            if override.drift_threshold is not None
            else (monitor.drift_threshold if not override.drift_method else None),
            override.drift_min_effect,
        )
        for name, override in monitor.columns.items()
    }
    return DriftSettings(
        false_alarm_rate=monitor.drift_false_alarm_rate,
        min_effect_numerical=monitor.drift_min_effect,
        min_effect_categorical=monitor.drift_min_effect_categorical,
        default=default,
        columns=columns,
    )
