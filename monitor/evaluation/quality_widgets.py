"""The report's model-quality charts, drawn from the labelled rows with numpy: a classifier's ROC and
precision-recall curves, a regressor's predicted-against-true values and its errors, the window beside the
reference. They replace Evidently's quality Report, which a run used to run for its charts alone (about 0.4 s
of a 150-row run's 0.6-0.8 s: its input checks, a plotly figure per chart; bench/README.md). The figures
themselves were always ours (performance/realized.py); these are plain plotly specifications in Evidently's
widget, like the confusion matrix beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from monitor.performance.outcomes import Labelled, normalised
from monitor.widgets import plotly_data

CURVE_POINTS = 200  # a curve is drawn through at most this many points
SCATTER_POINTS = 1000  # of each side's rows, evenly spaced
REFERENCE_ROWS = 20_000  # a reference's curves are drawn from at most this many of its rows, evenly spaced
BINS = 40


Curve = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # fpr, tpr, recall, precision


@dataclass(frozen=True)
class ReferenceSide:
    """The reference's part of the charts, drawn once per reference: at most REFERENCE_ROWS of its labelled rows,
    evenly spaced, and a classifier's curves through them."""

    rows: Labelled
    curves: dict[str, Curve]


def reference_side(reference: Labelled) -> ReferenceSide:
    rows = _spaced(reference, REFERENCE_ROWS)
    return ReferenceSide(rows, {} if rows.outputs.task == "regression" else _class_curves(rows))


def quality_charts(window: Labelled, reference: ReferenceSide | None) -> list[Any]:
    if window.outputs.task == "regression":
        sides = [("this window", window)] + ([("reference", reference.rows)] if reference else [])
        return [_predicted_against_true(sides), _errors(sides)]
    curves = [("this window", _class_curves(window))] + ([("reference", reference.curves)] if reference else [])
    if not curves[0][1]:
        return []  # no score to rank rows by: no curve
    return [_curve_chart(curves, "roc"), _curve_chart(curves, "pr")]


def _class_curves(data: Labelled) -> dict[str, Curve]:
    """Per class (binary: class 1 alone) its ROC and precision-recall points: (fpr, tpr, recall, precision)."""
    outputs = data.outputs
    if outputs.scores is None:
        return {}
    if outputs.task == "binary_classification":
        pairs = [("1", outputs.scores, data.truth == 1)]
    else:
        scores = normalised(outputs.scores) if outputs.probabilities else outputs.scores
        pairs = [(str(c), scores[:, k], data.truth == c) for k, c in enumerate(outputs.classes)]
    return {name: curve for name, score, positive in pairs if (curve := _curve(score, positive)) is not None}


def _curve(score: np.ndarray, positive: np.ndarray) -> Curve | None:
    positives = int(np.count_nonzero(positive))
    if positives in (0, len(positive)):
        return None
    order = np.argsort(-score, kind="stable")
    s, hit = score[order], positive[order]
    last = np.r_[np.flatnonzero(s[1:] != s[:-1]), len(s) - 1]  # each threshold's last row
    tp = np.cumsum(hit)[last].astype(float)
    fp = (last + 1) - tp
    tpr, fpr = np.r_[0.0, tp / positives], np.r_[0.0, fp / (len(s) - positives)]
    precision = tp / (tp + fp)
    keep = _thinned(len(tpr))
    return fpr[keep], tpr[keep], tpr[1:][_thinned(len(tp))], precision[_thinned(len(tp))]


def _thinned(points: int) -> np.ndarray:
    if points <= CURVE_POINTS:
        return np.arange(points)
    return np.unique(np.linspace(0, points - 1, CURVE_POINTS).round().astype(int))


def _curve_chart(curves: list[tuple[str, dict]], kind: str) -> Any:
    data = []
    for name, per_class in curves:
        for label, (fpr, tpr, recall, precision) in per_class.items():
            x, y = (fpr, tpr) if kind == "roc" else (recall, precision)
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": name if len(per_class) == 1 else f"{name}, class {label}",
                    "x": np.round(x, 4).tolist(),
                    "y": np.round(y, 4).tolist(),
                    "line": {"dash": "solid" if name == "this window" else "dot"},
                }
            )
    if kind == "roc":
        title = "ROC curve (true-positive rate against false-positive rate, one-vs-rest per class)"
        axes = ("false-positive rate", "true-positive rate")
    else:
        title = "Precision-recall curve (precision of the rows scored above each threshold, one-vs-rest per class)"
        axes = ("recall", "precision")
    layout = {
        "xaxis": {"title": {"text": axes[0]}, "range": [0, 1]},
        "yaxis": {"title": {"text": axes[1]}, "range": [0, 1.02]},
    }
    return plotly_data(title=title, data=data, layout=layout)  # type: ignore[arg-type]


def _predicted_against_true(sides: list[tuple[str, Labelled]]) -> Any:
    data = []
    for name, side in sides:
        shown = _spaced(side, SCATTER_POINTS)
        data.append(
            {
                "type": "scattergl",
                "mode": "markers",
                "name": name,
                "x": np.round(shown.truth.astype(float), 6).tolist(),
                "y": np.round(shown.outputs.decided.astype(float), 6).tolist(),  # type: ignore[union-attr]
                "marker": {"size": 4, "opacity": 0.6},
            }
        )
    layout = {"xaxis": {"title": {"text": "true value"}}, "yaxis": {"title": {"text": "predicted value"}}}
    title = f"Predicted against true values (at most {SCATTER_POINTS:,} rows of each side, evenly spaced)"
    return plotly_data(title=title, data=data, layout=layout)  # type: ignore[arg-type]


def _errors(sides: list[tuple[str, Labelled]]) -> Any:
    errors = [(name, side.outputs.decided.astype(float) - side.truth.astype(float)) for name, side in sides]  # type: ignore[union-attr]
    finite = np.concatenate([e[np.isfinite(e)] for _, e in errors])
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    edges = np.linspace(low, high if high > low else low + 1, BINS + 1)
    data = []
    for name, error in errors:
        counts, _ = np.histogram(error[np.isfinite(error)], bins=edges)
        shares = 100 * counts / max(int(counts.sum()), 1)
        data.append(
            {"type": "bar", "name": name, "x": np.round((edges[1:] + edges[:-1]) / 2, 6).tolist(), "y": shares.tolist()}
        )
    layout = {
        "barmode": "group",
        "xaxis": {"title": {"text": "predicted - true"}},
        "yaxis": {"title": {"text": "% of the side's labelled rows"}},
    }
    return plotly_data(title="Errors (predicted - true), each side as shares of its rows", data=data, layout=layout)  # type: ignore[arg-type]


def _spaced(data: Labelled, most: int) -> Labelled:
    """At most `most` of the rows, evenly spaced (the same rows every run)."""
    if len(data) <= most:
        return data
    return data.take(np.linspace(0, len(data) - 1, most).round().astype(int))
