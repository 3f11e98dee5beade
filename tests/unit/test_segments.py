"""Segments and fairness as pure figures: how a window is cut, and fairness held to fairlearn's MetricFrame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitor.evaluation.segmentation import MAX_SEGMENTS, OTHER, reference_groups, segments_of
from monitor.performance.fairness import fairness


def test_the_largest_segments_by_rows_and_the_rest_as_other():
    rng = np.random.default_rng(1)
    values = np.array([f"v{k:02d}" for k in range(30)])
    weights = np.linspace(30, 1, 30) / np.linspace(30, 1, 30).sum()
    current = pd.DataFrame({"shop": rng.choice(values, 20_000, p=weights)})
    reference = pd.DataFrame({"shop": rng.choice(values, 20_000, p=weights)})
    segments = segments_of(current, reference_groups(reference, ("shop",)), ("shop",))
    assert len(segments) == MAX_SEGMENTS + 1
    assert segments[0].name == "shop=v00" and segments[-1].name == f"shop={OTHER}"
    assert sorted(np.concatenate([s.current for s in segments])) == list(range(len(current)))
    other = segments[-1]
    assert set(other.values) == {f"v{k:02d}" for k in range(20, 30)}
    assert list(other.reference) == list(np.flatnonzero(reference["shop"].isin(other.values)))
    first = segments[0]
    assert (current["shop"].iloc[first.current] == "v00").all()
    assert len(first.current) == (current["shop"] == "v00").sum()


def test_fairness_figures_equal_fairlearn_s():
    from fairlearn.metrics import (
        MetricFrame,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score

    rng = np.random.default_rng(2)
    n = 6000
    group = rng.choice(["f", "m", "x"], n, p=[0.45, 0.45, 0.1])
    approve_rate = np.where(group == "f", 0.3, np.where(group == "m", 0.5, 0.45))
    decided = rng.random(n) < approve_rate
    truth = rng.random(n) < 0.4 + 0.3 * decided
    ours = fairness("gender", group, decided, truth.astype(float))
    frame = MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "tpr": true_positive_rate,
            "fpr": false_positive_rate,
            "accuracy": accuracy_score,
        },
        y_true=truth,
        y_pred=decided,
        sensitive_features=group,
    )
    ratio = frame.ratio(method="between_groups")
    difference = frame.difference(method="between_groups")
    assert ours.selection_rate_ratio == pytest.approx(ratio["selection_rate"], abs=1e-9)
    assert ours.selection_rate_difference == pytest.approx(difference["selection_rate"], abs=1e-9)
    assert ours.tpr_difference == pytest.approx(difference["tpr"], abs=1e-9)
    assert ours.fpr_difference == pytest.approx(difference["fpr"], abs=1e-9)
    assert ours.accuracy_difference == pytest.approx(difference["accuracy"], abs=1e-9)
    by_group = {g.group: g.selection_rate for g in ours.groups}
    assert by_group == pytest.approx(frame.by_group["selection_rate"].to_dict(), abs=1e-9)
    assert ours.selection_rate_ratio < 0.8, "0.3 against 0.5 fails the four-fifths rule"


def test_groups_too_small_to_say_anything_are_left_out():
    groups = np.array(["a"] * 500 + ["b"] * 500 + ["tiny"] * 5)
    decided = np.r_[np.ones(500), np.zeros(500), np.zeros(5)].astype(bool)
    result = fairness("g", groups, decided, None)
    assert [g.group for g in result.groups] == ["a", "b"] and result.tpr_difference is None
    assert fairness("g", np.array(["a"] * 100), np.ones(100, dtype=bool), None) is None, "one group: nothing to compare"
