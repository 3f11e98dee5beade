"""Embeddings: a column holding a vector (a JSON array, a PostgreSQL array, pgvector's text form), or several
numeric columns forming one. Judged as a whole (monitor/embeddings/): a change no single dimension shows must
still be caught; the report draws both sides on one 2-D projection learnt on the reference."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from monitor.columns.kinds import numerical
from monitor.columns.kinds.base import Judged, Judgement, Kind
from monitor.columns.roles import ColumnRoles
from monitor.drift.detect import ColumnDrift, DriftSettings
from monitor.embeddings.vectors import parse_vectors, vector_length, vectors_from_columns

if TYPE_CHECKING:  # the classifier imports scikit-learn: loaded when an embedding is judged
    from monitor.embeddings.drift import EmbeddingReference

MAX_POINTS = 500  # of each side, drawn on the projection


def detect(values: pd.Series) -> str | None:
    length = vector_length(values)
    return None if length is None else f"vectors of {length} numbers"


def prepare(series: pd.Series, column: str, role: str) -> pd.Series:
    """A column holding vectors is kept as read (parsed when judged: lists cannot be factorised or hashed);
    the columns of an embedding spread over columns are numbers."""
    if role == "embedding_features":
        return series
    return numerical.prepare(series, column, role)


@dataclass(frozen=True, eq=False)
class EmbeddingState:
    name: str
    columns: tuple[str, ...]
    reference: EmbeddingReference

    @property
    def tests(self) -> int:
        return 1

    def judge(self, window: pd.DataFrame, *, alpha: float, min_effect: float, seed: int) -> Judgement:
        return judge(self, window, alpha=alpha, min_effect=min_effect, seed=seed)


def learn_all(reference: pd.DataFrame, roles: ColumnRoles, settings: DriftSettings, seed: int) -> list[Judged]:
    return [learn(reference, name, columns, seed=seed) for name, columns in roles.embeddings]


def matrix(frame: pd.DataFrame, name: str, columns: tuple[str, ...], *, limit: int, seed: int) -> np.ndarray:
    """The vectors of at most `limit` rows (a seeded sample: the judge samples as many anyway, and parsing
    100,000 JSON vectors takes seconds, bench/README.md), rows missing any number dropped."""
    if len(frame) > limit:
        frame = frame.iloc[np.sort(np.random.default_rng(seed).choice(len(frame), limit, replace=False))]
    vectors = parse_vectors(frame[name], name) if columns == (name,) else vectors_from_columns(frame, columns)
    return vectors[~np.isnan(vectors).any(axis=1)] if vectors.size else vectors[:0]


def learn(reference: pd.DataFrame, name: str, columns: tuple[str, ...], *, seed: int) -> EmbeddingState:
    from monitor.embeddings.drift import MAX_FIT_ROWS, MAX_ROWS_PER_SIDE, learn_embedding_reference

    vectors = matrix(reference, name, columns, limit=MAX_FIT_ROWS + MAX_ROWS_PER_SIDE, seed=seed)
    return EmbeddingState(name, columns, learn_embedding_reference(vectors, seed=seed))


def judge(state: EmbeddingState, window: pd.DataFrame, *, alpha: float, min_effect: float, seed: int) -> Judgement:
    from monitor.embeddings.drift import MAX_ROWS_PER_SIDE, judge_embedding, project
    from monitor.embeddings.report import embedding_widgets

    vectors = matrix(window, state.name, state.columns, limit=MAX_ROWS_PER_SIDE, seed=seed)
    if not len(vectors):
        return Judgement(
            state.name,
            [ColumnDrift(state.name, "embedding", None, None, None, None)],
            notes=[f'no vectors in "{state.name}" in the window: the embedding is not judged'],
        )
    verdict = judge_embedding(state.reference, vectors, alpha=alpha, min_effect=min_effect, seed=seed)
    if not np.isfinite(verdict.score):
        return Judgement(
            state.name,
            [ColumnDrift(state.name, verdict.method, None, None, None, None)],
            notes=[f'too few vectors in "{state.name}" in the window ({len(vectors)}): the embedding is not judged'],
        )
    drift = ColumnDrift(
        state.name,
        verdict.method,
        float(verdict.score),
        float(verdict.threshold),
        float(verdict.effect),
        bool(verdict.detected),
        baseline=0.5,  # a ROC AUC
    )
    reference_points, window_points = project(state.reference, vectors, max_points=MAX_POINTS, seed=seed)
    return Judgement(
        state.name,
        [drift],
        widgets=embedding_widgets(state.name, verdict, reference_points, window_points),
        snapshot={"rows": list(verdict.rows)},
    )


KIND = Kind("embedding", "embedding_features", detect, prepare, learn_all)
