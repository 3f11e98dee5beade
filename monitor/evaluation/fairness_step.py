"""The fairness step of a run: for each protected attribute, how often each group got the favourable decision
(`fairness.selection_rate`, segment = "<attribute>=<group>"), the lowest group's rate over the highest's
(`fairness.selection_rate_ratio`: below 0.8 fails the four-fifths rule) and their difference, and, once labels
are in, the groups' differences in true- and false-positive rates and accuracy. Column = the attribute."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from monitor.columns.roles import ColumnRoles
from monitor.evaluation.prepare import Prepared
from monitor.evaluation.step import StepOutput
from monitor.figures import MetricRow
from monitor.performance.fairness import Fairness, fairness
from monitor.performance.outcomes import model_outputs, scored_rows
from monitor.widgets import table_data


def fairness_step(current: Prepared, roles: ColumnRoles, favourable: int | str, *, labels_ready: bool) -> StepOutput:
    out = StepOutput()
    if not roles.protected or roles.task not in ("binary_classification", "multiclass_classification"):
        return out
    outputs = model_outputs(current.frame, roles, current.prediction_kind)
    if outputs is None or outputs.decided is None or len(outputs) == 0:
        out.notes.append("no fairness figures: the model's decided class is not known (set prediction_label_column)")
        return out
    scored = scored_rows(current.frame, roles)
    wanted = [*roles.protected, *([roles.target] if roles.target is not None else [])]
    rows = current.frame[wanted] if scored.all() else current.frame.loc[scored, wanted]
    chosen = _is_favourable(outputs.decided, favourable)
    truth = None
    if labels_ready and roles.target is not None:
        target = rows[roles.target]
        truth = np.where(target.isna(), np.nan, _is_favourable(target.to_numpy(), favourable).astype(float))
    results = []
    for attribute in roles.protected:
        result = fairness(attribute, rows[attribute].astype(object).fillna("(missing)").to_numpy(), chosen, truth)
        if result is None:
            out.notes.append(f"no fairness figures for {attribute}: fewer than two groups with enough rows")
            continue
        results.append(result)
        out.metrics += _rows(result)
    if results:
        out.snapshot["fairness"] = [
            {
                "attribute": r.attribute,
                "selection_rate_ratio": r.selection_rate_ratio,
                "groups": [g.__dict__ for g in r.groups],
            }
            for r in results
        ]
        out.widgets += _widgets(results, favourable)
    return out


def _is_favourable(values: np.ndarray, favourable: int | str) -> np.ndarray:
    """Decided classes (0/1 numbers for a binary model, class names for a multiclass one) equal to the favourable
    label, however either is written (1, 1.0, "1")."""
    text = str(favourable)
    # Each distinct value is spelt once, not each row (a million rows hold two or three values).
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    chosen = np.array([_plain(v) == text for v in uniques] + [False], dtype=bool)  # the last: missing (-1)
    return chosen[codes]


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _rows(result: Fairness) -> list[MetricRow]:
    attribute = result.attribute
    rows = [
        MetricRow("fairness.selection_rate", attribute, g.selection_rate, segment=f"{attribute}={g.group}")
        for g in result.groups
    ]
    for name, value in (
        ("fairness.selection_rate_ratio", result.selection_rate_ratio),
        ("fairness.selection_rate_difference", result.selection_rate_difference),
        ("fairness.tpr_difference", result.tpr_difference),
        ("fairness.fpr_difference", result.fpr_difference),
        ("fairness.accuracy_difference", result.accuracy_difference),
    ):
        if value is not None:
            rows.append(MetricRow(name, attribute, value))
    return rows


def _widgets(results: list[Fairness], favourable: int | str) -> list[Any]:
    def cell(value: float | None) -> str:
        return "" if value is None else f"{value:.3f}"

    widgets = []
    for r in results:
        verdict = (
            "fails the four-fifths rule"
            if r.selection_rate_ratio is not None and r.selection_rate_ratio < 0.8
            else "passes the four-fifths rule"
        )
        widgets.append(
            table_data(
                title=f"Fairness across {r.attribute}: lowest rate of decision {favourable} over the highest "
                f"{cell(r.selection_rate_ratio)} ({verdict}), difference {cell(r.selection_rate_difference)}",
                column_names=[
                    "group",
                    "rows",
                    "selection rate",
                    "true positive rate",
                    "false positive rate",
                    "accuracy",
                ],
                data=[
                    [
                        g.group,
                        f"{g.rows:,}",
                        cell(g.selection_rate),
                        cell(g.true_positive_rate),
                        cell(g.false_positive_rate),
                        cell(g.accuracy),
                    ]
                    for g in r.groups
                ],
            )
        )
    return widgets
