"""The realized model-quality step of a run: figures from the rows whose label has arrived (scikit-learn's
definitions, performance/realized.py), shown with Evidently's classification and regression widgets and a
confusion matrix of shares (each side normalised, so a window reads beside a reference many times larger), drawn
once: Evidently's own matrices (counts, one per metric) are left out."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import structlog

from monitor.columns.roles import ColumnRoles
from monitor.evaluation.prepare import Prepared
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
    from evidently.legacy.renderers.html_widgets import CounterData, counter, group_widget

    widgets: list[Any] = [
        counter(
            title=f"Model quality ({len(window):,} rows whose label has arrived)",
            counters=[CounterData(name, f"{value:.4g}") for name, value in values.items()],
        )
    ]
    matrix = confusion(window)
    if matrix is not None:
        widgets.append(_confusion_widget(matrix, confusion(base) if base is not None and len(base) else None))
    evidently = without_confusion_matrices(_evidently_widgets(current, reference, roles))
    if evidently:
        widgets.append(group_widget(title="Model quality, as Evidently draws it", widgets=evidently))
    return widgets


Matrix = tuple[list[str], np.ndarray]


def _confusion_widget(window: Matrix, reference: Matrix | None) -> Any:
    """The window's and the reference's confusion matrices side by side, each as shares of its own rows, on one
    colour scale: a window reads beside a reference many times larger."""
    from evidently.legacy.renderers.html_widgets import plotly_data

    sides = [("this window", *window)] + ([("reference", *reference)] if reference is not None else [])
    classes = _all_classes([side[1] for side in sides])
    width = 1 / len(sides)
    data, layout = [], {"coloraxis": {"cmin": 0, "cmax": 100, "colorscale": "Blues"}, "annotations": []}
    for index, (name, names, counts) in enumerate(sides):
        shares = 100 * _aligned(classes, names, counts) / max(int(counts.sum()), 1)
        axis = "" if index == 0 else str(index + 1)
        data.append(
            {
                "type": "heatmap",
                "x": classes,
                "y": classes,
                "z": np.round(shares, 2).tolist(),
                "text": [[f"{v:.1f}%" for v in row] for row in shares],
                "texttemplate": "%{text}",
                "coloraxis": "coloraxis",
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
                "hovertemplate": "true %{y}, decided %{x}: %{text}<extra>" + name + "</extra>",
            }
        )
        domain = [index * width + 0.04, (index + 1) * width - 0.04]
        layout[f"xaxis{axis}"] = {"domain": domain, "title": {"text": "decided class"}, "type": "category"}
        layout[f"yaxis{axis}"] = {
            "anchor": f"x{axis}",
            "autorange": "reversed",
            "title": {"text": "true class"},
            "type": "category",
        }
        layout["annotations"].append(
            {
                "text": f"{name} ({int(counts.sum()):,} labelled rows)",
                "x": sum(domain) / 2,
                "y": 1.08,
                "xref": "paper",
                "yref": "paper",
                "showarrow": False,
            }
        )
    return plotly_data(
        title="Confusion matrix: share of each side's labelled rows (true class down, decided class across)",
        data=data,  # type: ignore[arg-type]
        layout=layout,
    )


def _all_classes(class_lists: list[list[str]]) -> list[str]:
    merged = list(class_lists[0])
    for names in class_lists[1:]:
        merged += [name for name in names if name not in merged]
    return merged


def _aligned(classes: list[str], names: list[str], counts: np.ndarray) -> np.ndarray:
    """`counts` (rows and columns in `names` order) re-laid on `classes`, zero for a class it never saw."""
    out = np.zeros((len(classes), len(classes)))
    where = [classes.index(name) for name in names]
    out[np.ix_(where, where)] = counts
    return out


def without_confusion_matrices(widgets: list[Any]) -> list[Any]:
    """Evidently's widgets without their confusion matrices (counts, drawn once per metric): ours shows shares."""
    out: list[Any] = []
    skip_graph = False
    for widget in widgets:
        labels = [c.get("label") for c in (widget.params or {}).get("counters", [])] if widget.type == "counter" else []
        if labels == ["Confusion Matrix"]:
            skip_graph = True
            continue
        if skip_graph and widget.type == "big_graph":
            skip_graph = False
            continue
        skip_graph = False
        out.append(widget)
    return out


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
