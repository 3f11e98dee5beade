"""DriftHound's drift verdicts -> metric rows (the names of DESIGN.md). Pure."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.columns.roles import ColumnRoles
from monitor.drift.detect import ColumnDrift
from monitor.figures import MetricRow


def column_rows(d: ColumnDrift) -> list[MetricRow]:
    flag = None if d.detected is None else float(d.detected)
    return [
        MetricRow("drift.score", d.column, d.score, d.method),
        MetricRow("drift.threshold", d.column, d.threshold, d.method),
        MetricRow("drift.ratio", d.column, d.ratio, d.method),
        MetricRow("drift.effect", d.column, d.effect, d.method),
        MetricRow("drift.detected", d.column, flag, d.method),
    ]


def feature_verdicts(
    drift: Sequence[ColumnDrift], roles: ColumnRoles, wholes: Sequence[tuple[str, bool | None]] = ()
) -> list[bool]:
    """Whether each feature drifted, for drift.share and drift.count: the columns compared one by one, and the
    features judged as a whole (a text column, an embedding), each counted once."""
    verdicts = [d.detected for d in drift if d.column in roles.features and d.detected is not None]
    return verdicts + [detected for _, detected in wholes if detected is not None]


def drift_rows(
    drift: Sequence[ColumnDrift], roles: ColumnRoles, wholes: Sequence[tuple[str, bool | None]] = ()
) -> list[MetricRow]:
    """DriftHound's verdicts as figures: per column, the dataset share and count, the prediction and target.
    `wholes`: (feature, drifted) of the features judged as a whole; their own rows are stored by their step."""
    rows: list[MetricRow] = []
    features = feature_verdicts(drift, roles, wholes)
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
            rows += column_rows(d)
    if features:
        count = sum(features)
        rows += [MetricRow("drift.count", "", float(count)), MetricRow("drift.share", "", count / len(features))]
    return rows
