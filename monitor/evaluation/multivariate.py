"""The multivariate drift step of a run: whether the features still move together (multivariate/), with its
threshold learnt on the reference and sharing the run's false-alarm budget with the per-column tests.

Stores `multivariate.reconstruction_error` and/or `multivariate.classifier_auc`, the verdict as
`multivariate.drift.score`, `.threshold` and `.detected` (with "both", the method whose score is furthest
beyond its threshold decides the score, and either detects), and each feature's share of the change as
`multivariate.contribution` (column = the feature).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.evaluation.plotly_spec import with_template
from monitor.evaluation.prepare import Prepared
from monitor.evaluation.step import StepOutput
from monitor.figures import MetricRow
from monitor.multivariate import classifier
from monitor.multivariate.reconstruction import Reconstruction, judge
from monitor.widgets import CounterData, counter, plotly_data, table_data

METHODS = {
    "reconstruction": ("reconstruction",),
    "classifier": ("classifier",),
    "both": ("reconstruction", "classifier"),
}
TOP_COLUMNS = 5
DRIFTED, STEADY = "#cf222e", "#1a7f37"  # the current window's point on the history chart


@dataclass(frozen=True)
class MethodVerdict:
    """One method's verdict on the window, and how far past its threshold it is (comparable across methods)."""

    method: str
    score: float
    threshold: float
    detected: bool
    ratio: float  # (score - no-drift level) over (threshold - no-drift level): >= 1 is beyond it
    contributions: list[tuple[str, float]]  # (column, share of the change), largest first


def tests_of(mode: str) -> int:
    """How many tests the mode adds to the run's false-alarm budget."""
    return len(METHODS.get(mode, ()))


def multivariate(
    mode: str,
    current: Prepared,
    reference: Prepared,
    model: Reconstruction | str | None,
    *,
    alpha: float,
    min_effect: float,
    seed: int,
    window_end: datetime,
    history: list[tuple[datetime, float | None, float | None]] = (),  # type: ignore[assignment]
) -> StepOutput:
    """`history`: earlier windows' (end, score, threshold), oldest first, for the report's chart, which ends at
    this window (`window_end`)."""
    out = StepOutput()
    if mode == "off" or model is None:
        return out
    if isinstance(model, str):
        out.notes.append(f"no multivariate drift figure: {model}")
        return out
    verdicts: list[MethodVerdict] = []
    if "reconstruction" in METHODS[mode]:
        r = judge(model, current.frame, alpha=alpha, min_effect=min_effect)
        out.metrics.append(MetricRow("multivariate.reconstruction_error", "", r.score, "reconstruction"))
        ratio = (r.score - model.mean) / (r.threshold - model.mean) if r.threshold > model.mean else 0.0
        verdicts.append(MethodVerdict("reconstruction", r.score, r.threshold, r.detected, ratio, r.contributions))
    if "classifier" in METHODS[mode]:
        c = classifier.judge(
            model.encoder, reference.frame, current.frame, alpha=alpha, min_effect=min_effect, seed=seed
        )
        out.metrics.append(MetricRow("multivariate.classifier_auc", "", c.score, "classifier"))
        ratio = (c.score - 0.5) / (c.threshold - 0.5) if c.threshold > 0.5 else 0.0
        verdicts.append(MethodVerdict("classifier", c.score, c.threshold, c.detected, ratio, c.contributions))
    decisive = max(verdicts, key=lambda v: v.ratio)
    method, score, threshold = decisive.method, decisive.score, decisive.threshold
    contributions = decisive.contributions
    detected = any(v.detected for v in verdicts)
    out.metrics += [
        MetricRow("multivariate.drift.score", "", score, method),
        MetricRow("multivariate.drift.threshold", "", threshold, method),
        MetricRow("multivariate.drift.detected", "", float(detected), method),
        *(MetricRow("multivariate.contribution", column, share, method) for column, share in contributions),
    ]
    out.snapshot["multivariate"] = {
        "method": method,
        "score": score,
        "threshold": threshold,
        "detected": detected,
        "methods": {v.method: {"score": v.score, "threshold": v.threshold, "detected": v.detected} for v in verdicts},
        "contributions": dict(contributions),
    }
    out.widgets += _widgets(method, score, threshold, detected, contributions, list(history), window_end)
    return out


def _widgets(
    method: str,
    score: float,
    threshold: float,
    detected: bool,
    contributions: list[tuple[str, float]],
    history: list[tuple[datetime, float | None, float | None]],
    window_end: datetime,
) -> list[Any]:
    what = "mean reconstruction error" if method == "reconstruction" else "domain classifier ROC AUC"
    widgets: list[Any] = [
        counter(
            title="Multivariate drift: do the features still move together?",
            counters=[
                CounterData("verdict", "drifted" if detected else "not drifted"),
                CounterData(what, f"{score:.4g} (threshold {threshold:.4g})"),
            ],
        )
    ]
    if history:
        # Window ends as plain UTC times, so the axis is a time axis and spaces the windows as they were run.
        now = f"{window_end:%Y-%m-%d %H:%M}"
        times = [f"{end:%Y-%m-%d %H:%M}" for end, _, _ in history] + [now]
        data = [
            {"mode": "lines+markers", "name": what, "x": times, "y": [p[1] for p in history] + [score]},
            {"line": {"dash": "dash"}, "name": "threshold", "x": times, "y": [p[2] for p in history] + [threshold]},
            # The run this report is for: the point a reader looks for first, red when it drifted.
            {
                "marker": {"color": DRIFTED if detected else STEADY, "size": 12, "symbol": "diamond"},
                "mode": "markers",
                "name": f"this window: {'drifted' if detected else 'not drifted'}",
                "x": [now],
                "y": [score],
            },
        ]
        layout = {
            "legend": {"orientation": "h"},
            "xaxis": {"title": {"text": "window end (UTC)"}},
            "yaxis": {"title": {"text": what}},
        }
        widgets.append(
            plotly_data(
                title=f"{what} over recent windows, ending at this one",
                data=[{**trace, "type": "scatter"} for trace in data],  # type: ignore[arg-type]
                layout=with_template(layout),
            )
        )
    shown = [(c, s) for c, s in contributions[:TOP_COLUMNS] if s > 0]
    if shown:
        widgets.append(
            table_data(
                title="Where to look: each feature's share of the change (of the extra reconstruction error, or "
                "of the classifier's importance)",
                column_names=["feature", "share"],
                data=[[column, f"{share:.0%}"] for column, share in shown],
            )
        )
    return widgets
