"""An embedding's part of the report: the verdict, and where the window's points fall beside the reference's."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from monitor.embeddings.drift import EmbeddingVerdict
from monitor.widgets import CounterData, counter, plotly_figure

# The drift table's colours (evaluation/report_widgets.py), so reference and window read the same everywhere.
REFERENCE_COLOUR = "#4d4d4d"
WINDOW_COLOUR = "#ed0400"


def embedding_widgets(
    column: str, verdict: EmbeddingVerdict, reference_points: np.ndarray, window_points: np.ndarray
) -> list[Any]:
    """Evidently's widget kinds (monitor/widgets.py): a counter with the verdict, the score against its threshold
    and the rows sampled, and a scatter of both sides on the reference's plane."""
    window_rows, reference_rows = verdict.rows
    if math.isnan(verdict.score):
        verdict_text = "not judged"
        score_text = f"too few complete vectors in the window ({window_rows})"
    else:
        verdict_text = "drifted" if verdict.detected else "not drifted"
        score_text = f"{verdict.score:.3f} (threshold {verdict.threshold:.3f})"
    widgets: list[Any] = [
        counter(
            title=f"Embedding {column}: can a classifier tell the window's vectors from the reference's?",
            counters=[
                CounterData("verdict", verdict_text),
                CounterData("classifier ROC AUC", score_text),
                CounterData(
                    "vectors compared (half of each side fits the classifier, half judges it)",
                    f"{window_rows:,} of the window, {reference_rows:,} of the reference",
                ),
            ],
        )
    ]
    if len(reference_points) or len(window_points):
        widgets.append(
            plotly_figure(
                title=f"{column}: the window's vectors (red) and the reference's (grey) on the reference's two "
                "main axes (a random sample of each side; the axes were learnt on other reference rows)",
                figure=_scatter(reference_points, window_points),
            )
        )
    return widgets


def _scatter(reference_points: np.ndarray, window_points: np.ndarray) -> Any:
    import plotly.graph_objects as go

    figure = go.Figure()
    for name, points, colour in (
        (f"reference ({len(reference_points):,} points)", reference_points, REFERENCE_COLOUR),
        (f"window ({len(window_points):,} points)", window_points, WINDOW_COLOUR),
    ):
        figure.add_scatter(
            x=np.round(points[:, 0], 4).tolist(),
            y=np.round(points[:, 1], 4).tolist(),
            name=name,
            mode="markers",
            marker={"color": colour, "size": 4, "opacity": 0.5},
        )
    figure.update_layout(
        xaxis_title="first axis of the reference",
        yaxis_title="second axis of the reference",
        legend={"orientation": "h"},
    )
    return figure
