"""What accounts for a quality drop, from a run's stored figures. Pure, plain values only: the alerts pipeline
imports it (no pandas there).

A drop is a quality figure worse than what it is held to: the mean it keeps on the reference (the centre of
an `outside_reference` band, stored as `<metric>.reference_mean`) or, without one, the fixed threshold of the
rule that fired. Two accounts of it:

- Segments. Each segment's part is its rows times how much worse than the baseline its own figure is (its own
  reference mean when one is stored, else the window's). For figures that are means over rows (accuracy, mae)
  the parts of one segment column add up to the window's whole shortfall; for the others (roc_auc, f1) they
  are an approximation. A segment's share is its part over the sum of the positive parts of its segment column,
  so a segment that improved takes no share and the shares of a column add up to 1. A segment whose traffic
  grew and which was always worse counts too: the mix changed there.
- Features (estimated figures only): how much the estimate moves when one drifted feature alone takes the
  reference's distribution (`estimated.<metric>.shift_effect`, computed in evaluation, explain/shift.py). Its
  share is the part of the drop that comes back when that feature is reset.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from monitor.metric_names import realized_of, reference_names, shift_effect_name

# Quality figures where a higher value is worse; every other quality figure is better higher.
LOWER_IS_BETTER = frozenset({"mae", "rmse", "mape", "log_loss"})
# Parts too small to name (a share below this) are left out of an account.
MIN_SHARE = 0.05
# A feature's reset rests on fewer rows than the window (explain/shift.py): its effect is noisier, and it is named
# only when it brings back at least this share of the drop.
MIN_FEATURE_SHARE = 0.1

# (metric, column, segment) -> value: a run's stored figures, as the pipeline holds them.
Figures = Mapping[tuple[str, str, str], float | None]


def worse_by(metric: str, value: float, baseline: float) -> float:
    """How much worse than `baseline` the figure is, in its unit (negative: better)."""
    return value - baseline if realized_of(metric) in LOWER_IS_BETTER else baseline - value


@dataclass(frozen=True)
class SegmentShare:
    segment: str
    rows: float
    value: float
    share: float  # of its segment column's shortfall


@dataclass(frozen=True)
class FeatureShare:
    feature: str
    effect: float  # how much the feature's shift moved the estimate (estimate - estimate with it reset)
    share: float  # of the drop that comes back when it is reset


@dataclass(frozen=True)
class DropAccount:
    metric: str
    value: float
    baseline: float
    segments: tuple[SegmentShare, ...]
    features: tuple[FeatureShare, ...]

    @property
    def drop(self) -> float:
        return worse_by(self.metric, self.value, self.baseline)


def baseline_of(figures: Figures, metric: str, segment: str = "", threshold: float | None = None) -> float | None:
    """The reference mean stored for `metric` (and `segment`), else `threshold`."""
    mean = figures.get((reference_names(metric)[0], "", segment))
    return mean if mean is not None else threshold


def segment_shares(figures: Figures, metric: str, baseline: float) -> tuple[SegmentShare, ...]:
    """Each segment's share of its segment column's shortfall of `metric`, largest first (a smaller segment first
    on a tie: the more specific account); segments below MIN_SHARE are left out."""
    parts: dict[str, list[tuple[str, float, float, float]]] = {}
    for (name, column, segment), value in figures.items():
        if name != metric or column or not segment or value is None:
            continue
        rows = figures.get(("rows", "", segment))
        if not rows:
            continue
        own = baseline_of(figures, metric, segment)
        part = rows * worse_by(metric, value, own if own is not None else baseline)
        parts.setdefault(segment.split("=", 1)[0], []).append((segment, rows, value, part))
    shares = []
    for members in parts.values():
        total = sum(part for *_, part in members if part > 0)
        if total <= 0:
            continue
        shares += [SegmentShare(s, rows, v, part / total) for s, rows, v, part in members if part / total >= MIN_SHARE]
    return tuple(sorted(shares, key=lambda s: (-s.share, s.rows, s.segment)))


def feature_shares(figures: Figures, metric: str, drop: float) -> tuple[FeatureShare, ...]:
    """The drifted features whose shift took the estimate of `metric` down, by the share of `drop` that comes back
    when each alone takes the reference's distribution, largest first."""
    estimated = metric if metric.startswith("estimated.") else f"estimated.{metric}"
    name = shift_effect_name(realized_of(estimated))
    found = []
    for (stored, column, segment), effect in figures.items():
        if stored != name or segment or not column or effect is None or drop <= 0:
            continue
        share = worse_by(metric, effect, 0.0) / drop  # an effect that made it worse is a positive share
        if share >= MIN_FEATURE_SHARE:
            found.append(FeatureShare(column, effect, share))
    return tuple(sorted(found, key=lambda f: (-f.share, f.feature)))


def account(figures: Figures, metric: str, threshold: float | None = None) -> DropAccount | None:
    """What accounts for the whole window's `metric` being worse than its baseline; None when it is not worse, or
    there is neither a reference mean nor a threshold to hold it to, or nothing to say."""
    value = figures.get((metric, "", ""))
    baseline = baseline_of(figures, metric, "", threshold)
    if value is None or baseline is None or worse_by(metric, value, baseline) <= 0:
        return None
    drop = worse_by(metric, value, baseline)
    found = DropAccount(
        metric, value, baseline, segment_shares(figures, metric, baseline), feature_shares(figures, metric, drop)
    )
    return found if found.segments or found.features else None


def explanation(found: DropAccount, *, shown: int = 3) -> str:
    """One line: "accounted for by region=north (96%); shift of income brings back 70%"."""
    parts = []
    if found.segments:
        named = ", ".join(f"{s.segment} ({s.share:.0%})" for s in found.segments[:shown])
        parts.append(f"accounted for by {named}")
    if found.features:
        named = ", ".join(f"{f.feature} ({f.share:.0%})" for f in found.features[:shown])
        parts.append(f"resetting one feature's shift brings back: {named}")
    return "; ".join(parts)


def left_band(figures: Figures, metric: str, k: float | None, threshold: float | None) -> bool:
    """Whether the whole window's `metric` is worse than its band (reference mean - k std on the worse side) or
    than a rule's fixed `threshold`."""
    value = figures.get((metric, "", ""))
    if value is None:
        return False
    mean_name, std_name = reference_names(metric)
    mean, std = figures.get((mean_name, "", "")), figures.get((std_name, "", ""))
    if k is not None and mean is not None and std is not None and worse_by(metric, value, mean) > k * std:
        return True
    return threshold is not None and worse_by(metric, value, threshold) > 0


def drops(
    figures: Figures, metrics: Iterable[str], bands: Mapping[str, float], thresholds: Mapping[str, float]
) -> tuple[DropAccount, ...]:
    """The accounts of each of `metrics` that left its band (`bands`: metric -> k) or crossed its rule's threshold
    (`thresholds`: metric -> bound), in the order given."""
    found = []
    for metric in metrics:
        if left_band(figures, metric, bands.get(metric), thresholds.get(metric)):
            told = account(figures, metric, thresholds.get(metric))
            if told is not None:
                found.append(told)
    return tuple(found)
