"""Roles from the table itself, when the config lists no features: every column of a sample gets a kind and the
reason for it (printed by `config check`). Listed columns are taken as listed; an identifier listed as a
feature is warned about."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from monitor.columns.kinds import BY_CONFIG_KEY, DETECTION, Kind, embedding, identifier
from monitor.columns.roles import ColumnRoles, monitor_roles
from monitor.config import MonitorConfig


@dataclass(frozen=True)
class ColumnReading:
    """What a column was taken for, and why."""

    column: str
    role: str  # a kind's name ("identifier", "free text", ...) or a config role ("prediction_column")
    reason: str
    judged: bool
    warning: str | None = None  # a listed column that looks like something else

    @property
    def line(self) -> str:
        return f"{self.column}: {self.role}, {self.reason}{'' if self.judged else ', not judged'}"


def special_columns(monitor: MonitorConfig, key: Iterable[str] = ()) -> dict[str, str]:
    """Columns whose part the config names (or the table's primary key): never features."""
    special = {monitor.timestamp_column: "timestamp_column"}
    if monitor.prediction_column:
        special[monitor.prediction_column] = "prediction_column"
    if monitor.prediction_label_column:
        special[monitor.prediction_label_column] = "prediction_label_column"
    if monitor.target_column:
        special[monitor.target_column] = "target_column"
    for name, column in (monitor.prediction_columns or {}).items():
        special[column] = f"prediction_columns.{name}"
    if monitor.labels is not None:
        special[monitor.labels.key] = "labels.key"
        special[monitor.labels.column] = "labels.column"
    # A segment (a model version) or a protected attribute is a way of cutting the data, not a feature.
    for column in monitor.protected_attributes:
        special.setdefault(column, "protected_attributes")
    for column in monitor.segments:
        special.setdefault(column, "segments")
    for column in key:
        special.setdefault(column, "primary key")
    return special


def detect_kind(values: pd.Series) -> tuple[Kind, str]:
    """The first kind (in detection order) that recognises the sampled values, and why."""
    present = values.dropna()
    for kind in DETECTION:
        reason = kind.detect(present)
        if reason is not None:
            return kind, reason
    return UNKNOWN, "values of no kind DriftHound compares (such as lists of different lengths)"


# What no kind recognises: read, never judged.
UNKNOWN = Kind("unknown", None, lambda values: None)


def infer_roles(
    monitor: MonitorConfig, sample: pd.DataFrame, exclude: Iterable[str] = ()
) -> tuple[ColumnRoles, tuple[ColumnReading, ...]]:
    """Each column of the sample read for its kind; the features are the judged kinds' columns. `exclude`: the
    table's primary key."""
    special = special_columns(monitor, exclude)
    found: dict[str, list[str]] = {key: [] for key in BY_CONFIG_KEY}
    readings = []
    for column in sample.columns:
        if column in special:
            readings.append(_special(column, special[column]))
            continue
        kind, reason = detect_kind(sample[column])
        readings.append(ColumnReading(column, kind.name, reason, kind.config_key is not None))
        if kind.config_key is not None:
            found[kind.config_key].append(column)
    roles = monitor_roles(
        monitor,
        numerical=tuple(found["numerical_features"]),
        categorical=tuple(found["categorical_features"]),
        text=tuple(found["text_features"]),
        embeddings=tuple((column, (column,)) for column in found["embedding_features"]),
    )
    return roles, tuple(readings)


def listed_readings(
    monitor: MonitorConfig, roles: ColumnRoles, sample: pd.DataFrame, key: Iterable[str] = ()
) -> tuple[ColumnReading, ...]:
    """The columns as the config lists them (never second-guessed), with a warning on a listed feature that
    looks like an identifier; the sample's other columns are not read."""
    special = special_columns(monitor, key)
    readings = []
    for column in sample.columns:
        role = roles.role_of(column) if column in roles.all_features else None
        if role is not None:
            kind = BY_CONFIG_KEY[role.partition(".")[0]]
            why = identifier.detect(sample[column].dropna()) if kind is not embedding.KIND else None
            warning = (
                f'"{column}" is listed in {role} but looks like an identifier ({why}): every window holds new '
                "values, so it drifts on every window; remove it from the list"
                if why is not None
                else None
            )
            readings.append(ColumnReading(column, kind.name, f"listed in {role}", True, warning))
        elif column in special:
            readings.append(_special(column, special[column]))
        else:
            readings.append(ColumnReading(column, "not a feature", "not listed", False))
    return tuple(readings)


def _special(column: str, role: str) -> ColumnReading:
    if role == "primary key":
        return ColumnReading(column, identifier.KIND.name, "the table's primary key", False)
    if role in ("segments", "protected_attributes"):
        return ColumnReading(column, role, "read as categories to cut the window by", False)
    return ColumnReading(column, role, "named in the config", role not in ("timestamp_column", "labels.key"))
