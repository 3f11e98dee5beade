"""One run's figures, told briefly for a terminal."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.figures import MetricRow, drifted_columns

QUALITY = ("accuracy", "f1", "roc_auc", "mae", "rmse", "r2")


def summary_lines(metrics: Iterable[MetricRow]) -> list[str]:
    rows = list(metrics)
    values = {(row.metric, row.column): row.value for row in rows}
    lines = []
    total = sum(1 for row in rows if row.metric == "drift.detected")
    if ("drift.share", "") in values and total:
        drifted = drifted_columns(rows)
        shown = ", ".join(f"{column} {score:.3g}" for column, score, _ in drifted[:8])
        more = f", and {len(drifted) - 8} more" if len(drifted) > 8 else ""
        lines.append(
            f"drift: {len(drifted)} of {total} columns (share {values[('drift.share', '')]:.2f})"
            + (f": {shown}{more}" if shown else "")
        )
    if values.get(("prediction.drift.detected", "")) == 1.0:
        lines.append(f"prediction drift: score {values[('prediction.drift.score', '')]:.3g}")
    quality = [f"{name} {values[(name, '')]:.3f}" for name in QUALITY if values.get((name, "")) is not None]
    if quality:
        coverage = values.get(("labels.coverage", ""))
        labelled = f" (labels for {coverage:.0%} of rows)" if coverage is not None and coverage < 1 else ""
        lines.append("quality: " + ", ".join(quality) + labelled)
    return lines
