"""Drift detection mechanisms: thresholds learnt from the reference, the many-columns correction,
the minimum effect, fixed methods, and the report showing DriftHound's verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from monitor.config import parse_config
from monitor.drift.detect import ColumnSettings, DriftSettings, ReferenceProfile, detect
from monitor.drift.settings import drift_settings
from monitor.drift.statistics import TAIL_STATISTICS, sample_tail_statistics, sorted_quantile

RNG_SEED = 11


def reference(rows: int = 50_000, seed: int = RNG_SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(0, 1, rows),
            "skewed": rng.lognormal(0, 1, rows),
            "region": rng.choice(list("abcde"), rows),
            "count": rng.poisson(3, rows).astype(float),
        }
    )


KINDS = {"x": "numerical", "skewed": "numerical", "region": "categorical", "count": "numerical"}


def verdicts(
    current: pd.DataFrame,
    profile: ReferenceProfile,
    settings: DriftSettings | None = None,
    columns=("x", "skewed", "region", "count"),
    ref: pd.DataFrame | None = None,
) -> dict:
    return {d.column: d for d in detect(current, profile, list(columns), settings or DriftSettings(), reference=ref)}


@pytest.fixture(scope="module")
def profile():
    return ReferenceProfile(reference(), KINDS, seed=1)


def test_thresholds_are_learnt_from_the_reference_and_shrink_with_the_window(profile):
    thresholds = [profile.numerical_nulls("x", n)[0].threshold(0.001, n) for n in (500, 5_000, 50_000)]
    assert thresholds[0] > thresholds[1] > thresholds[2]
    # As sqrt(1/n + 1/m) with a reference of 50,000 rows: ratios of about 3.0, then 2.3.
    assert 2.5 < thresholds[0] / thresholds[1] < 3.6 and 1.9 < thresholds[1] / thresholds[2] < 2.8
    # In std units: the same shape at another scale learns the same threshold.
    scaled = ReferenceProfile(pd.DataFrame({"x": reference()["x"] * 1000 + 7}), {"x": "numerical"}, seed=1)
    assert scaled.numerical_nulls("x", 5_000)[0].threshold(0.001, 5_000) == pytest.approx(thresholds[1], rel=0.2)


def test_more_columns_raise_each_threshold_to_keep_the_run_false_alarm_rate(profile):
    sample = reference(5_000, seed=98)
    one = verdicts(sample, profile, columns=("region",))["region"].threshold
    four = verdicts(sample, profile)["region"].threshold
    assert four > one


def test_windows_without_drift_rarely_alarm(profile):
    alarms = 0
    for seed in range(40):
        found = verdicts(reference(2_000, seed=200 + seed), profile)
        alarms += any(v.detected for v in found.values())
    assert alarms <= 1, "the default aims at 0.5% of runs; 40 runs should see none (one at worst)"


def test_real_shifts_are_caught_where_evidentlys_fixed_thresholds_are_not(profile):
    rng = np.random.default_rng(5)
    current = reference(5_000, seed=97)
    current["x"] = current["x"] + 0.1  # a tenth of a std: Evidently's normed Wasserstein >= 0.1 misses it half the time
    regions = current["region"].to_numpy(dtype=object)
    regions[(regions != "a") & (rng.random(len(regions)) < 0.05 / 0.8)] = "a"  # "a": 20% -> 25%
    current["region"] = regions
    found = verdicts(current, profile)
    assert found["x"].detected and found["x"].method == "wasserstein (calibrated)"
    assert found["region"].detected and found["region"].score < 0.1, "Jensen-Shannon well under Evidently's 0.1"
    assert 0.03 < found["region"].effect < 0.07, "the effect: the share of rows that moved (0.05, give or take)"
    assert not found["skewed"].detected and not found["count"].detected


def test_a_stretching_tail_is_caught(profile):
    current = reference(5_000, seed=96)
    cut = np.quantile(current["x"], 0.95)
    current["x"] = np.where(current["x"] > cut, cut + (current["x"] - cut) * 2.0, current["x"])
    found = verdicts(current, profile)["x"]
    assert found.detected and found.method == "tail means (calibrated)"


def test_a_skewed_column_whose_tail_stretches_is_caught():
    """A tail that stretches without moving where it starts: the excess beyond the reference's 95% quantile
    grows by half. It stands out more clearly than the tail's own mean does (which is noisy with where each
    window's tail starts, and caught 30 of these 40 windows alone)."""
    profile = ReferenceProfile(reference(), KINDS, seed=1)  # its own: calibrations draw from the profile's seed
    p = profile.profile("skewed")
    _, null = profile.numerical_nulls("skewed", 5_000)
    cut = np.quantile(reference()["skewed"], 0.95)
    caught = others = 0
    z = []
    for seed in range(93, 133):
        current = reference(5_000, seed=seed)
        skewed = current["skewed"]
        current["skewed"] = np.where(skewed > cut, cut + (skewed - cut) * 1.5, skewed)
        found = verdicts(current, profile)
        caught += found["skewed"].detected and found["skewed"].method == "tail means (calibrated)"
        others += any(found[c].detected for c in ("x", "region", "count"))
        window = np.sort(np.clip(current["skewed"].to_numpy(), *p.clip))
        z.append(
            null.studentised(sample_tail_statistics(window, null.shares, null.bounds) - null.reference_tails, 5_000)
        )
    # Of the 5% tails (the first share's statistics come first).
    upper_mean, upper_excess = np.mean(z, axis=0)[[TAIL_STATISTICS.index(s) for s in ("highest mean", "excess above")]]
    assert upper_excess > 1.25 * upper_mean > 4
    assert caught >= 32 and others <= 1


def test_tail_thresholds_learn_the_spread_and_skew_of_fresh_windows():
    """The tail null is drawn from the reference's tails alone; fresh windows from the same law must see the
    spread and the skewness it learnt. Means of the exponential's upper tail lean right, so that side's
    threshold is the higher one."""
    rng = np.random.default_rng(21)
    p = ReferenceProfile(pd.DataFrame({"e": rng.exponential(2.0, 50_000)}), {"e": "numerical"}, seed=4)
    _, null = p.numerical_nulls("e", 1_000)
    windows = np.sort(np.clip(rng.exponential(2.0, (3_000, 1_000)), *p.profile("e").clip), axis=1)
    moves = np.stack([sample_tail_statistics(w, null.shares, null.bounds) for w in windows]) - null.reference_tails
    z = null.studentised(moves, 1_000)
    assert np.all(np.abs(z.mean(axis=0)) < 0.25), "no bias left: centred on what windows give"
    assert np.all((z.std(axis=0) > 0.85) & (z.std(axis=0) < 1.2)), "the learnt spread is the windows' spread"
    upper_excess = TAIL_STATISTICS.index("excess above")
    assert null.skew[upper_excess] > 0.1 and stats.skew(z[:, upper_excess]) > 0.1
    upper, lower = null.limits(0.001, 1_000, np.ones(4)), null.limits(0.001, 1_000, -np.ones(4))
    assert upper[upper_excess] > lower[upper_excess]
    # Passed about as often as alpha says: 3,000 windows at a family-wise 5 %.
    passed = (np.abs(z) > null.limits(0.05, 1_000, z)).any(axis=1).mean()
    assert 0.02 < passed < 0.09


def test_huge_windows_do_not_alert_on_shifts_too_small_to_matter():
    big = reference(400_000, seed=3)
    profile = ReferenceProfile(big, KINDS, seed=2)
    current = reference(400_000, seed=4)
    current["x"] = current["x"] + 0.02
    found = verdicts(current, profile)["x"]
    assert found.score > found.threshold, "statistically there is a shift"
    assert found.effect < 0.05 and not found.detected, "but it is under the minimum effect"
    assert verdicts(current, profile, DriftSettings(min_effect_numerical=0.01))["x"].detected


def test_fixed_methods_per_column_with_bonferroni_for_p_values(profile):
    current = reference(5_000, seed=95)
    settings = DriftSettings(
        default=ColumnSettings("ks", 0.05),
        columns={"region": ColumnSettings("chisquare", 0.05), "skewed": ColumnSettings("psi", 0.2)},
    )
    found = verdicts(current, profile, settings, ref=reference())
    assert found["x"].method == "ks" and found["x"].threshold == pytest.approx(0.05 / 3), "3 p-value columns"
    assert found["region"].method == "chisquare" and found["region"].threshold == pytest.approx(0.05 / 3)
    assert found["skewed"].method == "psi" and found["skewed"].threshold == 0.2, "distances are not corrected"
    assert found["x"].effect is not None and found["x"].effect < 0.05


def test_discrete_numbers_are_compared_as_categories_and_constants_do_not_break(profile):
    assert profile.profile("count").kind == "categorical"
    flat = ReferenceProfile(pd.DataFrame({"c": np.ones(1000)}), {"c": "numerical"}, seed=1)
    found = detect(pd.DataFrame({"c": np.r_[np.ones(900), np.full(100, 2.0)]}), flat, ["c"], DriftSettings())[0]
    assert found.detected and found.effect == pytest.approx(0.1)


def test_new_categories_count_as_moved_rows(profile):
    current = reference(5_000, seed=94)
    current.loc[current.index[:500], "region"] = "brand new"
    found = verdicts(current, profile)["region"]
    assert found.detected and found.effect == pytest.approx(0.1, abs=0.01)


def test_settings_from_the_config():
    config = parse_config("""
[sources.s]
url = "sqlite://"
[[monitors]]
name = "m"
source = "s"
table = "t"
timestamp_column = "ts"
numerical_features = ["x", "y"]
every = "1h"
window = "1h"
reference = { last = "1d" }
drift_false_alarm_rate = 0.01
drift_min_effect = 0.1
columns = { y = { drift_method = "ks", drift_threshold = 0.01 } }
""")
    settings = drift_settings(config.monitors[0])
    assert settings.false_alarm_rate == 0.01 and settings.min_effect_numerical == 0.1
    assert settings.for_column("x") == ColumnSettings("calibrated", None, None)
    assert settings.for_column("y") == ColumnSettings("ks", 0.01, None)


def test_quantiles_of_a_sorted_reference_are_numpys_to_the_last_bit():
    rng = np.random.default_rng(5)
    for values in (rng.normal(0, 1, 10_001), rng.lognormal(0, 2, 999), np.repeat([1.0, 2.5, 7.0], 40), [3.0]):
        ordered = np.sort(np.asarray(values, dtype=float))
        wanted = [0, 0.001, 0.01, 0.05, 0.25, 0.5, 0.7, 0.95, 0.99, 0.999, 1, *rng.random(200)]
        assert np.array_equal(sorted_quantile(ordered, wanted), np.quantile(ordered, wanted))


def test_windows_too_small_for_their_tails_are_judged_by_distance_alone():
    rng = np.random.default_rng(6)
    profile = ReferenceProfile(pd.DataFrame({"x": rng.exponential(1, 50_000)}), {"x": "numerical"}, seed=1)
    settings = DriftSettings()
    _, none = profile.numerical_nulls("x", 300)
    assert none is None, "10-15 values a tail: nothing to learn its extremes from"
    small = detect(pd.DataFrame({"x": rng.exponential(1, 300)}), profile, ["x"], settings)[0]
    assert small.method == "wasserstein (calibrated)"
    moved = detect(pd.DataFrame({"x": rng.exponential(1, 300) + 0.8}), profile, ["x"], settings)[0]
    assert moved.detected, "a large shift in a small window is still seen"
    assert profile.numerical_nulls("x", 500)[1] is not None
