"""The step of a run for the kinds judged as a whole (free text, embeddings; columns/kinds/): each feature's
state is learnt once per reference, and judged per window with the run's per-test alpha (every test counts in
the false-alarm budget). Gives the features' drift.* rows and, per feature, one verdict for drift.share."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from monitor.columns.kinds import DETECTION
from monitor.columns.kinds.base import Judged, Judgement
from monitor.columns.roles import ColumnRoles
from monitor.drift.detect import DriftSettings
from monitor.evaluation.flatten import column_rows
from monitor.evaluation.step import StepOutput


def learn_judged(reference: pd.DataFrame, roles: ColumnRoles, settings: DriftSettings, *, seed: int) -> list[Judged]:
    learners = [kind.learn for kind in DETECTION if kind.learn is not None]
    return [state for learn in learners for state in learn(reference, roles, settings, seed)]


def judged_tests(states: Sequence[Judged]) -> int:
    return sum(state.tests for state in states)


def kinds_step(
    states: Sequence[Judged], current: pd.DataFrame, *, alpha: float, min_effect: float, seed: int
) -> tuple[StepOutput, list[Judgement]]:
    """`min_effect`: the classifiers' smallest AUC rise over 0.5 that counts (the monitor's multivariate one)."""
    out = StepOutput()
    judgements = [state.judge(current, alpha=alpha, min_effect=min_effect, seed=seed) for state in states]
    for judgement in judgements:
        out.metrics += [row for verdict in judgement.verdicts for row in column_rows(verdict)]
        out.widgets += judgement.widgets
        out.notes += judgement.notes
    if judgements:
        out.snapshot["features"] = {
            j.feature: {"detected": j.detected, "verdicts": [v.__dict__ for v in j.verdicts], **j.snapshot}
            for j in judgements
        }
    return out, judgements
