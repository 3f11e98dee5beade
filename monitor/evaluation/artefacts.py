"""What runs derive from a reference and keep while it stays the same, under keys that say what else each
depends on: the prepared frame, the drift profile, the quality baseline, the quality estimator, the state of
the features judged as a whole (text, embeddings), the model's surrogate (importance and impact), and the
reference ranges (baselines) of relative rules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitor import parallel
from monitor.columns.kinds.base import Judged
from monitor.columns.roles import ColumnRoles
from monitor.config import MonitorConfig
from monitor.drift.detect import ReferenceProfile
from monitor.drift.settings import drift_settings
from monitor.evaluation.baselines import baselines, reference_windows
from monitor.evaluation.data_quality import QualityBaseline
from monitor.evaluation.kinds_step import learn_judged
from monitor.evaluation.prepare import Prepared, prepare
from monitor.evaluation.segmentation import reference_groups
from monitor.explain.impact import ModelImpact, fit_model_impact
from monitor.figures import MetricRow
from monitor.multivariate.reconstruction import Reconstruction, fit_reconstruction
from monitor.performance.estimator import Estimator, fit_estimator
from monitor.sizes import size_bucket
from monitor.sources.inputs import ReferenceRead
from monitor.sources.sampling import seed_for


@dataclass(frozen=True)
class ArtefactsKey:
    roles: ColumnRoles
    prediction_kind: str | None
    estimates: bool
    multivariate: bool


@dataclass(frozen=True)
class BaselinesKey:
    """The figures wanted and the window's row count, which sets how the reference is cut (chunks of that
    many rows without timestamps; time windows merged to about that many rows when the reference is sampled)."""

    wanted: tuple[tuple[str, str], ...]
    prediction_kind: str | None
    chunk_rows: int | None


@dataclass(frozen=True)
class ReferenceArtefacts:
    prepared: Prepared
    profile: ReferenceProfile
    quality: QualityBaseline
    estimator: Estimator | str | None  # None: not asked for; str: why it cannot be
    reconstruction: Reconstruction | str | None  # the same
    segment_groups: dict[str, dict[str, np.ndarray]]  # segment column -> value -> the reference rows holding it
    judged: tuple[Judged, ...] = ()  # the state of each feature judged as a whole (text, embeddings)
    impact: ModelImpact | str | None = None  # None: no score to explain; str: why it cannot be


def reference_artefacts(
    monitor: MonitorConfig, reference: ReferenceRead, roles: ColumnRoles, prediction_kind: str | None
) -> ReferenceArtefacts:
    """Made once per reference, reused while it stays the same."""
    multivariate = monitor.multivariate_drift != "off"
    key = ArtefactsKey(roles, prediction_kind, monitor.estimates, multivariate)
    cached = reference.derived.get(key)
    if isinstance(cached, ReferenceArtefacts):
        return cached
    prepared = prepare(reference.result.frame, roles)
    bounds = reference.bounds
    seed = seed_for(monitor.name, bounds.start if bounds else None, bounds.end if bounds else None)
    # The PCA's fit (LAPACK, outside the GIL) goes beside the profile's sorts and the estimator's fit.
    reconstruction = parallel.start(
        lambda: (
            fit_reconstruction(prepared.frame, roles.numerical, roles.categorical, seed=seed) if multivariate else None
        ),
        work=len(prepared.frame) * len(roles.features) if multivariate else 0,
    )
    profile = ReferenceProfile(prepared.frame, roles.drift_kinds(prediction_kind), seed=seed)
    estimator = fit_estimator(prepared.frame, roles, prepared.prediction_kind, seed=seed) if monitor.estimates else None
    artefacts = ReferenceArtefacts(
        prepared,
        profile,
        QualityBaseline.learn(prepared.frame, roles),
        estimator,
        reconstruction(),
        reference_groups(prepared.frame, roles.segments),
        tuple(learn_judged(prepared.frame, roles, drift_settings(monitor), seed=seed)),
        _model_impact(prepared, roles, seed),
    )
    reference.derived[key] = artefacts
    return artefacts


def _model_impact(prepared: Prepared, roles: ColumnRoles, seed: int) -> ModelImpact | str | None:
    """A surrogate of the model's score: only a score or a predicted value (not a decided class) is explained."""
    explained = prepared.prediction_kind in ("probability", "score", "value")
    if roles.prediction is None or not explained or not roles.features:
        return None
    return fit_model_impact(prepared.frame, roles.numerical, roles.categorical, roles.prediction, seed=seed)


def reference_baselines(
    monitor: MonitorConfig,
    reference: ReferenceRead,
    prepared: Prepared,
    roles: ColumnRoles,
    wanted: list[tuple[str, str]],
    current_rows: int,
) -> list[MetricRow]:
    """The reference ranges of the figures relative rules watch (and estimates are drawn against), computed
    once per reference (and, for a reference without timestamps, per window row count)."""
    rows = size_bucket(current_rows)
    key = BaselinesKey(tuple(wanted), prepared.prediction_kind, rows)
    cached = reference.derived.get(key)
    if not isinstance(cached, list):
        spans = reference.spans.spans if reference.spans is not None else None
        windows = reference_windows(prepared.frame, reference.timestamps, monitor.window, rows, spans)
        read = reference.result
        scale = read.rows_total / len(read.frame) if len(read.frame) else 1.0
        cached = baselines(
            windows, wanted, roles, prepared.prediction_kind, rows_scale=scale, current_rows=current_rows
        )
        reference.derived[key] = cached
    return list(cached)
