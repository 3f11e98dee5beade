"""Which column plays which part: features (numerical, categorical), prediction, target."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from pandas.api import types as ptypes

from monitor.config import MonitorConfig


@dataclass(frozen=True)
class ColumnRoles:
    numerical: tuple[str, ...]
    categorical: tuple[str, ...]
    prediction: str | None = None  # the score or probability (regression: the predicted value)
    target: str | None = None
    task: str | None = None
    prediction_label: str | None = None  # the class the model decided
    probabilities: tuple[tuple[str, str], ...] = ()  # multiclass: (class, its probability column)
    segments: tuple[str, ...] = ()  # columns whose values cut the window into segments
    protected: tuple[str, ...] = ()  # columns whose groups fairness compares

    @property
    def features(self) -> tuple[str, ...]:
        return self.numerical + self.categorical

    @property
    def model_outputs(self) -> tuple[str, ...]:
        """The columns the model wrote: score, decided class, class probabilities."""
        outputs = [c for c in (self.prediction, self.prediction_label) if c is not None]
        return (*outputs, *(column for _, column in self.probabilities))

    @property
    def grouping(self) -> tuple[str, ...]:
        """Segment and protected-attribute columns that are not features (read as categories all the same)."""
        return tuple(dict.fromkeys(c for c in (*self.segments, *self.protected) if c not in self.features))

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column a run reads (never the timestamp: the window filter runs in SQL)."""
        target = (self.target,) if self.target is not None else ()
        return self.features + self.model_outputs + target + self.grouping

    @property
    def drifting_prediction(self) -> str | None:
        """The model output whose drift is "prediction drift": the score, or (multiclass) the decided class."""
        return self.prediction if self.prediction is not None else self.prediction_label

    @property
    def drift_columns(self) -> tuple[str, ...]:
        """Whose distribution is compared: the features, then the prediction and the target."""
        extra = tuple(c for c in (self.drifting_prediction, self.target) if c is not None)
        return self.features + extra

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.probabilities)

    def drift_kinds(self, prediction_kind: str | None) -> dict[str, str]:
        """How each drift column is compared: "numerical" or "categorical"."""
        kinds = {c: "numerical" for c in self.numerical} | {c: "categorical" for c in self.categorical}
        if self.prediction is not None:
            kinds[self.prediction] = "categorical" if prediction_kind == "label" else "numerical"
        elif self.prediction_label is not None:
            kinds[self.prediction_label] = "categorical"
        if self.target is not None:
            kinds[self.target] = "numerical" if self.task == "regression" else "categorical"
        return kinds

    def role_of(self, column: str) -> str:
        if column == self.prediction:
            return "prediction_column"
        if column == self.prediction_label:
            return "prediction_label_column"
        if column == self.target:
            return "target_column"
        if column in self.grouping:
            return "segments" if column in self.segments else "protected_attributes"
        for name, probability in self.probabilities:
            if column == probability:
                return f"prediction_columns.{name}"
        return "numerical_features" if column in self.numerical else "categorical_features"


def configured_roles(monitor: MonitorConfig) -> ColumnRoles:
    return ColumnRoles(
        numerical=tuple(monitor.numerical_features or ()),
        categorical=tuple(monitor.categorical_features or ()),
        prediction=monitor.prediction_column,
        target=monitor.target,
        task=monitor.task,
        prediction_label=monitor.prediction_label_column,
        probabilities=tuple((monitor.prediction_columns or {}).items()),
        segments=monitor.segments,
        protected=monitor.protected_attributes,
    )


def infer_roles(monitor: MonitorConfig, sample: pd.DataFrame, exclude: Iterable[str] = ()) -> ColumnRoles:
    """Features from the table itself, when the config lists none.

    Numbers are numerical; text and booleans categorical; dates and the special
    columns (timestamp, prediction, target, the primary key) are not features.
    """
    skip = {
        monitor.timestamp_column,
        monitor.prediction_column,
        monitor.prediction_label_column,
        monitor.target_column,
        *(monitor.prediction_columns or {}).values(),
        # A segment (a model version) or a protected attribute is a way of cutting the data, not a feature.
        *monitor.segments,
        *monitor.protected_attributes,
        *exclude,
    }
    if monitor.labels is not None:
        skip |= {monitor.labels.key, monitor.labels.column}
    numerical: list[str] = []
    categorical: list[str] = []
    for column in sample.columns:
        if column in skip:
            continue
        series = sample[column]
        if ptypes.is_bool_dtype(series) or _looks_boolean(series):
            categorical.append(column)
        elif ptypes.is_numeric_dtype(series):
            numerical.append(column)
        elif ptypes.is_datetime64_any_dtype(series) or _looks_temporal(series):
            continue
        elif ptypes.is_object_dtype(series) or ptypes.is_string_dtype(series):
            numbers = pd.to_numeric(series.dropna(), errors="coerce")
            if len(numbers) and numbers.notna().all():
                numerical.append(column)
            else:
                categorical.append(column)
    return ColumnRoles(
        tuple(numerical),
        tuple(categorical),
        monitor.prediction_column,
        monitor.target,
        monitor.task,
        monitor.prediction_label_column,
        tuple((monitor.prediction_columns or {}).items()),
        monitor.segments,
        monitor.protected_attributes,
    )


def _looks_boolean(series: pd.Series) -> bool:
    values = series.dropna()
    return len(values) > 0 and all(isinstance(v, bool) for v in values.head(100))


def _looks_temporal(series: pd.Series) -> bool:
    import datetime as dt

    values = series.dropna().head(100)
    return len(values) > 0 and all(isinstance(v, dt.date | dt.datetime) for v in values)
