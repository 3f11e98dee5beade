"""The report's model-quality curves, drawn from the labelled rows with numpy instead of an Evidently Report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitor.columns.roles import ColumnRoles
from monitor.evaluation.model_quality import model_quality
from monitor.evaluation.prepare import prepare
from monitor.evaluation.quality_widgets import _class_curves, quality_charts, reference_side
from monitor.performance.outcomes import Labelled, Outputs
from monitor.performance.realized import realized


def binary(rows: int, seed: int, *, rounding: int = 2) -> Labelled:
    rng = np.random.default_rng(seed)
    p = np.round(rng.random(rows), rounding)
    truth = (rng.random(rows) < p).astype(int)
    return Labelled(Outputs("binary_classification", (p > 0.5).astype(int), p), truth)


@pytest.mark.parametrize("rounding", [1, 2])
def test_the_roc_curve_s_area_is_the_run_s_roc_auc(rounding):
    """Tied scores make one step of the curve: its area is the AUC with ties counted half, as the figure's."""
    data = binary(400, 1, rounding=rounding)
    fpr, tpr, recall, precision = _class_curves(data)["1"]
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.trapezoid(tpr, fpr) == pytest.approx(realized(data)["roc_auc"], abs=1e-12)
    assert recall[-1] == 1.0 and precision[-1] == pytest.approx(data.truth.mean())


def test_a_long_curve_is_thinned_and_a_large_reference_sampled_evenly():
    window, reference = binary(5000, 2, rounding=6), binary(100_000, 3, rounding=6)
    roc, pr = quality_charts(window, reference_side(reference))
    lines = roc.params["data"]
    assert [line["name"] for line in lines] == ["this window", "reference"]
    assert all(len(line["x"]) <= 200 for line in lines + pr.params["data"])
    assert lines[0]["x"][-1] == lines[0]["y"][-1] == 1.0


def test_a_multiclass_model_gets_a_curve_per_class():
    rng = np.random.default_rng(4)
    proba = rng.dirichlet([1, 1, 1], 300)
    classes = ("a", "b", "c")
    decided = np.array([classes[k] for k in proba.argmax(axis=1)], dtype=object)
    truth = np.array([classes[k] for k in rng.integers(0, 3, 300)], dtype=object)
    roc, _ = quality_charts(Labelled(Outputs("multiclass_classification", decided, proba, classes), truth), None)
    assert [line["name"] for line in roc.params["data"]] == [f"this window, class {c}" for c in classes]


def test_a_regressor_gets_its_predictions_against_the_truth_and_its_errors():
    rng = np.random.default_rng(5)
    truth = rng.normal(10, 2, 3000)
    window = Labelled(Outputs("regression", truth + rng.normal(0, 1, 3000)), truth)
    reference = Labelled(Outputs("regression", truth[:500] + 0.5), truth[:500])
    scatter, errors = quality_charts(window, reference_side(reference))
    assert len(scatter.params["data"][0]["x"]) == 1000 and len(scatter.params["data"][1]["x"]) == 500
    for side in errors.params["data"]:
        assert sum(side["y"]) == pytest.approx(100)


def test_a_run_s_quality_step_runs_no_evidently_report(monkeypatch):
    """Evidently's Report cost most of a small run for its charts alone: the step never runs one."""
    import evidently

    def refuse(*args, **kwargs):
        raise AssertionError("an Evidently Report ran")

    monkeypatch.setattr(evidently.Report, "run", refuse)
    roles = ColumnRoles(("x",), (), prediction="p", target="y", task="binary_classification", prediction_label="d")
    rng = np.random.default_rng(6)
    frames = []
    for rows in (150, 2000):
        p = rng.random(rows)
        frames.append(
            pd.DataFrame(
                {
                    "x": rng.normal(size=rows),
                    "p": p,
                    "d": (p > 0.5).astype(int),
                    "y": (rng.random(rows) < p).astype(int),
                }
            )
        )
    current, reference = prepare(frames[0], roles), prepare(frames[1], roles)
    kept: dict = {}
    out = model_quality(current, reference, roles, labels_ready=True, kept=kept)
    titles = [w.title for w in out.widgets]
    assert titles[-1] == "Model quality curves" and len(out.widgets[-1].widgets) == 2
    assert {"accuracy", "roc_auc"} <= set(out.snapshot["quality"])
    # The reference's side is made once and kept with the reference: a second window reuses it.
    (side,) = kept.values()
    again = model_quality(current, reference, roles, labels_ready=True, kept=kept)
    assert len(kept) == 1 and next(iter(kept.values())) is side
    assert again.widgets[-1].widgets[0].params == out.widgets[-1].widgets[0].params
