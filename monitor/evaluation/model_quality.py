"""The realized model-quality step of a run: figures from the rows whose label has arrived (scikit-learn's
definitions, performance/realized.py), shown with Evidently's classification and regression widgets and a
confusion matrix of shares (each side normalised, so a window reads beside a reference many times larger)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import structlog

from monitor.evaluation.prepare import Prepared
from monitor.evaluation.roles import ColumnRoles
from monitor.evaluation.step import StepOutput
from monitor.figures import MetricRow
from monitor.performance.outcomes import Labelled, labelled
from monitor.performance.realized import confusion, realized

log = structlog.get_logger("drifthound.run")


def model_quality(current: Prepared, reference: Prepared, roles: ColumnRoles, *, labels_ready: bool) -> StepOutput:
    out = StepOutput()
    if roles.target is None or roles.task is None or not labels_ready:
        return out
    window = labelled(current.frame, roles, current.prediction_kind)
    assert window is not None
    coverage = len(window) / len(current.frame) if len(current.frame) else 0.0
    out.metrics.append(MetricRow("labels.coverage", "", coverage))
    if len(window) == 0:
        out.notes.append("model quality not computed: no row of this window has a label yet")
        return out
    values = realized(window)
    out.metrics += [MetricRow(name, "", value) for name, value in values.items()]
    out.snapshot["quality"] = {"labelled_rows": len(window), **values}
    base = labelled(reference.frame, roles, reference.prediction_kind)
    out.widgets += _widgets(current, reference, roles, window, base, values)
    return out


def _widgets(
    current: Prepared,
    reference: Prepared,
    roles: ColumnRoles,
    window: Labelled,
    base: Labelled | None,
    values: dict[str, float],
) -> list[Any]:
    from evidently.legacy.renderers.html_widgets import CounterData, counter, group_widget, table_data

    widgets: list[Any] = [
        counter(
            title=f"Model quality ({len(window):,} rows whose label has arrived)",
            counters=[CounterData(name, f"{value:.4g}") for name, value in values.items()],
        )
    ]
    matrix = confusion(window)
    if matrix is not None:
        classes, counts = matrix
        reference_counts = confusion(base)[1] if base is not None and len(base) else None
        widgets.append(
            table_data(
                title="Confusion matrix: share of labelled rows (true class down, decided class across)"
                + ("; the reference's shares in brackets" if reference_counts is not None else ""),
                column_names=["true \\ decided", *classes],
                data=_shares(classes, counts, reference_counts),
            )
        )
    evidently = _evidently_widgets(current, reference, roles)
    if evidently:
        widgets.append(group_widget(title="Model quality, as Evidently draws it", widgets=evidently))
    return widgets


def _shares(classes: list[str], counts: np.ndarray, reference: np.ndarray | None) -> list[list[str]]:
    total = counts.sum() or 1
    reference_total = reference.sum() if reference is not None and reference.sum() else None
    rows = []
    for i, name in enumerate(classes):
        cells = [name]
        for j in range(len(classes)):
            cell = f"{counts[i, j] / total:.1%}"
            if reference is not None and reference_total and i < reference.shape[0] and j < reference.shape[1]:
                cell += f" ({reference[i, j] / reference_total:.1%})"
            cells.append(cell)
        rows.append(cells)
    return rows


def _evidently_widgets(current: Prepared, reference: Prepared, roles: ColumnRoles) -> list[Any]:
    """Evidently's own quality widgets (ROC curve, error plots); none, with a log line, if it cannot draw them."""
    try:
        from evidently import Dataset, Report

        frames = [_labelled_frame(p, roles) for p in (current, reference)]
        definition = _definition(roles, current.prediction_kind)
        report = Report(_metrics(roles, current.prediction_kind, frames[0]), include_tests=False)
        result = report.run(
            Dataset.from_pandas(frames[0], data_definition=definition),
            Dataset.from_pandas(frames[1], data_definition=definition) if len(frames[1]) else None,
        )
        return list(result.to_snapshot_model().widgets)
    except Exception as error:  # the figures are ours; a widget Evidently cannot draw must not fail the run
        log.warning("report.quality_widgets_unavailable", error=f"{type(error).__name__}: {error}"[:300])
        return []


def _labelled_frame(prepared: Prepared, roles: ColumnRoles) -> pd.DataFrame:
    columns = [c for c in (roles.target, *roles.model_outputs) if c is not None]
    frame = prepared.frame.loc[prepared.frame[roles.target].notna(), columns].dropna().reset_index(drop=True)
    if roles.task == "binary_classification":
        frame[roles.target] = frame[roles.target].astype(int)
        if roles.prediction_label is not None:
            frame[roles.prediction_label] = frame[roles.prediction_label].astype(int)
    if roles.task == "multiclass_classification":
        frame = frame.rename(columns={column: name for name, column in roles.probabilities})
    return frame


def _definition(roles: ColumnRoles, prediction_kind: str | None) -> Any:
    from evidently import BinaryClassification, DataDefinition, MulticlassClassification, Regression

    if roles.task == "regression":
        return DataDefinition(
            numerical_columns=[roles.prediction, roles.target],
            regression=[Regression(target=roles.target, prediction=roles.prediction)],
        )
    if roles.task == "binary_classification":
        label = roles.prediction_label or (roles.prediction if prediction_kind == "label" else None)
        probas = roles.prediction if prediction_kind == "probability" else None
        categorical = [c for c in (roles.target, label) if c is not None]
        return DataDefinition(
            numerical_columns=[probas] if probas else [],
            categorical_columns=categorical,
            classification=[
                BinaryClassification(target=roles.target, prediction_labels=label, prediction_probas=probas)
            ],
        )
    probas = [name for name, _ in roles.probabilities] or None
    return DataDefinition(
        numerical_columns=probas or [],
        categorical_columns=[roles.target, roles.prediction_label],
        classification=[
            MulticlassClassification(
                target=roles.target, prediction_labels=roles.prediction_label, prediction_probas=probas
            )
        ],
    )


def _metrics(roles: ColumnRoles, prediction_kind: str | None, frame: pd.DataFrame) -> list[Any]:
    from evidently.metrics import MAE, MAPE, RMSE, Accuracy, F1Score, Precision, R2Score, Recall, RocAuc

    if roles.task == "regression":
        return [MAE(mean_tests=[], std_tests=[]), RMSE(tests=[]), MAPE(mean_tests=[], std_tests=[]), R2Score(tests=[])]
    metrics: list[Any] = [Accuracy(tests=[]), Precision(tests=[]), Recall(tests=[]), F1Score(tests=[])]
    scored = prediction_kind == "probability" or bool(roles.probabilities)
    if scored and frame[roles.target].nunique() >= 2:
        metrics.append(RocAuc(tests=[]))
    return metrics
