"""Evaluating one window: read it and its reference, then a short pipeline of named steps (drift, data
quality, realized and estimated model quality), the reference ranges, and the report.

No claims, no store: the runner does those around this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import structlog

from monitor import redaction
from monitor.columns.roles import ColumnRoles
from monitor.config import MonitorConfig
from monitor.drift.detect import detect, per_test_alpha
from monitor.drift.settings import drift_settings
from monitor.evaluation.artefacts import ReferenceArtefacts, reference_artefacts, reference_baselines
from monitor.evaluation.baselines import wanted_baselines
from monitor.evaluation.column_summary import quantile_step
from monitor.evaluation.cycle_check import pooled
from monitor.evaluation.cycle_step import cycle_step
from monitor.evaluation.data_steps import data_quality_step, drift_step
from monitor.evaluation.drop_widget import drop_widget
from monitor.evaluation.estimation import estimation, estimation_widget
from monitor.evaluation.fairness_step import fairness_step
from monitor.evaluation.impact_step import impact_step
from monitor.evaluation.kinds_step import judged_tests, kinds_step
from monitor.evaluation.model_quality import model_quality
from monitor.evaluation.multivariate import multivariate, tests_of
from monitor.evaluation.prepare import Prepared, prepare
from monitor.evaluation.segments import plan, segment_step
from monitor.evaluation.shift_step import shift_rows
from monitor.evaluation.step import StepOutput
from monitor.figures import MetricRow
from monitor.metric_names import estimated_name
from monitor.multivariate.reconstruction import Reconstruction
from monitor.performance.estimator import estimated_names
from monitor.report_scripts import ensure_scripts, script_src
from monitor.reports import write_report
from monitor.sources.inputs import MonitorInputs, ReferenceRead
from monitor.sources.reader import ReadResult
from monitor.sources.sampling import seed_for
from monitor.store.runs import RunOutcome
from monitor.times import iso, span
from monitor.windows import Window

log = structlog.get_logger("drifthound.run")

# Earlier windows' (window end, multivariate score, threshold), oldest first.
History = Sequence[tuple[datetime, float | None, float | None]]


@dataclass
class Inputs:
    """A window and its reference as read, with what the run records about them."""

    current: ReadResult
    reference: ReferenceRead
    roles: ColumnRoles
    labels_ready: bool
    wanted: list[tuple[str, str]]
    base: dict[str, object]


def evaluate_window(
    monitor: MonitorConfig,
    inputs: MonitorInputs,
    window: Window,
    *,
    now: datetime,
    reports_dir: Path,
    history: History = (),
) -> tuple[RunOutcome, list[MetricRow]]:
    """Reads the window and its reference, computes every figure, writes the report. `history`: earlier
    windows' multivariate scores and thresholds, for the report's chart."""
    read = _read(monitor, inputs, window, now)
    if isinstance(read, RunOutcome):
        return read, []
    roles, rows = read.roles, len(read.current.frame)
    current = prepare(read.current.frame, roles)
    # The rows as read are not needed again (a window's text values are large): only the prepared copy is.
    read.current = replace(read.current, frame=read.current.frame.iloc[:0])
    refit = read.reference.refit.note() if read.reference.refit is not None else None
    notes = [*inputs.notes, *read.current.notes, *read.reference.result.notes, *([refit] if refit else [])]
    artefacts = reference_artefacts(monitor, read.reference, roles, current.prediction_kind)
    out = _steps(monitor, current, artefacts, read, history, window)
    out.extend(cycle_step(monitor, read.reference, artefacts.prepared, artefacts.profile, roles, window, inputs.kept))
    metrics = [
        MetricRow("rows", "", float(rows)),
        MetricRow("reference_rows", "", float(len(read.reference.result.frame))),
        *out.metrics,
    ]
    if read.wanted:
        metrics += reference_baselines(monitor, read.reference, artefacts.prepared, roles, read.wanted, rows)
    metrics += shift_rows(monitor, current, artefacts.prepared, artefacts.estimator, metrics, roles.numerical)
    out.widgets += estimation_widget(metrics, estimated_names(roles.task) if artefacts.estimator else ())
    out.widgets += drop_widget(metrics, monitor)
    notes += out.notes
    if monitor.labels is not None and not read.labels_ready:
        notes.append(f"model quality when the labels are due, at {iso(window.end + monitor.labels.delay)}")
    report_path, report_error = _write_report(monitor, window, read, out, notes, reports_dir)
    reason = "; ".join(notes) or None
    return RunOutcome("ok", reason, report_path=report_path, report_error=report_error, **read.base), metrics


def _read(monitor: MonitorConfig, inputs: MonitorInputs, window: Window, now: datetime) -> Inputs | RunOutcome:
    """The window and its reference; a skipped outcome when either has too few rows."""
    roles = inputs.roles()
    labels = monitor.labels
    labels_ready = labels is None or now >= window.end + labels.delay
    current = inputs.read_current(window, with_labels=labels_ready)
    rows = len(current.frame)
    base: dict[str, object] = {"rows": rows, "rows_total": current.rows_total, "sample_seed": current.seed}
    if labels is not None:
        base |= {"labels_at": now} if labels_ready else {"labels_due_at": window.end + labels.delay}
    if rows < monitor.min_rows:
        reason = f"{rows} rows in the window, fewer than min_rows = {monitor.min_rows}"
        if rows == 0:
            reason += f"; {inputs.why_empty(window)}"
        return RunOutcome("skipped", reason, **base)
    wanted = wanted_baselines(monitor.rules, roles)
    if monitor.estimates:  # the band every estimate is drawn against
        wanted += [
            (estimated_name(m), "") for m in estimated_names(roles.task) if (estimated_name(m), "") not in wanted
        ]
    reference = inputs.read_reference(window, with_timestamps=bool(wanted) or pooled(monitor))
    ref_rows = len(reference.result.frame)
    base |= {"reference_rows": ref_rows, "reference_rows_total": reference.result.rows_total}
    if ref_rows < monitor.min_rows:
        reason = (
            f"{ref_rows} rows in the reference ({reference.describe(monitor.reference.table)}), "
            f"fewer than min_rows = {monitor.min_rows}"
        )
        return RunOutcome("skipped", reason, **base)
    return Inputs(current, reference, roles, labels_ready, wanted, base)


def _steps(
    monitor: MonitorConfig,
    current: Prepared,
    artefacts: ReferenceArtefacts,
    read: Inputs,
    history: History,
    window: Window,
) -> StepOutput:
    roles = read.roles
    seed = seed_for(monitor.name, window.start, window.end)
    # Labels not due yet: the target is not compared (its column is empty), nor is realized quality computed.
    drift_roles = roles if read.labels_ready else replace(roles, target=None)
    settings = drift_settings(monitor)
    segments = plan(current, artefacts.segment_groups, drift_roles, settings, artefacts.profile, monitor.min_rows)
    extra = tests_of(monitor.multivariate_drift) if isinstance(artefacts.reconstruction, Reconstruction) else 0
    extra += segments.tests  # every segment's tests share the run's false-alarm budget
    extra += judged_tests(artefacts.judged)  # so do the text and embedding features' tests
    drift = detect(
        current.frame,
        artefacts.profile,
        drift_roles.drift_columns,
        settings,
        reference=artefacts.prepared.frame,
        extra_tests=extra,
    )
    alpha = per_test_alpha(artefacts.profile, drift_roles.drift_columns, settings, extra)
    kinds, judgements = kinds_step(
        artefacts.judged, current.frame, alpha=alpha, min_effect=monitor.multivariate_min_effect, seed=seed
    )
    out = StepOutput()
    share = _drift_share_threshold(monitor)
    explained = impact_step(current, artefacts.impact, drift, seed=seed)
    out.extend(drift_step(drift, artefacts.profile, current, drift_roles, share, judgements, explained.metrics))
    out.extend(explained)
    out.extend(kinds)
    out.extend(
        multivariate(
            monitor.multivariate_drift,
            current,
            artefacts.prepared,
            artefacts.reconstruction,
            alpha=alpha,
            min_effect=monitor.multivariate_min_effect,
            seed=seed,
            history=list(history),
            window_end=window.end,
        )
    )
    out.extend(data_quality_step(current, artefacts.quality, roles))
    out.extend(
        model_quality(current, artefacts.prepared, roles, labels_ready=read.labels_ready, kept=read.reference.derived)
    )
    out.extend(estimation(current, artefacts.estimator))
    out.extend(quantile_step(current, artefacts.profile, drift_roles))
    out.extend(
        segment_step(
            segments,
            current,
            artefacts.prepared,
            read.reference,
            roles,
            settings,
            alpha=alpha,
            seed=seed,
            labels_ready=read.labels_ready,
            estimator=artefacts.estimator,
        )
    )
    out.extend(fairness_step(current, roles, monitor.favourable_label, labels_ready=read.labels_ready))
    return out


def _write_report(
    monitor: MonitorConfig, window: Window, read: Inputs, out: StepOutput, notes: list[str], reports_dir: Path
) -> tuple[str | None, str | None]:
    from monitor.evaluation.report import ReportContext, render

    reference = read.reference
    context = ReportContext(
        monitor=monitor.name,
        window=span(window.start, window.end),
        reference=reference.describe(monitor.reference.table),
        rows=int(read.base["rows"]),  # type: ignore[call-overload]
        rows_total=read.current.rows_total,
        reference_rows=len(reference.result.frame),
        reference_rows_total=reference.result.rows_total,
        sample_seed=read.current.seed,
        drift_share=_drift_share_threshold(monitor),
    )
    try:
        ensure_scripts(reports_dir)
        page = render(context, out.widgets, notes, script_src=script_src())
        path = write_report(reports_dir, monitor.name, window.end, page, out.snapshot)
    except OSError as error:
        reason = redaction.redact(
            f"cannot write the report under {reports_dir}: {error.strerror or error}; check that the folder "
            "exists and is writable by DriftHound"
        )
        log.error("report.failed", monitor=monitor.name, window_end=iso(window.end), error=reason)
        return None, reason
    return path, None


def _drift_share_threshold(monitor: MonitorConfig) -> float:
    thresholds = [rule.above for rule in monitor.rules if rule.metric == "drift.share" and rule.above is not None]
    return min(thresholds) if thresholds else 0.5
