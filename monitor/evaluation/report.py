"""One window's figures and its report: drift and data quality (all rows), computed once by DriftHound,
and model quality (rows whose label has arrived) from Evidently, in one HTML page drawn by Evidently.

Evidently is imported here, lazily: it takes seconds, and the CLI's other commands
must stay fast.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from monitor.drift.detect import ColumnDrift, ReferenceProfile
from monitor.evaluation.data_quality import QualityBaseline, data_quality_rows
from monitor.evaluation.flatten import drift_rows, flatten
from monitor.evaluation.prepare import Prepared
from monitor.evaluation.report_widgets import drift_section, quality_section
from monitor.evaluation.roles import ColumnRoles
from monitor.figures import MetricRow


@dataclass(frozen=True)
class ReportContext:
    """What the report's header says about the run."""

    monitor: str
    window: str
    reference: str
    rows: int
    rows_total: int
    reference_rows: int
    reference_rows_total: int
    sample_seed: int | None
    # The share of drifted features the report calls "dataset drift": the monitor's drift.share rule, so the
    # report and the alert agree (Evidently's own default is 0.5).
    drift_share: float = 0.5


@dataclass
class Evaluation:
    metrics: list[MetricRow]
    html: str
    snapshot: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def evaluate(
    current: Prepared,
    reference: Prepared,
    roles: ColumnRoles,
    context: ReportContext,
    drift: Sequence[ColumnDrift],
    profile: ReferenceProfile,
    baseline: QualityBaseline,
    *,
    min_labelled_rows: int = 1,
) -> Evaluation:
    """Figures and the report. Drift (`drift`, DriftHound's verdicts) and data quality are computed once by
    DriftHound and shown with Evidently's widgets; model quality is Evidently's, on the labelled rows."""
    quality_figures = data_quality_rows(current.frame, baseline, roles)
    metrics = [*drift_rows(drift, roles), *quality_figures]
    widgets = [
        *drift_section(drift, profile, current.frame, roles, context.drift_share),
        *quality_section(quality_figures, roles),
    ]
    snapshot: dict[str, Any] = {
        "drift": [asdict(d) for d in drift],
        "data_quality": [{"metric": f.metric, "column": f.column, "value": f.value} for f in quality_figures],
    }
    notes: list[str] = []
    if roles.target is not None:
        labelled_current = _labelled(current, roles)
        labelled_reference = _labelled(reference, roles)
        coverage = len(labelled_current.frame) / len(current.frame) if len(current.frame) else 0.0
        metrics.append(MetricRow("labels.coverage", "", coverage))
        problem = _quality_problem(labelled_current, labelled_reference, roles, min_labelled_rows)
        if problem:
            notes.append(problem)
        else:
            quality = _run(
                _quality_metrics(roles, current.prediction_kind, labelled_current.frame),
                labelled_current,
                labelled_reference,
                roles,
            )
            snapshot["quality"] = quality.dict()
            metrics.extend(flatten(snapshot["quality"]))
            widgets.append(_model_quality_group(quality))
    return Evaluation(metrics, _html(context, widgets, notes), snapshot, notes)


def _labelled(prepared: Prepared, roles: ColumnRoles) -> Prepared:
    """The rows whose label has arrived; only the prediction and the target (all model quality needs)."""
    wanted = [c for c in (roles.prediction, roles.target) if c is not None]
    frame = prepared.frame.loc[prepared.frame[roles.target].notna(), wanted].reset_index(drop=True)
    if roles.task == "binary_classification":
        frame = frame.assign(**{roles.target: frame[roles.target].astype(int)})  # type: ignore[arg-type]
    return Prepared(frame, prepared.prediction_kind)


def _quality_problem(current: Prepared, reference: Prepared, roles: ColumnRoles, minimum: int) -> str | None:
    if len(current.frame) < minimum:
        return (
            f"model quality not computed: {len(current.frame)} rows of this window have a label "
            f"(at least {minimum} needed)"
        )
    if current.frame[roles.prediction].isna().all():
        return "model quality not computed: the prediction column is empty in this window"
    if len(reference.frame) == 0:
        return "model quality not computed: no reference row has a label"
    return None


def _definition(roles: ColumnRoles, frame: pd.DataFrame, prediction_kind: str | None) -> Any:
    from evidently import BinaryClassification, DataDefinition, Regression

    numerical = [c for c in roles.numerical if c in frame]
    categorical = [c for c in roles.categorical if c in frame]
    if roles.prediction and roles.prediction in frame:
        (categorical if prediction_kind == "label" else numerical).append(roles.prediction)
    classification = regression = None
    if roles.target and roles.target in frame:
        if roles.task == "binary_classification":
            categorical.append(roles.target)
            if prediction_kind == "probability":
                classification = [BinaryClassification(target=roles.target, prediction_probas=roles.prediction)]
            else:
                classification = [BinaryClassification(target=roles.target, prediction_labels=roles.prediction)]
        else:
            numerical.append(roles.target)
            regression = [Regression(target=roles.target, prediction=roles.prediction)]
    return DataDefinition(
        numerical_columns=numerical,
        categorical_columns=categorical,
        classification=classification,
        regression=regression,
    )


def _quality_metrics(roles: ColumnRoles, prediction_kind: str | None, labelled: pd.DataFrame) -> list[Any]:
    from evidently.metrics import (
        MAE,
        MAPE,
        RMSE,
        Accuracy,
        F1Score,
        LogLoss,
        Precision,
        R2Score,
        Recall,
        RocAuc,
    )

    metrics: list[Any] = []
    if roles.task == "binary_classification":
        metrics += [Accuracy(tests=[]), Precision(tests=[]), Recall(tests=[]), F1Score(tests=[])]
        both_classes = labelled[roles.target].nunique() == 2
        if prediction_kind == "probability" and both_classes:
            metrics += [RocAuc(tests=[]), LogLoss(tests=[])]
    else:
        metrics += [
            MAE(mean_tests=[], std_tests=[]),
            RMSE(tests=[]),
            MAPE(mean_tests=[], std_tests=[]),
            R2Score(tests=[]),
        ]
    return metrics


def _run(metrics: list[Any], current: Prepared, reference: Prepared, roles: ColumnRoles) -> Any:
    from evidently import Dataset, Report

    definition = _definition(roles, current.frame, current.prediction_kind)
    report = Report(metrics, include_tests=False)
    return report.run(
        Dataset.from_pandas(current.frame, data_definition=definition),
        Dataset.from_pandas(reference.frame, data_definition=definition),
    )


def _model_quality_group(quality: Any) -> Any:
    from evidently.legacy.renderers.html_widgets import group_widget

    widgets = list(quality.to_snapshot_model().widgets)
    return group_widget(title="Model quality (rows whose label has arrived)", widgets=widgets)


def _html(context: ReportContext, widgets: list[Any], notes: list[str]) -> str:
    from evidently.core.metric_types import render_widgets
    from evidently.legacy.renderers.html_widgets import CounterData, counter, text_widget

    sampled = (
        f"{context.rows:,} of {context.rows_total:,} (seed {context.sample_seed})"
        if context.sample_seed is not None
        else f"{context.rows:,}"
    )
    header = counter(
        title=f"DriftHound: {html.escape(context.monitor)}",
        counters=[
            CounterData("window (UTC)", context.window),
            CounterData("rows", sampled),
            CounterData("reference", context.reference),
            CounterData("reference rows", f"{context.reference_rows:,} of {context.reference_rows_total:,}"),
        ],
    )
    notes_widgets = [text_widget(title="Note", text=html.escape(note)) for note in notes]
    return render_widgets([header, *widgets, *notes_widgets], as_iframe=False)
