"""One run's figures, told briefly for a terminal."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.figures import MetricRow, column_figures, drifted_columns, multivariate_columns, whole_window
from monitor.metric_names import estimated_name, reference_names

QUALITY = ("accuracy", "f1", "roc_auc", "mae", "rmse", "r2")
ESTIMATED = ("roc_auc", "accuracy", "f1", "mae", "rmse")


def summary_lines(metrics: Iterable[MetricRow]) -> list[str]:
    everything = list(metrics)
    rows = whole_window(everything)
    values = {(row.metric, row.column): row.value for row in rows}
    lines = []
    judged = {row.column for row in rows if row.metric == "drift.detected"}
    # A text column's descriptors ("comment:length") are stored beside it, but count with it as one column.
    total = sum(1 for column in judged if column.rpartition(":")[0] not in judged)
    if ("drift.share", "") in values and total:
        drifted = drifted_columns(rows)
        impacts = column_figures(rows).get("drift.impact", {})

        def impact(column: str) -> str:
            return "" if impacts.get(column) is None else f" (impact {impacts[column]:.2g})"

        shown = ", ".join(f"{column} {score:.3g}{impact(column)}" for column, score, _ in drifted[:8])
        more = f", and {len(drifted) - 8} more" if len(drifted) > 8 else ""
        count = values.get(("drift.count", ""))
        lines.append(
            f"drift: {len(drifted) if count is None else int(count)} of {total} columns "
            f"(share {values[('drift.share', '')]:.2f})" + (f": {shown}{more}" if shown else "")
        )
    if ("multivariate.drift.detected", "") in values:
        lines.append(_multivariate(rows, values))
    if values.get(("prediction.drift.detected", "")) == 1.0:
        lines.append(f"prediction drift: score {values[('prediction.drift.score', '')]:.3g}")
    quality = [f"{name} {values[(name, '')]:.3f}" for name in QUALITY if values.get((name, "")) is not None]
    if quality:
        coverage = values.get(("labels.coverage", ""))
        labelled = f" (labels for {coverage:.0%} of rows)" if coverage is not None and coverage < 1 else ""
        lines.append("quality: " + ", ".join(quality) + labelled)
    estimated = [_estimate(name, values) for name in ESTIMATED if values.get((estimated_name(name), "")) is not None]
    if estimated:
        lines.append("estimated quality (without labels): " + ", ".join(estimated))
    lines += _segment_lines(everything) + _fairness_lines(rows)
    return lines


def _segment_lines(rows: list[MetricRow]) -> list[str]:
    drifted = sorted(
        {r.segment for r in rows if r.segment and r.metric == "drift.detected" and r.value == 1.0 and r.column}
    )
    judged = {r.segment for r in rows if r.segment and r.metric == "rows"}
    if not judged:
        return []
    shown = ", ".join(drifted[:8]) + (f", and {len(drifted) - 8} more" if len(drifted) > 8 else "")
    return [f"segments: {len(drifted)} of {len(judged)} drift" + (f": {shown}" if drifted else "")]


def _fairness_lines(rows: list[MetricRow]) -> list[str]:
    lines = []
    for row in rows:
        if row.metric == "fairness.selection_rate_ratio" and row.value is not None:
            verdict = "fails the four-fifths rule" if row.value < 0.8 else "passes the four-fifths rule"
            lines.append(f"fairness by {row.column}: selection rate ratio {row.value:.2f} ({verdict})")
    return lines


def _multivariate(rows: list[MetricRow], values: dict[tuple[str, str], float | None]) -> str:
    score, threshold = values.get(("multivariate.drift.score", "")), values.get(("multivariate.drift.threshold", ""))
    method = next((r.method for r in rows if r.metric == "multivariate.drift.score"), None)
    what = "classifier AUC" if method == "classifier" else "reconstruction error"
    figures = f"{what} {score:.3g}, threshold {threshold:.3g}" if score is not None and threshold is not None else ""
    if values.get(("multivariate.drift.detected", "")) != 1.0:
        return f"multivariate drift: none ({figures})"
    where = ", ".join(f"{column} {share:.0%}" for column, share, _ in multivariate_columns(rows))
    return f"multivariate drift: detected ({figures})" + (f"; look at {where}" if where else "")


def _estimate(name: str, values: dict[tuple[str, str], float | None]) -> str:
    """roc_auc 0.818 (band 0.823-0.878: below): the estimate, and where it stands against what the model
    really did on the reference."""
    value = values[(estimated_name(name), "")]
    assert value is not None
    mean_name, std_name = reference_names(estimated_name(name))
    mean, std = values.get((mean_name, "")), values.get((std_name, ""))
    if mean is None or std is None:
        return f"{name} {value:.3f}"
    low, high = mean - 3 * std, mean + 3 * std
    where = "below" if value < low else "above" if value > high else "within"
    return f"{name} {value:.3f} (band {low:.3f}-{high:.3f}: {where})"
