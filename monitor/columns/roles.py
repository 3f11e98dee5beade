"""Which column plays which part: features (numerical, categorical, free text, embeddings), prediction, target.

Numerical and categorical features are compared column by column (drift/detect.py); text and embeddings are
judged by their own kinds (columns/kinds/) and are never part of multivariate drift or the loss models."""

from __future__ import annotations

from dataclasses import dataclass

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
    text: tuple[str, ...] = ()  # free-text features
    embeddings: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (name, its columns): one column holding a vector,
    # or several numeric columns forming one

    @property
    def features(self) -> tuple[str, ...]:
        """The features compared column by column (and seen by multivariate drift and the loss models)."""
        return self.numerical + self.categorical

    @property
    def embedding_columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for _, columns in self.embeddings for c in columns))

    @property
    def all_features(self) -> tuple[str, ...]:
        """Every feature column a run reads: compared column by column, free text, embeddings."""
        return tuple(dict.fromkeys((*self.features, *self.text, *self.embedding_columns)))

    @property
    def model_outputs(self) -> tuple[str, ...]:
        """The columns the model wrote: score, decided class, class probabilities."""
        outputs = [c for c in (self.prediction, self.prediction_label) if c is not None]
        return (*outputs, *(column for _, column in self.probabilities))

    @property
    def grouping(self) -> tuple[str, ...]:
        """Segment and protected-attribute columns that are not features (read as categories all the same)."""
        features = set(self.all_features)
        return tuple(dict.fromkeys(c for c in (*self.segments, *self.protected) if c not in features))

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column a run reads (never the timestamp: the window filter runs in SQL)."""
        target = (self.target,) if self.target is not None else ()
        return self.all_features + self.model_outputs + target + self.grouping

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
        if column in self.text:
            return "text_features"
        for name, columns in self.embeddings:
            if column in columns:
                return "embedding_features" if columns == (name,) else f"embedding_features.{name}"
        return "numerical_features" if column in self.numerical else "categorical_features"


def configured_roles(monitor: MonitorConfig) -> ColumnRoles:
    return monitor_roles(
        monitor,
        numerical=tuple(monitor.numerical_features or ()),
        categorical=tuple(monitor.categorical_features or ()),
        text=tuple(monitor.text_features or ()),
        embeddings=monitor.embeddings,
    )


def monitor_roles(
    monitor: MonitorConfig,
    *,
    numerical: tuple[str, ...],
    categorical: tuple[str, ...],
    text: tuple[str, ...],
    embeddings: tuple[tuple[str, tuple[str, ...]], ...],
) -> ColumnRoles:
    """The monitor's roles with these features (as listed, or as inferred): the model's outputs, the target and
    the grouping columns are always the config's."""
    return ColumnRoles(
        numerical=numerical,
        categorical=categorical,
        prediction=monitor.prediction_column,
        target=monitor.target,
        task=monitor.task,
        prediction_label=monitor.prediction_label_column,
        probabilities=tuple((monitor.prediction_columns or {}).items()),
        segments=monitor.segments,
        protected=monitor.protected_attributes,
        text=text,
        embeddings=embeddings,
    )
