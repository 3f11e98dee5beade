"""Evaluating one window: read it and its reference, decide drift, compute every figure, write the report.

No claims, no store: the runner does those around this.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import structlog

from monitor import redaction
from monitor.config import MonitorConfig
from monitor.drift.detect import ReferenceProfile, detect
from monitor.drift.settings import drift_settings
from monitor.evaluation.baselines import baselines, reference_windows, wanted_baselines
from monitor.evaluation.data_quality import QualityBaseline
from monitor.evaluation.prepare import Prepared, prepare
from monitor.evaluation.roles import ColumnRoles
from monitor.figures import MetricRow
from monitor.reports import write_report
from monitor.sources.inputs import MonitorInputs, ReferenceRead
from monitor.sources.sampling import seed_for
from monitor.store.runs import RunOutcome
from monitor.times import iso, span
from monitor.windows import Window

log = structlog.get_logger("drifthound.run")


def evaluate_window(
    monitor: MonitorConfig, inputs: MonitorInputs, window: Window, *, now: datetime, reports_dir: Path
) -> tuple[RunOutcome, list[MetricRow]]:
    """Reads the window and its reference, decides drift, computes every figure, writes the report."""
    roles = inputs.roles()
    labels = monitor.labels
    labels_ready = labels is None or now >= window.end + labels.delay
    current = inputs.read_current(window, with_labels=labels_ready)
    rows = len(current.frame)
    base: dict[str, object] = {"rows": rows, "rows_total": current.rows_total, "sample_seed": current.seed}
    if labels is not None:
        base |= {"labels_at": now} if labels_ready else {"labels_due_at": window.end + labels.delay}
    if not labels_ready:  # model quality comes back at window end + delay (see labels_due)
        roles = replace(roles, target=None, task=None)
    if rows < monitor.min_rows:
        reason = f"{rows} rows in the window, fewer than min_rows = {monitor.min_rows}"
        if rows == 0:
            reason += f"; {inputs.why_empty(window)}"
        return RunOutcome("skipped", reason, **base), []
    wanted = wanted_baselines(monitor.rules, roles)
    reference = inputs.read_reference(window, with_timestamps=bool(wanted))
    ref_rows = len(reference.result.frame)
    base |= {"reference_rows": ref_rows, "reference_rows_total": reference.result.rows_total}
    if ref_rows < monitor.min_rows:
        reason = (
            f"{ref_rows} rows in the reference ({reference.describe(monitor.reference.table)}), "
            f"fewer than min_rows = {monitor.min_rows}"
        )
        return RunOutcome("skipped", reason, **base), []
    prepared_current = prepare(current.frame, roles)
    rows_total, sample_seed = current.rows_total, current.seed
    read_notes = [*inputs.notes, *current.notes, *reference.result.notes]
    del current  # the rows as read: evaluation needs only the prepared copy (a window's text values are large)
    artefacts = _reference_artefacts(monitor, reference, roles, prepared_current.prediction_kind)
    prepared_reference, profile, baseline = artefacts.prepared, artefacts.profile, artefacts.quality
    drift = detect(
        prepared_current.frame,
        profile,
        roles.drift_columns,
        drift_settings(monitor),
        reference=prepared_reference.frame,
    )

    from monitor.evaluation.report import ReportContext, evaluate

    context = ReportContext(
        monitor=monitor.name,
        window=span(window.start, window.end),
        reference=reference.describe(monitor.reference.table),
        rows=rows,
        rows_total=rows_total,
        reference_rows=ref_rows,
        reference_rows_total=reference.result.rows_total,
        sample_seed=sample_seed,
        drift_share=_drift_share_threshold(monitor),
    )
    evaluation = evaluate(
        prepared_current, prepared_reference, roles, context, drift, profile, baseline, min_labelled_rows=1
    )
    metrics = [
        MetricRow("rows", "", float(rows)),
        MetricRow("reference_rows", "", float(ref_rows)),
        *evaluation.metrics,
    ]
    if wanted:
        metrics += _baselines(
            monitor, reference, prepared_reference, roles, prepared_current.prediction_kind, wanted, rows
        )
    report_path = report_error = None
    try:
        report_path = write_report(reports_dir, monitor.name, window.end, evaluation.html, evaluation.snapshot)
    except OSError as error:
        report_error = redaction.redact(
            f"cannot write the report under {reports_dir}: "
            f"{error.strerror or error}; check that the folder exists and is "
            "writable by DriftHound"
        )
        log.error("report.failed", monitor=monitor.name, window_end=iso(window.end), error=report_error)
    notes = [*read_notes, *evaluation.notes]
    if labels is not None and not labels_ready:
        notes.append(f"model quality when the labels are due, at {iso(window.end + labels.delay)}")
    reason = "; ".join(notes) or None
    return RunOutcome("ok", reason, report_path=report_path, report_error=report_error, **base), metrics


@dataclass(frozen=True)
class ArtefactsKey:
    """What a reference's prepared frame, drift profile and quality baseline depend on besides the reference."""

    roles: ColumnRoles
    prediction_kind: str | None


@dataclass(frozen=True)
class BaselinesKey:
    """What the reference ranges of relative rules depend on: the figures wanted and how the reference is cut
    (a reference without timestamps is cut into chunks of the current window's row count)."""

    wanted: tuple[tuple[str, str], ...]
    prediction_kind: str | None
    chunk_rows: int | None


@dataclass(frozen=True)
class ReferenceArtefacts:
    prepared: Prepared
    profile: ReferenceProfile
    quality: QualityBaseline


def _reference_artefacts(
    monitor: MonitorConfig, reference: ReferenceRead, roles: ColumnRoles, prediction_kind: str | None
) -> ReferenceArtefacts:
    """The prepared reference, its drift profile (sorted values, category shares, thresholds learnt on it)
    and its ranges and categories: made once per reference, reused while it stays the same."""
    key = ArtefactsKey(roles, prediction_kind)
    cached = reference.derived.get(key)
    if not isinstance(cached, ReferenceArtefacts):
        prepared = prepare(reference.result.frame, roles)
        bounds = reference.bounds
        seed = seed_for(monitor.name, bounds.start if bounds else None, bounds.end if bounds else None)
        profile = ReferenceProfile(prepared.frame, roles.drift_kinds(prediction_kind), seed=seed)
        cached = ReferenceArtefacts(prepared, profile, QualityBaseline.learn(prepared.frame, roles))
        reference.derived[key] = cached
    return cached


def _baselines(
    monitor: MonitorConfig,
    reference: ReferenceRead,
    prepared: Prepared,
    roles: ColumnRoles,
    prediction_kind: str | None,
    wanted: list[tuple[str, str]],
    current_rows: int,
) -> list[MetricRow]:
    """The reference ranges of the figures relative rules watch, computed once per reference (and, for a
    reference without timestamps, per window row count)."""
    timed = reference.timestamps is not None and bool(reference.timestamps.notna().any())
    key = BaselinesKey(tuple(wanted), prediction_kind, None if timed else current_rows)
    cached = reference.derived.get(key)
    if not isinstance(cached, list):
        windows = reference_windows(prepared.frame, reference.timestamps, monitor.window, current_rows)
        read = reference.result
        scale = read.rows_total / len(read.frame) if len(read.frame) else 1.0
        cached = baselines(windows, wanted, roles, prediction_kind, rows_scale=scale)
        reference.derived[key] = cached
    return list(cached)


def _drift_share_threshold(monitor: MonitorConfig) -> float:
    thresholds = [rule.above for rule in monitor.rules if rule.metric == "drift.share" and rule.above is not None]
    return min(thresholds) if thresholds else 0.5
