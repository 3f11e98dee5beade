"""A regressor's expected loss on rows without labels: models of each row's loss, learnt on the reference.

On the reference's labelled rows, gradient-boosted trees (scikit-learn's histogram gradient boosting) learn
each row's absolute error, squared error and absolute percentage error from the features and the
prediction; a window's mae, rmse and mape are the averages of what they predict for its rows. The models are
fitted once per reference and never judge the rows they were fitted on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

from monitor.columns.roles import ColumnRoles

# HistGradientBoosting takes at most this many categories per feature (the rest: unknown, like new ones).
MAX_CATEGORIES = 250
LOSSES = ("absolute", "squared", "percentage")
# Large trees, few rounds, no early stopping. A window's estimate is the mean of the models' predictions over
# its rows: their variance averages out, their bias does not, and a model held back by early stopping or
# small trees pulls the loss of a region the window moved into towards the reference's average (measured on
# NannyML's car-price data, bench/README.md: 31 leaves with early stopping erred 12.5 on mae, 255 leaves 6.7).
# Few rounds of large trees also keep predicting a 100,000-row window cheap.
TREES = {"max_iter": 25, "learning_rate": 0.3, "max_leaf_nodes": 255, "min_samples_leaf": 20, "early_stopping": False}
# Percentage errors are heavy-tailed (a true value near 0 makes a huge one): large trees chase those rows, so
# that model is kept small and stopped early (on the same data: mape erred 0.72 points with large trees, 0.19
# with these).
HEAVY_TAILED = {
    "max_iter": 100,
    "learning_rate": 0.1,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 20,
    "early_stopping": True,
    "validation_fraction": 0.1,
    "n_iter_no_change": 10,
}


@dataclass(frozen=True)
class Encoding:
    """How a frame becomes the models' input: numerical features and the prediction as they are, categorical
    features as the codes of the reference's categories (others missing)."""

    numerical: tuple[str, ...]
    categories: tuple[tuple[str, tuple[str, ...]], ...]

    @staticmethod
    def learn(frame: pd.DataFrame, roles: ColumnRoles) -> Encoding:
        numerical = (*roles.numerical, *([roles.prediction] if roles.prediction else []))
        categories = []
        for column in roles.categorical:
            counts = frame[column].dropna().value_counts()
            categories.append((column, tuple(str(c) for c in counts.index[:MAX_CATEGORIES])))
        return Encoding(tuple(numerical), tuple(categories))

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        parts = [frame[list(self.numerical)].to_numpy(dtype=float)] if self.numerical else []
        for column, known in self.categories:
            codes = pd.Categorical(frame[column], categories=list(known)).codes.astype(float)
            codes[codes < 0] = np.nan
            parts.append(codes[:, None])
        return np.hstack(parts) if parts else np.zeros((len(frame), 0))

    @property
    def categorical_mask(self) -> np.ndarray:
        return np.array([False] * len(self.numerical) + [True] * len(self.categories))


@dataclass(frozen=True)
class LossModels:
    encoding: Encoding
    models: dict[str, HistGradientBoostingRegressor]

    def predict(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        x = self.encoding.matrix(frame)
        return {loss: np.maximum(model.predict(x), 0.0) for loss, model in self.models.items()}


def row_losses(truth: np.ndarray, predicted: np.ndarray) -> dict[str, np.ndarray]:
    errors = np.abs(truth - predicted)
    with np.errstate(divide="ignore", invalid="ignore"):
        percentage = np.where(truth != 0, errors / np.abs(truth), np.nan)
    return {"absolute": errors, "squared": errors**2, "percentage": percentage}


def fit_loss_models(frame: pd.DataFrame, truth: np.ndarray, roles: ColumnRoles, *, seed: int) -> LossModels:
    """`frame`: the labelled reference rows (prepared); `truth`: their labels."""
    encoding = Encoding.learn(frame, roles)
    x = encoding.matrix(frame)
    predicted = frame[roles.prediction].to_numpy(dtype=float)
    targets = row_losses(truth, predicted)
    models = {}
    mask = encoding.categorical_mask if len(encoding.categories) else None
    for loss in LOSSES:
        y = targets[loss]
        keep = np.isfinite(y)
        if keep.sum() < 20:
            continue  # percentage errors of a target that is (almost) always 0: no mape
        settings = HEAVY_TAILED if loss == "percentage" else TREES
        model = HistGradientBoostingRegressor(**settings, categorical_features=mask, random_state=seed)
        model.fit(x[keep], y[keep])
        models[loss] = model
    return LossModels(encoding, models)


def expected(predicted_losses: dict[str, np.ndarray]) -> dict[str, float]:
    values = {}
    if "absolute" in predicted_losses:
        values["mae"] = float(predicted_losses["absolute"].mean())
    if "squared" in predicted_losses:
        values["rmse"] = float(np.sqrt(predicted_losses["squared"].mean()))
    if "percentage" in predicted_losses:
        values["mape"] = float(predicted_losses["percentage"].mean() * 100)
    return values
