"""The steps of a run about the data itself: drift verdicts (DriftHound's own, computed once) and data quality."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from monitor.columns.roles import ColumnRoles
from monitor.drift.detect import ColumnDrift, ReferenceProfile
from monitor.evaluation.data_quality import QualityBaseline, data_quality_rows
from monitor.evaluation.flatten import drift_rows
from monitor.evaluation.prepare import Prepared
from monitor.evaluation.report_widgets import drift_section, quality_section
from monitor.evaluation.step import StepOutput


def drift_step(
    drift: list[ColumnDrift],
    profile: ReferenceProfile,
    current: Prepared,
    roles: ColumnRoles,
    share: float,
    wholes: Sequence[tuple[str, bool | None]] = (),
) -> StepOutput:
    """`wholes`: (feature, drifted) of the features judged as a whole, counted once each in drift.share."""
    return StepOutput(
        metrics=drift_rows(drift, roles, wholes),
        widgets=drift_section(drift, profile, current.frame, roles, share, wholes),
        snapshot={"drift": [asdict(d) for d in drift]},
    )


def data_quality_step(current: Prepared, baseline: QualityBaseline, roles: ColumnRoles) -> StepOutput:
    figures = data_quality_rows(current.frame, baseline, roles)
    return StepOutput(
        metrics=figures,
        widgets=quality_section(figures, roles),
        snapshot={"data_quality": [{"metric": f.metric, "column": f.column, "value": f.value} for f in figures]},
    )
