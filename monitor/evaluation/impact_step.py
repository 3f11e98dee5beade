"""The model-impact step of a run: does the drift matter to the model? (explain/impact.py)

Stores each feature's `importance` (learnt once per reference) and each drifted feature's `drift.impact`
(how far the model's output distribution moves when only that feature takes the window's values), and shows
them in the report beside the drift verdicts, drifted features by impact first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monitor.drift.detect import ColumnDrift
from monitor.evaluation.prepare import Prepared
from monitor.evaluation.step import StepOutput
from monitor.explain.impact import METHOD, ModelImpact
from monitor.figures import MetricRow
from monitor.widgets import table_data

LOW_FIT = 0.3  # a surrogate explaining less of the score's variance than this is said to be rough


def impact_step(
    current: Prepared, impact: ModelImpact | str | None, drift: Sequence[ColumnDrift], *, seed: int
) -> StepOutput:
    if impact is None or isinstance(impact, str):  # nothing to explain, or why it cannot be
        return StepOutput(notes=[impact] if impact else [])
    out = StepOutput()
    drifted = [d.column for d in drift if d.detected]
    moved = impact.impacts(current.frame, drifted, seed=seed)
    out.metrics += [MetricRow("importance", column, value, METHOD) for column, value in impact.importance.items()]
    out.metrics += [MetricRow("drift.impact", column, value, METHOD) for column, value in moved.items()]
    if impact.fit < LOW_FIT:
        out.notes.append(
            f"importance and impact are rough: the model's surrogate explains {impact.fit:.0%} of its score's "
            "variance on held-out reference rows"
        )
    out.snapshot["model_impact"] = {
        "method": METHOD,
        "surrogate_r2": impact.fit,
        "importance": impact.importance,
        "impact": moved,
    }
    out.widgets += _widgets(impact, moved)
    return out


def _widgets(impact: ModelImpact, moved: dict[str, float]) -> list[Any]:
    if not moved:
        return []
    ordered = sorted(moved, key=lambda c: -moved[c])
    return [
        table_data(
            title="Does the drift matter to the model? Drifted features by how far the model's outputs move when "
            "only that feature takes the window's values (in standard deviations of its score), with each "
            f"feature's importance (a surrogate of the model, {impact.fit:.0%} of its score's variance explained "
            "on held-out reference rows)",
            column_names=["feature", "impact on the model", "importance"],
            data=[[c, f"{moved[c]:.3f}", f"{impact.importance.get(c, 0.0):.3f}"] for c in ordered],
        )
    ]
