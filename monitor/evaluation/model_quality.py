"""The realized model-quality step of a run: figures from the rows whose label has arrived (scikit-learn's
definitions, performance/realized.py), shown as counters, a confusion matrix of shares (each side normalised, so
a window reads beside a reference many times larger) and curves drawn from the same rows (quality_widgets.py),
in Evidently's widgets. No Evidently Report runs: it cost most of a small run for its charts alone."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from monitor.columns.roles import ColumnRoles
from monitor.evaluation.prepare import Prepared
from monitor.evaluation.quality_widgets import ReferenceSide, quality_charts, reference_side
from monitor.evaluation.step import StepOutput
from monitor.figures import MetricRow
from monitor.performance.outcomes import Labelled, labelled
from monitor.performance.realized import confusion, realized
from monitor.widgets import CounterData, counter, group_widget, plotly_data


@dataclass(frozen=True)
class ReferenceQualityKey:
    """What the reference's side of the quality widgets depends on besides the reference's rows."""

    roles: ColumnRoles
    prediction_kind: str | None


@dataclass(frozen=True)
class ReferenceQuality:
    """The reference's side of the quality widgets, made once per reference: its confusion matrix and charts."""

    matrix: Matrix | None
    charts: ReferenceSide | None


def model_quality(
    current: Prepared,
    reference: Prepared,
    roles: ColumnRoles,
    *,
    labels_ready: bool,
    kept: dict[Hashable, object] | None = None,
) -> StepOutput:
    """`kept`: what is kept while the reference stays the same (ReferenceRead.derived), for its side."""
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
    out.widgets += _widgets(window, _reference_quality(reference, roles, {} if kept is None else kept), values)
    return out


def _reference_quality(reference: Prepared, roles: ColumnRoles, kept: dict[Hashable, object]) -> ReferenceQuality:
    key = ReferenceQualityKey(roles, reference.prediction_kind)
    cached = kept.get(key)
    if isinstance(cached, ReferenceQuality):
        return cached
    base = labelled(reference.frame, roles, reference.prediction_kind)
    usable = base is not None and len(base) > 0
    made = ReferenceQuality(confusion(base) if usable else None, reference_side(base) if usable else None)  # type: ignore[arg-type]
    kept[key] = made
    return made


def _widgets(window: Labelled, base: ReferenceQuality, values: dict[str, float]) -> list[Any]:
    widgets: list[Any] = [
        counter(
            title=f"Model quality ({len(window):,} rows whose label has arrived)",
            counters=[CounterData(name, f"{value:.4g}") for name, value in values.items()],
        )
    ]
    matrix = confusion(window)
    if matrix is not None:
        widgets.append(_confusion_widget(matrix, base.matrix))
    charts = quality_charts(window, base.charts)
    if charts:
        widgets.append(group_widget(title="Model quality curves", widgets=charts))
    return widgets


Matrix = tuple[list[str], np.ndarray]


def _confusion_widget(window: Matrix, reference: Matrix | None) -> Any:
    """The window's and the reference's confusion matrices side by side, each as shares of its own rows, on one
    colour scale: a window reads beside a reference many times larger."""
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
