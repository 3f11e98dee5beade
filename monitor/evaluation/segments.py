"""The per-segment step of a run: what the whole window gets (rows, drift verdicts, data quality, realized and
estimated quality) for each segment of each segment column, stored with `segment = "<column>=<value>"`.

A segment with fewer than min_rows rows in the window gets no figure. One with too few in the reference gets
its rows and model quality (a new model version has no reference of its own yet, and its quality is what a
canary is watched for) but no drift verdict. Drift thresholds are calibrated on the segment's own reference
rows, for its own row count, and each test's false-alarm share is the run's (the many-tests correction counts
every segment's tests, so twenty segments do not mean twenty times the false alarms).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from monitor.columns.roles import ColumnRoles
from monitor.drift.calibration import SharedUniforms
from monitor.drift.detect import DriftSettings, ReferenceProfile, count_tests, detect
from monitor.evaluation.data_quality import QualityBaseline, data_quality_rows
from monitor.evaluation.flatten import drift_rows
from monitor.evaluation.prepare import Prepared
from monitor.evaluation.segmentation import Segment, segments_of
from monitor.evaluation.step import StepOutput
from monitor.figures import MetricRow
from monitor.metric_names import estimated_name, sampling_error_name
from monitor.performance.estimator import Estimator
from monitor.performance.outcomes import labelled
from monitor.performance.realized import realized
from monitor.sources.inputs import ReferenceRead
from monitor.widgets import plotly_figure, table_data


@dataclass(frozen=True)
class SegmentKey:
    """What a segment's reference profile depends on besides the reference."""

    roles: ColumnRoles
    prediction_kind: str | None
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class SegmentReference:
    profile: ReferenceProfile
    quality: QualityBaseline


@dataclass(frozen=True)
class Plan:
    """The segments of this window, and how many drift tests they add to the run."""

    judged: list[Segment]  # enough rows in the window
    with_reference: set[str]  # of those, the ones with enough reference rows for drift verdicts
    tests: int


def plan(
    current: Prepared,
    reference_groups: Mapping[str, Mapping[str, np.ndarray]],
    roles: ColumnRoles,
    settings: DriftSettings,
    profile: ReferenceProfile,
    min_rows: int,
) -> Plan:
    judged, with_reference, tests = [], set(), 0
    for segment in segments_of(current.frame, reference_groups, roles.segments):
        if len(segment.current) < min_rows:
            continue
        judged.append(segment)
        if len(segment.reference) >= min_rows:
            with_reference.add(segment.name)
            tests += count_tests(profile, _drift_columns(roles, segment), settings)
    return Plan(judged, with_reference, tests)


def segment_step(
    segments: Plan,
    current: Prepared,
    reference: Prepared,
    read: ReferenceRead,
    roles: ColumnRoles,
    settings: DriftSettings,
    *,
    alpha: float,
    seed: int,
    labels_ready: bool,
    estimator: Estimator | str | None,
) -> StepOutput:
    out = StepOutput()
    summaries = []
    # The draws of this run's segment calibrations, made once for all of them (and dropped with the run).
    shared = SharedUniforms(seed)
    for segment in segments.judged:
        window = Prepared(current.frame.take(segment.current).reset_index(drop=True), current.prediction_kind)
        rows = [
            MetricRow("rows", "", float(len(window.frame))),
            MetricRow("reference_rows", "", float(len(segment.reference))),
        ]
        drifted: list[str] = []
        if segment.name in segments.with_reference:
            columns = _drift_columns(roles if labels_ready else _without_target(roles), segment)
            # The segment's reference rows are copied out only to learn from them, and for Evidently's methods.
            evidently = any(settings.for_column(c).method != "calibrated" for c in columns)
            base = _rows_of(reference, segment) if evidently else None
            cached = _segment_reference(read, roles, reference, segment, seed, base)
            verdicts = detect(
                window.frame,
                cached.profile,
                columns,
                settings,
                reference=base.frame if base else None,
                alpha=alpha,
                shared=shared,
            )
            rows += drift_rows(verdicts, roles)
            rows += data_quality_rows(window.frame, cached.quality, roles)
            drifted = [d.column for d in verdicts if d.detected and d.column in roles.features]
        rows += _quality(window, roles, labels_ready, estimator)
        out.metrics += [
            MetricRow(r.metric, r.column, r.value, r.method, segment=segment.name) for r in rows if r.segment == ""
        ]
        summaries.append((segment, len(window.frame), drifted, {r.metric: r.value for r in rows if not r.column}))
    if summaries and (roles.text or roles.embeddings):
        out.notes.append("free text and embeddings are judged on the whole window, not per segment")
    if summaries:
        out.widgets += _widgets(summaries, current, roles)
        out.snapshot["segments"] = [
            {"segment": s.name, "rows": n, "drifted": d, "figures": {k: v for k, v in f.items() if v is not None}}
            for s, n, d, f in summaries
        ]
    return out


def _drift_columns(roles: ColumnRoles, segment: Segment) -> list[str]:
    """The segment's own column is constant within it: nothing to compare."""
    return [c for c in roles.drift_columns if c != segment.column]


def _without_target(roles: ColumnRoles) -> ColumnRoles:
    from dataclasses import replace

    return replace(roles, target=None)


def _rows_of(reference: Prepared, segment: Segment) -> Prepared:
    return Prepared(reference.frame.take(segment.reference).reset_index(drop=True), reference.prediction_kind)


def _segment_reference(
    read: ReferenceRead, roles: ColumnRoles, reference: Prepared, segment: Segment, seed: int, base: Prepared | None
) -> SegmentReference:
    key = SegmentKey(roles, reference.prediction_kind, segment.name, segment.values)
    cached = read.derived.get(key)
    if not isinstance(cached, SegmentReference):
        base = base or _rows_of(reference, segment)
        profile = ReferenceProfile(base.frame, roles.drift_kinds(base.prediction_kind), seed=seed)
        cached = SegmentReference(profile, QualityBaseline.learn(base.frame, roles))
        read.derived[key] = cached
    return cached


def _quality(
    window: Prepared, roles: ColumnRoles, labels_ready: bool, estimator: Estimator | str | None
) -> list[MetricRow]:
    rows: list[MetricRow] = []
    if labels_ready and roles.target is not None and roles.task is not None:
        data = labelled(window.frame, roles, window.prediction_kind)
        if data is not None:
            rows.append(MetricRow("labels.coverage", "", len(data) / len(window.frame) if len(window.frame) else 0.0))
            rows += [MetricRow(name, "", value) for name, value in realized(data).items()]
    if isinstance(estimator, Estimator):
        estimate = estimator.estimate(window.frame)
        if not isinstance(estimate, str):
            rows += [MetricRow(estimated_name(n), "", v) for n, v in estimate.values.items()]
            rows += [MetricRow(sampling_error_name(n), "", v) for n, v in estimate.sampling_errors.items()]
    return rows


QUALITY_SHOWN = ("roc_auc", "accuracy", "mae", "rmse")


def _widgets(
    summaries: list[tuple[Segment, int, list[str], dict[str, Any]]], current: Prepared, roles: ColumnRoles
) -> list[Any]:
    def quality(figures: dict[str, Any]) -> str:
        parts = []
        for name in QUALITY_SHOWN:
            if figures.get(name) is not None:
                parts.append(f"{name} {figures[name]:.3f}")
            elif figures.get(estimated_name(name)) is not None:
                parts.append(f"{name} ~{figures[estimated_name(name)]:.3f} (estimated)")
        return ", ".join(parts[:2])

    # Worst first: the most drifted columns, then the lowest quality shown.
    ordered = sorted(summaries, key=lambda s: (-len(s[2]), s[0].name))
    widgets: list[Any] = [
        table_data(
            title="Segments: each one's rows, drifted columns and model quality, worst first",
            column_names=["segment", "rows", "drifted columns", "model quality"],
            data=[[s.name, f"{n:,}", ", ".join(d) or "none", quality(f)] for s, n, d, f in ordered],
        )
    ]
    prediction = roles.drifting_prediction
    if prediction is None:
        return widgets
    import plotly.graph_objects as go

    for column in roles.segments:
        parts = [(s, n) for s, n, _, _ in summaries if s.column == column][:6]
        if len(parts) < 2:
            continue
        figure = go.Figure()
        for segment, _ in parts:
            values = current.frame[prediction].iloc[segment.current].dropna()
            if values.dtype == object:
                shares = values.value_counts(normalize=True).sort_index()
                figure.add_bar(x=[str(v) for v in shares.index], y=(100 * shares).round(2).tolist(), name=segment.name)
            else:
                figure.add_histogram(x=values.to_numpy(dtype=float), name=segment.name, histnorm="percent", opacity=0.6)
        figure.update_layout(barmode="overlay" if current.frame[prediction].dtype != object else "group")
        figure.update_layout(xaxis_title=prediction, yaxis_title="percent of the segment's rows")
        widgets.append(plotly_figure(title=f"The model's outputs by {column}, side by side", figure=figure))
    return widgets
