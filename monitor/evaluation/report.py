"""Running Evidently on one window: the data report (drift and data quality, all rows) and the
model-quality report (rows whose label has arrived), combined into one HTML page.

Evidently is imported here, lazily: it takes seconds, and the CLI's other commands
must stay fast.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from monitor.drift.detect import ColumnDrift
from monitor.evaluation.flatten import drift_rows, flatten
from monitor.evaluation.prepare import Prepared
from monitor.evaluation.roles import ColumnRoles
from monitor.evaluation.verdicts import showing, stat_test_name
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
    *,
    min_labelled_rows: int = 1,
) -> Evaluation:
    """Figures and the report; the drift verdicts are DriftHound's (`drift`), which the report shows."""
    verdicts = {d.column: d for d in drift}
    with showing(drift):
        data_snapshot = _run(
            _data_metrics(roles, reference.frame, context.drift_share, verdicts), current, reference, roles
        )
    snapshots = {"data": data_snapshot}
    metrics = [*drift_rows(drift, roles), *flatten(data_snapshot.dict())]
    notes: list[str] = []
    quality_snapshot = None
    if roles.target is not None:
        labelled_current = _labelled(current, roles)
        labelled_reference = _labelled(reference, roles)
        coverage = len(labelled_current.frame) / len(current.frame) if len(current.frame) else 0.0
        metrics.append(MetricRow("labels.coverage", "", coverage))
        problem = _quality_problem(labelled_current, labelled_reference, roles, min_labelled_rows)
        if problem:
            notes.append(problem)
        else:
            with showing(drift):
                quality_snapshot = _run(
                    _quality_metrics(roles, current.prediction_kind, labelled_current.frame, verdicts),
                    labelled_current,
                    labelled_reference,
                    roles,
                )
            snapshots["quality"] = quality_snapshot
            metrics.extend(flatten(quality_snapshot.dict()))
    return Evaluation(
        metrics,
        _html(context, data_snapshot, quality_snapshot, notes),
        {name: snap.dict() for name, snap in snapshots.items()},
        notes,
    )


def _labelled(prepared: Prepared, roles: ColumnRoles) -> Prepared:
    frame = prepared.frame[prepared.frame[roles.target].notna()].reset_index(drop=True)
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


def _data_metrics(
    roles: ColumnRoles, reference: pd.DataFrame, drift_share: float, verdicts: dict[str, ColumnDrift]
) -> list[Any]:
    from evidently.metrics import (
        DatasetMissingValueCount,
        MissingValueCount,
        OutListValueCount,
        OutRangeValueCount,
        ValueDrift,
    )
    from evidently.presets import DataDriftPreset

    metrics: list[Any] = []
    features = [c for c in roles.features if c in verdicts and verdicts[c].detected is not None]
    if features:
        metrics.append(
            DataDriftPreset(
                columns=features,
                drift_share=drift_share,
                per_column_method={c: stat_test_name(verdicts[c].method) for c in features},
                per_column_threshold={c: verdicts[c].threshold for c in features},
            )
        )
    if roles.prediction and verdicts.get(roles.prediction) and verdicts[roles.prediction].detected is not None:
        metrics.append(_value_drift(ValueDrift, verdicts[roles.prediction]))
    metrics.append(DatasetMissingValueCount(tests=[]))
    metrics.extend(MissingValueCount(column=c, tests=[]) for c in roles.columns if c != roles.target)
    for column in roles.numerical:
        values = reference[column].dropna()
        if len(values):
            metrics.append(
                OutRangeValueCount(column=column, left=float(values.min()), right=float(values.max()), tests=[])
            )
    for column in roles.categorical:
        known = sorted(reference[column].dropna().unique().tolist())
        if known:
            metrics.append(OutListValueCount(column=column, values=known, tests=[]))
    return metrics


def _value_drift(value_drift: Any, verdict: ColumnDrift) -> Any:
    return value_drift(column=verdict.column, method=stat_test_name(verdict.method), threshold=verdict.threshold)


def _quality_metrics(
    roles: ColumnRoles, prediction_kind: str | None, labelled: pd.DataFrame, verdicts: dict[str, ColumnDrift]
) -> list[Any]:
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
        ValueDrift,
    )

    target = verdicts.get(roles.target or "")
    metrics: list[Any] = [_value_drift(ValueDrift, target)] if target and target.detected is not None else []
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
    report = Report(metrics, include_tests=True)
    return report.run(
        Dataset.from_pandas(current.frame, data_definition=definition),
        Dataset.from_pandas(reference.frame, data_definition=definition),
    )


def _html(context: ReportContext, data: Any, quality: Any | None, notes: list[str]) -> str:
    from evidently.core.metric_types import render_widgets
    from evidently.legacy.renderers.html_widgets import CounterData, counter, group_widget, text_widget

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
    data_model = data.to_snapshot_model()
    widgets = [
        header,
        group_widget(title="Data drift and data quality (all rows of the window)", widgets=list(data_model.widgets)),
    ]
    if quality is not None:
        widgets.append(
            group_widget(
                title="Model quality (rows whose label has arrived)", widgets=list(quality.to_snapshot_model().widgets)
            )
        )
    for note in notes:
        widgets.append(text_widget(title="Note", text=html.escape(note)))
    return render_widgets(widgets + list(data_model.tests_widgets), as_iframe=False)
