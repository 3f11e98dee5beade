"""Rows as numbers for multivariate drift, learnt on the reference: numerical features standardised (missing
values at the reference's mean); categorical features one-hot over the reference's most frequent categories
but the least frequent of them (so the block has no exact linear constraint), each dummy standardised (a
category the reference never had, or a rare one, is all zeros before that). Columns that never vary on the
reference, or are all missing there, are left out (and said)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_CATEGORIES = 20


@dataclass(frozen=True)
class Encoder:
    numerical: tuple[tuple[str, float, float], ...]  # (column, mean, std)
    categorical: tuple[tuple[str, tuple[str, ...], np.ndarray, np.ndarray], ...]  # (column, categories, means, stds)
    left_out: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c, _, _ in self.numerical) + tuple(c for c, *_ in self.categorical)

    @property
    def dimensions(self) -> list[tuple[str, int]]:
        """(column, how many encoded dimensions it has), in matrix order."""
        return [(c, 1) for c, _, _ in self.numerical] + [(c, len(cats)) for c, cats, _, _ in self.categorical]

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows x encoded dimensions, written in place (a million rows: no per-column temporaries to stack)."""
        out = np.empty((len(frame), sum(width for _, width in self.dimensions)))
        for k, (column, mean, std) in enumerate(self.numerical):
            values = frame[column].to_numpy(dtype=float)
            out[:, k] = np.nan_to_num((values - mean) / std, nan=0.0)
        start = len(self.numerical)
        for column, categories, means, stds in self.categorical:
            codes = pd.Categorical(frame[column].astype(object), categories=list(categories)).codes
            block = out[:, start : start + len(categories)]
            block[:] = -means / stds  # every dummy 0 ...
            known = np.flatnonzero(codes >= 0)
            block[known, codes[known]] = (1.0 - means[codes[known]]) / stds[codes[known]]  # ... but the row's own
            start += len(categories)
        return out


def learn_encoder(reference: pd.DataFrame, numerical: tuple[str, ...], categorical: tuple[str, ...]) -> Encoder:
    left_out: list[str] = []
    numbers = []
    for column in numerical:
        values = reference[column].to_numpy(dtype=float)
        present = values[~np.isnan(values)]
        std = float(present.std()) if len(present) else 0.0
        if std > 0:
            numbers.append((column, float(present.mean()), std))
        else:
            left_out.append(column)
    categories = []
    for column in categorical:
        counts = reference[column].dropna().astype(object).value_counts()
        if len(counts) < 2:
            left_out.append(column)
            continue
        kept = tuple(str(c) for c in counts.index[: min(MAX_CATEGORIES, len(counts) - 1)])
        codes = pd.Categorical(reference[column].astype(object), categories=list(kept)).codes
        onehot = np.zeros((len(reference), len(kept)))
        onehot[np.flatnonzero(codes >= 0), codes[codes >= 0]] = 1.0
        categories.append((column, kept, onehot.mean(axis=0), np.maximum(onehot.std(axis=0), 1e-6)))
    return Encoder(tuple(numbers), tuple(categories), tuple(left_out))
