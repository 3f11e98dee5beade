"""DriftHound's drift verdicts -> metric rows (the names of DESIGN.md). Pure."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.drift.detect import ColumnDrift
from monitor.evaluation.roles import ColumnRoles
from monitor.figures import MetricRow


def drift_rows(drift: Sequence[ColumnDrift], roles: ColumnRoles) -> list[MetricRow]:
    """DriftHound's verdicts as figures: per column, the dataset share and count, the prediction and target."""
    rows: list[MetricRow] = []
    features = [d for d in drift if d.column in roles.features and d.detected is not None]
    for d in drift:
        flag = None if d.detected is None else float(d.detected)
        if d.column == roles.drifting_prediction:
            rows += [
                MetricRow("prediction.drift.score", "", d.score, d.method),
                MetricRow("prediction.drift.detected", "", flag, d.method),
            ]
        elif d.column == roles.target:
            rows.append(MetricRow("target.drift.score", "", d.score, d.method))
        else:
            rows += [
                MetricRow("drift.score", d.column, d.score, d.method),
                MetricRow("drift.threshold", d.column, d.threshold, d.method),
                MetricRow("drift.ratio", d.column, d.ratio, d.method),
                MetricRow("drift.effect", d.column, d.effect, d.method),
                MetricRow("drift.detected", d.column, flag, d.method),
            ]
    if features:
        count = sum(1 for d in features if d.detected)
        rows += [MetricRow("drift.count", "", float(count)), MetricRow("drift.share", "", count / len(features))]
    return rows
