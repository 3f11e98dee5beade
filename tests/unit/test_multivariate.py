"""Multivariate drift: seeing columns stop moving together while each column's own distribution stays put, with a
threshold learnt on reference rows the PCA never saw, and a reason (never a NaN) when it cannot be judged."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from monitor.evaluation.multivariate import DRIFTED, multivariate
from monitor.evaluation.prepare import Prepared
from monitor.multivariate import classifier
from monitor.multivariate.reconstruction import fit_reconstruction, judge

ALPHA = 0.005 / 27  # a 12-column run's share of the false-alarm budget


def log(rng: np.random.Generator, n: int, rho: float = 0.6, sum_holds: bool = True) -> pd.DataFrame:
    x0 = rng.normal(0, 1, n)
    x1 = rho * x0 + np.sqrt(1 - rho * rho) * rng.normal(0, 1, n)
    x2 = (x0 + x1 if sum_holds else rng.normal(0, np.sqrt(2 + 2 * 0.6), n)) + rng.normal(0, 0.1, n)
    data = {"x0": x0, "x1": x1, "x2": x2}
    for k in range(3, 10):
        data[f"x{k}"] = rng.lognormal(0, 0.5, n) if k % 2 else rng.normal(0, 1, n)
    frame = pd.DataFrame(data)
    frame["region"] = rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2])
    return frame


NUMERICAL = tuple(f"x{k}" for k in range(10))


@pytest.fixture(scope="module")
def model():
    reference = log(np.random.default_rng(1), 20_000)
    fitted = fit_reconstruction(reference, NUMERICAL, ("region",), seed=1)
    assert not isinstance(fitted, str)
    return fitted


def test_a_weaker_correlation_with_every_marginal_unchanged_is_seen_and_placed(model):
    rng = np.random.default_rng(2)
    quiet = [judge(model, log(rng, 5000), alpha=ALPHA, min_effect=0.02) for _ in range(20)]
    assert not any(v.detected for v in quiet)
    weaker = [judge(model, log(rng, 5000, rho=0.4), alpha=ALPHA, min_effect=0.02) for _ in range(20)]
    assert all(v.detected for v in weaker)
    placed = sum({c for c, _ in v.contributions[:2]} == {"x0", "x1"} for v in weaker)
    assert placed >= 19, f"where to look: the pair that loosened tops {placed} of 20 windows"


def test_a_column_that_stops_being_the_sum_of_two_others(model):
    verdict = judge(model, log(np.random.default_rng(3), 1000, sum_holds=False), alpha=ALPHA, min_effect=0.02)
    assert verdict.detected and verdict.contributions[0][0] == "x2"


def test_the_threshold_is_learnt_on_rows_the_pca_never_saw(model):
    """The held-out half's mean error is the no-drift level: an in-sample one would sit lower (the PCA fits its
    own rows best) and page on noise."""
    rng = np.random.default_rng(4)
    scores = [judge(model, log(rng, 5000), alpha=ALPHA, min_effect=0.02).score for _ in range(20)]
    assert abs(np.mean(scores) - model.mean) < 3 * model.std / np.sqrt(5000 * 20) + 0.01


@pytest.mark.parametrize(
    ("frame", "numerical", "categorical", "reason"),
    [
        (pd.DataFrame({"a": np.arange(1000.0)}), ("a",), (), "at least two usable feature columns"),
        (
            pd.DataFrame({"a": np.ones(1000), "b": np.zeros(1000), "c": ["x"] * 1000}),
            ("a", "b"),
            ("c",),
            "a, b, c never vary or are all missing",
        ),
        (
            pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0) % 7}),
            ("a", "b"),
            (),
            "at least 400 reference rows",
        ),
    ],
)
def test_what_cannot_be_judged_says_why(frame, numerical, categorical, reason):
    result = fit_reconstruction(frame, numerical, categorical, seed=1)
    assert isinstance(result, str) and reason in result


def test_new_categories_and_all_missing_columns_give_a_number_not_a_nan():
    rng = np.random.default_rng(5)
    reference = log(rng, 4000).assign(empty=np.nan)
    fitted = fit_reconstruction(reference, (*NUMERICAL, "empty"), ("region",), seed=1)
    assert not isinstance(fitted, str) and "empty" in fitted.encoder.left_out
    window = log(rng, 1000).assign(empty=1.0, region="atlantis")  # a category the reference never had
    verdict = judge(fitted, window, alpha=ALPHA, min_effect=0.02)
    assert np.isfinite(verdict.score) and np.isfinite(verdict.threshold)
    assert verdict.contributions[0][0] == "region", "the unknown category is where the rows moved"


def test_the_domain_classifier_tells_a_flipped_correlation_and_not_noise(model):
    rng = np.random.default_rng(6)
    reference = log(rng, 3000)
    quiet = classifier.judge(model.encoder, reference, log(rng, 1000), alpha=ALPHA, min_effect=0.02, seed=1)
    assert not quiet.detected and abs(quiet.score - 0.5) < 0.05
    flipped = classifier.judge(model.encoder, reference, log(rng, 1000, rho=-0.8), alpha=ALPHA, min_effect=0.02, seed=1)
    assert flipped.detected and {c for c, _ in flipped.contributions[:2]} <= {"x0", "x1", "x2"}
    # The no-drift spread of a Mann-Whitney AUC: the threshold falls as the samples grow.
    assert classifier.null_threshold(ALPHA, 1000, 5000) > classifier.null_threshold(ALPHA, 5000, 5000) > 0.5


@pytest.mark.parametrize("sum_holds", [True, False], ids=["steady", "drifted"])
def test_the_report_s_history_chart_ends_at_this_window_red_when_it_drifted(model, sum_holds):
    """The chart over recent windows ends at the run the report is for: its point, at its window's end, is the
    last of the line and stands apart in the legend, red when this window drifted."""
    end = datetime(2026, 11, 22, 12, tzinfo=UTC)
    history = [(end - timedelta(hours=h), model.mean, model.mean * 1.1) for h in (3, 2, 1)]
    window = Prepared(log(np.random.default_rng(7), 1000, sum_holds=sum_holds), None)
    out = multivariate(
        "reconstruction",
        window,
        window,
        model,
        alpha=ALPHA,
        min_effect=0.02,
        seed=1,
        window_end=end,
        history=history,
    )
    figures = {m.metric: m.value for m in out.metrics if not m.column}
    detected = figures["multivariate.drift.detected"] == 1.0
    assert detected is not sum_holds, "the two windows are what they say"
    [chart] = [w for w in out.widgets if "over recent windows" in w.title]
    line, threshold, current = chart.params["data"]
    assert line["x"][-1] == threshold["x"][-1] == current["x"][0] == "2026-11-22 12:00", "ends at this window"
    assert len(line["x"]) == len(history) + 1 and line["x"] == sorted(line["x"]), "the earlier windows before it"
    assert current["y"][0] == line["y"][-1] == figures["multivariate.drift.score"], "this window's score"
    assert current["name"] == f"this window: {'drifted' if detected else 'not drifted'}"
    assert (current["marker"]["color"] == DRIFTED) is detected, "red when it drifted, and only then"
    # Drawn as plotly's own Figure draws these three traces (its default template included), without building one.
    import json

    import plotly.graph_objects as go

    drawn = go.Figure()
    drawn.add_scatter(x=line["x"], y=line["y"], name=line["name"], mode="lines+markers")
    drawn.add_scatter(x=threshold["x"], y=threshold["y"], name="threshold", line={"dash": "dash"})
    drawn.add_scatter(x=current["x"], y=current["y"], name=current["name"], mode="markers", marker=current["marker"])
    drawn.update_layout(yaxis_title=line["name"], xaxis_title="window end (UTC)", legend={"orientation": "h"})
    expected = drawn.to_plotly_json()
    assert json.loads(json.dumps(chart.params, default=float)) == json.loads(
        json.dumps({"data": expected["data"], "layout": expected["layout"]}, default=float)
    )


def test_gradient_boosting_runs_on_one_thread_per_run():
    """The daemon's runs are its parallelism: OpenMP threads beside them spin on the same cores (a 2 s domain
    classifier took 50 s with two threads on 2 idle cores). A fresh process, as the daemon and the CLI start."""
    import subprocess
    import sys

    probe = (
        "import monitor, sklearn.ensemble, threadpoolctl; "
        "print(sorted({p['num_threads'] for p in threadpoolctl.threadpool_info() if p['user_api'] == 'openmp'}))"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert found.stdout.strip() == "[1]", found.stdout + found.stderr
