"""The fast path computes what the reference implementations compute: scipy for the drift statistics,
Evidently for the data-quality figures, to 1e-9."""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

from monitor.columns.roles import ColumnRoles
from monitor.drift.detect import DriftSettings, ReferenceProfile, detect
from monitor.drift.statistics import sorted_wasserstein
from monitor.evaluation.data_quality import QualityBaseline, data_quality_rows

SAMPLERS = {
    "normal": lambda r, n: r.normal(0, 1, n),
    "lognormal": lambda r, n: r.lognormal(0, 1.5, n),
    "ties": lambda r, n: r.poisson(30, n).astype(float),  # many equal values
    "rounded": lambda r, n: np.round(r.normal(50, 10, n)),
    "heavy": lambda r, n: r.standard_t(2, n),
}


@pytest.mark.parametrize("name", SAMPLERS)
@pytest.mark.parametrize(("n", "m"), [(1, 1), (7, 3), (500, 5_000), (20_000, 20_000), (3_000, 100_000)])
def test_the_merged_wasserstein_is_scipys(name, n, m):
    rng = np.random.default_rng(n * 7 + m)
    current, reference = SAMPLERS[name](rng, n) + 0.05, SAMPLERS[name](rng, m)
    expected = wasserstein_distance(current, reference)
    assert sorted_wasserstein(np.sort(current), np.sort(reference)) == pytest.approx(expected, abs=1e-9, rel=1e-12)


def test_identical_samples_are_zero_apart():
    values = np.sort(np.random.default_rng(1).normal(size=1000))
    assert sorted_wasserstein(values, values) == 0.0


def test_stored_scores_are_scipys_on_the_clipped_values():
    rng = np.random.default_rng(3)
    reference = pd.DataFrame({name: sample(rng, 20_000) for name, sample in SAMPLERS.items()})
    reference["city"] = rng.choice(["Oslo", "Lyon", "Zürich", "1"], 20_000, p=[0.4, 0.3, 0.2, 0.1])
    current = pd.DataFrame({name: sample(rng, 3_000) * 1.1 for name, sample in SAMPLERS.items()})
    current["city"] = rng.choice(["Oslo", "Lyon", "Zürich", "Nice"], 3_000, p=[0.3, 0.3, 0.3, 0.1])
    kinds = {**{name: "numerical" for name in SAMPLERS}, "city": "categorical"}
    profile = ReferenceProfile(reference, kinds, seed=1)
    verdicts = {d.column: d for d in detect(current, profile, list(kinds), DriftSettings())}
    for name in SAMPLERS:
        column = profile.profile(name)
        low, high = column.clip
        ref, cur = np.clip(reference[name], low, high), np.clip(current[name], low, high)
        expected = wasserstein_distance(cur, ref) / ref.std(ddof=0)
        verdict = verdicts[name]
        if verdict.method == "wasserstein (calibrated)":
            assert verdict.score == pytest.approx(expected, abs=1e-9)
        assert verdict.effect is not None
    reference_counts, current_counts = Counter(reference["city"]), Counter(current["city"])
    categories = sorted(set(reference_counts) | set(current_counts))
    p = np.array([current_counts[c] for c in categories]) / len(current)
    q = np.array([reference_counts[c] for c in categories]) / len(reference)
    assert verdicts["city"].score == pytest.approx(float(jensenshannon(p, q, base=2)), abs=1e-9)
    assert verdicts["city"].effect == pytest.approx(float(np.abs(p - q).sum() / 2), abs=1e-9)


def test_data_quality_figures_are_evidentlys():
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import MissingValueCount, OutRangeValueCount

    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"x": rng.normal(size=2_000), "y": rng.exponential(size=2_000)})
    reference["c"] = rng.choice(["a", "b"], 2_000)
    current = pd.DataFrame({"x": rng.normal(0.5, 1.5, 1_500), "y": rng.exponential(2, 1_500)})
    current["c"] = rng.choice(["a", "b", "new"], 1_500)
    for column, share in (("x", 0.1), ("y", 0.03), ("c", 0.2)):
        current.loc[rng.random(1_500) < share, column] = None
    roles = ColumnRoles(numerical=("x", "y"), categorical=("c",))
    ours = {
        (f.metric, f.column): f.value
        for f in data_quality_rows(current, QualityBaseline.learn(reference, roles), roles)
    }

    metrics = [MissingValueCount(column=c, tests=[]) for c in ("x", "y", "c")]
    metrics += [
        OutRangeValueCount(column=c, left=float(reference[c].min()), right=float(reference[c].max()), tests=[])
        for c in ("x", "y")
    ]
    definition = DataDefinition(numerical_columns=["x", "y"], categorical_columns=["c"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snapshot = Report(metrics).run(
            Dataset.from_pandas(current, data_definition=definition),
            Dataset.from_pandas(reference, data_definition=definition),
        )
    theirs = {}
    for entry in snapshot.dict()["metrics"]:
        kind, column = entry["config"]["type"].rsplit(":", 1)[-1], entry["config"].get("column", "")
        name = "out_of_range.share" if kind == "OutRangeValueCount" else "missing.share"
        theirs[(name, column or "")] = entry["value"]["share"]
    assert set(theirs) <= set(ours)
    for key, value in theirs.items():
        assert ours[key] == pytest.approx(value, abs=1e-9), key
    assert ours[("new_categories.count", "c")] == 1.0
    # The dataset's share is the share of rows with a missing value (README), as the reference ranges of
    # `outside_reference` rules compute it; Evidently's DatasetMissingValueCount counts missing cells per row.
    assert ours[("missing.share", "")] == pytest.approx(current.isna().any(axis=1).mean(), abs=1e-12)


def test_the_report_draws_a_column_that_spans_the_whole_float_range():
    """Found by the fuzz drill: a reference from -1e308 to 1e308 overflowed the histogram's bins."""
    from monitor.evaluation.report_widgets import drift_section

    rng = np.random.default_rng(3)
    reference = pd.DataFrame({"x": np.concatenate([[-1e308, 1e308, 5e-324], rng.normal(size=60)])})
    current = pd.DataFrame({"x": np.concatenate([[1e308], rng.normal(size=30)])})
    roles = ColumnRoles(numerical=("x",), categorical=())
    profile = ReferenceProfile(reference, {"x": "numerical"}, seed=1)
    verdicts = detect(current, profile, ["x"], DriftSettings())
    widgets = drift_section(verdicts, profile, current, roles, 0.5)
    assert widgets, "the drift table is drawn"
    text = str(widgets)
    assert "nan" not in text.lower().replace("financ", ""), "no bin edge or midpoint is NaN or infinite"


@pytest.mark.parametrize("name", SAMPLERS)
def test_the_report_histograms_count_as_numpys(name):
    """The drift table's bars count values into the bins np.histogram would, values on an edge included."""
    from monitor.evaluation.report_widgets import _edges, binned_counts

    rng = np.random.default_rng(len(name))
    values = SAMPLERS[name](rng, 5_000)
    low, high = np.quantile(values, [0.05, 0.95])
    edges = _edges(float(low), float(high))
    clipped = np.concatenate([np.clip(values, low, high), edges])  # values exactly on every edge too
    assert binned_counts(clipped, edges).tolist() == np.histogram(clipped, edges)[0].tolist()
