"""The steps of a run about the data itself: drift verdicts (DriftHound's own, computed once) and data quality."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace

from monitor.columns.kinds.base import Judgement
from monitor.columns.roles import ColumnRoles
from monitor.drift.detect import ColumnDrift, ReferenceProfile
from monitor.evaluation.column_summary import column_histograms, distributions
from monitor.evaluation.data_quality import QualityBaseline, data_quality_rows
from monitor.evaluation.flatten import drift_rows
from monitor.evaluation.prepare import Prepared
from monitor.evaluation.report_widgets import drift_section, quality_section
from monitor.evaluation.step import StepOutput
from monitor.figures import MetricRow, column_figures


def drift_step(
    drift: list[ColumnDrift],
    profile: ReferenceProfile,
    current: Prepared,
    roles: ColumnRoles,
    share: float,
    judgements: Sequence[Judgement] = (),
    explained: Sequence[MetricRow] = (),
) -> StepOutput:
    """`judgements`: of the features judged as a whole (text, embeddings), each counted once in drift.share and
    shown as one row of the drift table (its verdict: any of its tests'). `explained`: the run's per-column
    figures shown beside the verdicts (importance, impact: column_figures.py), which also order the table."""
    wholes = [replace(j.verdicts[0], column=j.feature, detected=j.detected) for j in judgements if j.verdicts]
    counted = column_histograms(drift, profile, current.frame)  # drawn once: for the report and the column pages
    return StepOutput(
        metrics=drift_rows(drift, roles, [(w.column, w.detected) for w in wholes]),
        widgets=drift_section(
            drift, profile, current.frame, roles, share, wholes, explained=column_figures(explained), counted=counted
        ),
        snapshot={"drift": [asdict(d) for d in drift], "columns": distributions(counted, profile)},
    )


def data_quality_step(current: Prepared, baseline: QualityBaseline, roles: ColumnRoles) -> StepOutput:
    figures = data_quality_rows(current.frame, baseline, roles)
    return StepOutput(
        metrics=figures,
        widgets=quality_section(figures, roles),
        snapshot={"data_quality": [{"metric": f.metric, "column": f.column, "value": f.value} for f in figures]},
    )
