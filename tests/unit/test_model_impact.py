"""Does a drift matter to the model? Importance and impact from a surrogate of the model, on a generated log
whose truth is known: the score follows `important` strongly and never `ignored` (tests/impact_world.py)."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.columns.roles import ColumnRoles
from monitor.evaluation.impact_step import impact_step
from monitor.evaluation.prepare import Prepared, prepare
from monitor.explain.impact import fit_model_impact
from monitor.explain.importance import permutation_importance
from tests.impact_world import explained_log

ROLES = ColumnRoles(("important", "minor", "ignored"), ("region",), prediction="score", task="binary_classification")
FEATURES = ["important", "minor", "ignored", "region"]


def window(seed: int, rows: int = 2000, **shift: float) -> Prepared:
    return prepare(explained_log(np.random.default_rng(seed), rows, **shift), ROLES)


@pytest.fixture(scope="module")
def impact():
    reference = window(1, 8000)
    fitted = fit_model_impact(reference.frame, ROLES.numerical, ROLES.categorical, "score", seed=1)
    assert not isinstance(fitted, str)
    return fitted


def test_importance_orders_the_features_as_the_model_uses_them(impact):
    assert impact.fit > 0.9, "the surrogate follows the model on rows it never saw"
    assert list(impact.importance)[:2] == ["important", "minor"]
    assert impact.importance["ignored"] < 0.01 < impact.importance["minor"]


def test_a_small_move_of_an_important_feature_outweighs_a_large_move_of_an_ignored_one(impact):
    for seed in range(2, 7):
        moved = impact.impacts(window(seed, ignored=3.0, important=0.3).frame, FEATURES, seed=seed)
        assert max(moved, key=moved.__getitem__) == "important", moved
        assert moved["important"] > 10 * moved["ignored"]


def test_a_window_like_the_reference_moves_the_model_by_about_nothing(impact):
    """Each row keeps its other values and its rank: the features' relations are kept, and only sampling
    noise is left (a 0.3-std move of `important` moves the outputs by about 0.3 std)."""
    moved = impact.impacts(window(8).frame, FEATURES, seed=8)
    assert max(moved.values()) < 0.1, moved


def test_a_large_window_is_judged_on_a_draw_of_its_values(impact):
    """Quantiles and category shares of 10,000 of a 50,000-row window's values: the same answer, cheaper."""
    moved = impact.impacts(window(13, 50_000, important=0.3).frame, FEATURES, seed=13)
    assert 0.25 < moved["important"] < 0.35 and moved["ignored"] < 0.01 and moved["region"] < 0.05, moved


def test_the_step_stores_importance_for_every_feature_and_impact_for_the_drifted_ones(impact):
    from monitor.drift.detect import ColumnDrift

    verdicts = [
        ColumnDrift("important", "wasserstein", 0.3, 0.1, 0.3, True),
        ColumnDrift("ignored", "wasserstein", 3.0, 0.1, 3.0, True),
        ColumnDrift("minor", "wasserstein", 0.01, 0.1, 0.0, False),
        ColumnDrift("score", "wasserstein", 0.2, 0.1, 0.2, True),  # the model's output: not a feature
    ]
    out = impact_step(window(9, ignored=3.0, important=0.3), impact, verdicts, seed=9)
    stored = {(m.metric, m.column) for m in out.metrics}
    assert {c for m, c in stored if m == "importance"} == set(FEATURES)
    assert {c for m, c in stored if m == "drift.impact"} == {"important", "ignored"}
    [table] = out.widgets
    assert [row[0] for row in table.params["data"]] == ["important", "ignored"], "the report: by impact"


def test_what_cannot_be_explained_says_why():
    constant = window(10, 1000).frame.assign(score=0.5)
    reason = fit_model_impact(constant, ROLES.numerical, ROLES.categorical, "score", seed=1)
    assert isinstance(reason, str) and "never varies" in reason
    few = fit_model_impact(window(11, 300).frame, ROLES.numerical, ROLES.categorical, "score", seed=1)
    assert isinstance(few, str) and "at least 400" in few


def test_permutation_importance_shuffles_a_feature_s_encoded_block_as_a_whole():
    """A feature spread over two encoded columns (a one-hot block) loses its score only when both move."""
    rng = np.random.default_rng(12)
    x = rng.normal(0, 1, (500, 3))
    y = x[:, 1] + x[:, 2]

    def r2(truth, guess):
        return 1 - np.mean((truth - guess) ** 2) / np.var(truth)

    drops = permutation_importance(lambda rows: rows[:, 1] + rows[:, 2], x, y, [1, 2], r2, rng)
    assert drops[0] == 0.0 and drops[1] > 1.0
