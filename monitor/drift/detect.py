"""Per-column drift verdicts for one window: calibrated by default, or a fixed method per column.

A column drifts when its statistic passes its threshold AND the effect is at least
the minimum effect (in reference std units for numerical columns, as the share of
rows that changed category for categorical ones): a huge window must not alert on
a shift too small to matter. Thresholds are corrected for the number of columns
tested, so a run's false-alarm rate stays at the target however wide the data.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from monitor import parallel
from monitor.drift import calibration
from monitor.drift.methods import P_VALUE_METHODS
from monitor.drift.statistics import (
    counts,
    js_distance,
    normed_wasserstein,
    sample_tail_statistics,
    shares_of,
    sorted_quantile,
    sorted_wasserstein,
    total_variation,
)
from monitor.sizes import size_bucket

# Numerical columns with this few distinct reference values are compared as categories:
# their quantiles jump between levels, which no std-scaled statistic handles well.
DISCRETE_LEVELS = 20


def clip_bounds(reference: np.ndarray) -> tuple[float, float]:
    """Numerical values are compared within bounds a little beyond the reference's 0.1% and 99.9% quantiles
    (as far again as from the 1% to the 0.1% quantile); values beyond count at the bound. One extreme
    value must not decide a window, yet a tail that stretches, or a distribution moving out, still shows.
    `reference` is sorted."""
    if len(reference) < 1000:
        return float(reference.min()), float(reference.max())
    q = sorted_quantile(reference, (0.001, 0.01, 0.99, 0.999))
    return float(q[0] - (q[1] - q[0])), float(q[3] + (q[3] - q[2]))


@dataclass(frozen=True)
class ColumnSettings:
    method: str = "calibrated"  # or one of EVIDENTLY_METHODS, or "evidently" (Evidently's own choice)
    threshold: float | None = None  # a fixed method's threshold (its default when None)
    min_effect: float | None = None  # None: the monitor's default for the column's kind


@dataclass(frozen=True)
class DriftSettings:
    false_alarm_rate: float = 0.005
    min_effect_numerical: float = 0.05
    min_effect_categorical: float = 0.03
    default: ColumnSettings = ColumnSettings()
    columns: Mapping[str, ColumnSettings] = field(default_factory=dict)

    def for_column(self, column: str) -> ColumnSettings:
        return self.columns.get(column, self.default)


MAX_RATIO = 1000.0  # a p-value of 0 or a threshold of 0: far beyond, and still a number to draw


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    method: str
    score: float | None
    threshold: float | None
    effect: float | None
    detected: bool | None  # None: no values to compare
    baseline: float = 0.0  # the statistic's value when nothing changed (a classifier's ROC AUC: 0.5)

    @property
    def ratio(self) -> float | None:
        """The deciding statistic over its threshold, 1 and above beyond it, whatever the method (a p-value is
        beyond its threshold below it; a ROC AUC is measured from 0.5): comparable across columns, methods and
        windows. At most MAX_RATIO."""
        if self.score is None or self.threshold is None or not np.isfinite(self.score):
            return None
        if self.method in P_VALUE_METHODS:
            ratio = self.threshold / self.score if self.score > 0 else MAX_RATIO
        else:
            above, limit = self.score - self.baseline, self.threshold - self.baseline
            ratio = above / limit if limit > 0 else MAX_RATIO
        return float(min(ratio, MAX_RATIO))


@dataclass
class _Profile:
    kind: str  # how it is compared: numerical | categorical
    declared: str  # what the config says it is
    sorted_values: np.ndarray | None = None
    std: float = 0.0
    categories: list[object] = field(default_factory=list)
    shares: np.ndarray | None = None
    rows: int = 0
    clip: tuple[float, float] = (-np.inf, np.inf)
    nulls: dict[tuple[str, int], calibration.NullModel | calibration.TailNull | None] = field(default_factory=dict)


class ReferenceProfile:
    """What detection keeps of a reference: sorted values, shares, and null models learnt on demand."""

    def __init__(self, reference: pd.DataFrame, kinds: Mapping[str, str], *, seed: int) -> None:
        self._seed = seed
        columns = {column: reference[column] for column in kinds}  # taken here: the threads only read
        learnt = parallel.map_ordered(
            lambda item: _learn(columns[item[0]], item[1]), kinds.items(), work=len(reference) * len(kinds)
        )
        self._profiles: dict[str, _Profile] = dict(zip(kinds, learnt, strict=True))

    def profile(self, column: str) -> _Profile:
        return self._profiles[column]

    def __contains__(self, column: str) -> bool:
        return column in self._profiles

    def _rng(self, column: str, kind: str, rows: int) -> np.random.Generator:
        """A generator for one calibration, seeded from what it calibrates: a threshold does not depend on what
        the process calibrated before (so --force and late-label re-evaluations reproduce a run's verdicts)."""
        return np.random.default_rng([self._seed, zlib.crc32(f"{kind}|{column}".encode()), rows])

    def numerical_nulls(
        self, column: str, rows: int, shared: calibration.SharedUniforms | None = None
    ) -> tuple[calibration.NullModel, calibration.TailNull | None]:
        """`shared`: the draws of calibrations made together (a run's segments); by default, the column's own.
        No tail model for windows too small to test their tails."""
        profile = self._profiles[column]
        key = calibration.calibration_rows(size_bucket(rows))
        if ("wasserstein", key) not in profile.nulls:
            own = shared is None
            uniforms = calibration.draw_uniforms(key, self._rng(column, "numerical", key)) if own else shared.get(key)
            w, t = calibration.numerical_nulls(profile.sorted_values, profile.std, uniforms)
            profile.nulls[("wasserstein", key)], profile.nulls[("tail", key)] = w, t
        return profile.nulls[("wasserstein", key)], profile.nulls[("tail", key)]  # type: ignore[return-value]

    def categorical_null(self, column: str, rows: int) -> calibration.NullModel:
        profile = self._profiles[column]
        key = calibration.calibration_rows(size_bucket(rows))
        if ("jensenshannon", key) not in profile.nulls:
            profile.nulls[("jensenshannon", key)] = calibration.categorical_null(
                profile.shares, profile.rows, key, self._rng(column, "categorical", key)
            )
        return profile.nulls[("jensenshannon", key)]


def _learn(column: pd.Series, kind: str) -> _Profile:
    """One column's profile: sorted and clipped values when numerical with enough levels, else shares."""
    values = column.dropna()
    if kind == "numerical":
        numbers = np.sort(values.to_numpy(dtype=float))
        levels = 1 + int(np.count_nonzero(np.diff(numbers))) if len(numbers) else 0
        if levels > DISCRETE_LEVELS and float(numbers.std()) > 0:
            low, high = clip_bounds(numbers)
            ordered = np.clip(numbers, low, high)  # clipping keeps the order
            return _Profile(
                "numerical",
                "numerical",
                ordered,
                float(ordered.std()),
                rows=len(ordered),
                clip=(float(low), float(high)),
            )
        values = pd.Series(numbers)
    counted = counts(values)
    categories = sorted(counted, key=str)
    return _Profile("categorical", kind, categories=categories, shares=shares_of(counted, categories), rows=len(values))


def count_tests(profile: ReferenceProfile, columns: Sequence[str], settings: DriftSettings) -> int:
    """Two calibrated tests per numerical column (distance and tails), one per categorical."""
    calibrated = [c for c in columns if settings.for_column(c).method == "calibrated"]
    return sum(2 if profile.profile(c).kind == "numerical" else 1 for c in calibrated)


def per_test_alpha(
    profile: ReferenceProfile, columns: Sequence[str], settings: DriftSettings, extra_tests: int = 0
) -> float:
    """The false-alarm rate of each calibrated test, so that a run's stays at the monitor's: the columns' tests
    and `extra_tests` more (multivariate drift, segments)."""
    tests = count_tests(profile, columns, settings) + extra_tests
    return settings.false_alarm_rate / max(tests, 1)


def detect(
    current: pd.DataFrame,
    profile: ReferenceProfile,
    columns: Sequence[str],
    settings: DriftSettings,
    reference: pd.DataFrame | None = None,
    extra_tests: int = 0,
    alpha: float | None = None,
    shared: calibration.SharedUniforms | None = None,
) -> list[ColumnDrift]:
    """Verdicts for `columns` (features, then prediction and target if given). `reference` is needed only by
    columns that use one of Evidently's methods. `extra_tests`: other tests of the run sharing the false-alarm
    budget (multivariate drift, segments); `alpha`, when given, is each test's share of it, as worked out for the
    whole run (a segment's columns use the run's). `shared`: draws for calibrating shared with other profiles
    (see ReferenceProfile.numerical_nulls)."""
    if alpha is None:
        alpha = per_test_alpha(profile, columns, settings, extra_tests)
    p_columns = [c for c in columns if settings.for_column(c).method in P_VALUE_METHODS]

    def verdict(column: str) -> ColumnDrift:
        chosen = settings.for_column(column)
        kind = profile.profile(column).kind
        floor = (
            chosen.min_effect
            if chosen.min_effect is not None
            else (settings.min_effect_numerical if kind == "numerical" else settings.min_effect_categorical)
        )
        values = window[column].dropna()
        if not len(values) or not profile.profile(column).rows:
            return ColumnDrift(column, _label(chosen.method, kind), None, None, None, None)
        if chosen.method == "calibrated":
            return _calibrated(column, values, profile, alpha, floor, shared)
        return _evidently(column, values, reference, profile, chosen, floor, len(p_columns))

    window = {column: current[column] for column in columns}  # taken here: the threads only read
    # Calibrated verdicts touch only their own column's profile: one thread each. Evidently's methods stay here.
    calibrated = [c for c in columns if settings.for_column(c).method == "calibrated"]
    verdicts = parallel.map_ordered(verdict, calibrated, work=len(current) * len(calibrated))
    done = dict(zip(calibrated, verdicts, strict=True))
    return [done[column] if column in done else verdict(column) for column in columns]


def _calibrated(
    column: str,
    values: pd.Series,
    profile: ReferenceProfile,
    alpha: float,
    floor: float,
    shared: calibration.SharedUniforms | None,
) -> ColumnDrift:
    p = profile.profile(column)
    rows = len(values)
    if p.kind == "numerical":
        numbers = np.sort(np.clip(values.to_numpy(dtype=float), *p.clip))  # the window's one sort
        null_w, null_t = profile.numerical_nulls(column, rows, shared)
        wasserstein = sorted_wasserstein(numbers, p.sorted_values) / p.std
        # (method, score, threshold, effect in std units)
        candidates = [("wasserstein (calibrated)", wasserstein, null_w.threshold(alpha, rows), wasserstein)]
        if null_t is not None:
            moves = sample_tail_statistics(numbers, null_t.shares, null_t.bounds) - null_t.reference_tails
            z = null_t.studentised(moves, rows)
            limits = null_t.limits(alpha, rows, z)
            worst = int((np.abs(z) / limits).argmax())
            effect = float(abs(moves[worst]) / p.std)
            candidates.append(("tail means (calibrated)", float(abs(z[worst])), float(limits[worst]), effect))
        method, score, threshold, effect = max(candidates, key=lambda c: c[1] / c[2] if c[2] > 0 else np.inf)
        detected = any(s > t and e >= floor for _, s, t, e in candidates)
        return ColumnDrift(column, method, score, threshold, effect, detected)
    current_shares, reference_shares = _aligned_shares(values, p)
    score = js_distance(current_shares, reference_shares)
    threshold = profile.categorical_null(column, rows).threshold(alpha, rows)
    effect = total_variation(current_shares, reference_shares)
    return ColumnDrift(
        column, "jensenshannon (calibrated)", score, threshold, effect, score > threshold and effect >= floor
    )


def window_categories(values: pd.Series, p: _Profile) -> tuple[list[object], dict[object, int]]:
    """The categories a window is compared over (the reference's, then new ones) and the window's counts."""
    counted = counts(values.astype(float) if p.declared == "numerical" else values)
    known = set(p.categories)
    return [*p.categories, *sorted((v for v in counted if v not in known), key=str)], counted


def _aligned_shares(values: pd.Series, p: _Profile) -> tuple[np.ndarray, np.ndarray]:
    """Current and reference shares over the reference's categories plus any new ones (share 0 before)."""
    categories, current = window_categories(values, p)
    reference = np.concatenate([p.shares, np.zeros(len(categories) - len(p.categories))])
    return shares_of(current, categories), reference


def _label(method: str, kind: str) -> str:
    if method != "calibrated":
        return method
    return "wasserstein (calibrated)" if kind == "numerical" else "jensenshannon (calibrated)"


def _evidently(
    column: str,
    values: pd.Series,
    reference: pd.DataFrame | None,
    profile: ReferenceProfile,
    chosen: ColumnSettings,
    floor: float,
    p_columns: int,
) -> ColumnDrift:
    """One of Evidently's own tests; p-value thresholds divided by the number of p-value columns (Bonferroni)."""
    from evidently.legacy.calculations.stattests.registry import get_stattest
    from evidently.legacy.core import ColumnType

    assert reference is not None, "Evidently's methods need the reference frame"
    p = profile.profile(column)
    kind = ColumnType.Numerical if p.declared == "numerical" else ColumnType.Categorical
    ref = reference[column].dropna()
    if p.declared == "numerical":
        ref, values = ref.astype(float), values.astype(float)
    test = get_stattest(ref, values, kind, None if chosen.method == "evidently" else chosen.method)
    threshold = chosen.threshold if chosen.threshold is not None else test.default_threshold
    if test.name in P_VALUE_METHODS:
        threshold = threshold / max(1, p_columns)
    result = test(ref, values, kind, threshold)
    if p.kind == "numerical":
        effect = normed_wasserstein(values.to_numpy(dtype=float), p.sorted_values, p.std)
    else:
        effect = total_variation(*_aligned_shares(values, p))
    return ColumnDrift(
        column, test.name, float(result.drift_score), threshold, effect, bool(result.drifted) and effect >= floor
    )
