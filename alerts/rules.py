"""Rules against one run's figures: which alerts breach, with what value. Pure.

A rule compares a figure with fixed bounds (`above`, `below`), or with the range the
same figure keeps on the reference (`outside_reference = k`: breaching when it leaves
mean +/- k std of that figure over reference windows of the run's size, stored with
the run as `<metric>.reference_mean` and `<metric>.reference_std`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from monitor.metric_names import reference_names

Figures = Mapping[tuple[str, str], float | None]  # (metric, column) -> value; column "" for dataset figures
Baseline = tuple[float, float]  # (mean, std) of the figure over reference windows

FAILED_RUNS_RULE = "monitor failing"


@dataclass(frozen=True)
class Rule:
    name: str
    metric: str
    column: str | None = None  # None: dataset figure; "*": every column; else one column
    segment: str | None = None  # None: the whole window; "*": every segment; else one ("region=north")
    above: float | None = None
    below: float | None = None
    outside_reference: float | None = None
    for_runs: int = 1
    resolve_after: int = 1
    severity: str = "warning"
    channels: tuple[str, ...] = ()
    runbook_url: str | None = None

    @property
    def op(self) -> str:
        if self.outside_reference is not None:
            return "outside_reference"
        if self.above is not None and self.below is not None:
            return "outside"
        return "above" if self.above is not None else "below"

    @property
    def threshold(self) -> float | None:
        """The fixed bound (for outside_reference, the bound depends on the run: see `bound`)."""
        if self.outside_reference is not None:
            return None
        return self.above if self.above is not None else self.below

    def bound(self, value: float | None, baseline: Baseline | None) -> float | None:
        """The bound a value is compared with: the nearer edge of the reference range, or the fixed one."""
        if self.outside_reference is None:
            return self.threshold
        if baseline is None or value is None:
            return None
        mean, std = baseline
        return mean + self.outside_reference * std if value >= mean else mean - self.outside_reference * std


@dataclass(frozen=True)
class Observation:
    """What one rule saw for one alert key in one run. `value` None: no figure, so no verdict."""

    rule: Rule
    column: str
    value: float | None
    breaching: bool
    baseline: Baseline | None = None

    @property
    def has_data(self) -> bool:
        return self.value is not None


def breaches(rule: Rule, value: float, baseline: Baseline | None = None) -> bool:
    if rule.outside_reference is not None:
        if baseline is None:
            return False
        mean, std = baseline
        return abs(value - mean) > rule.outside_reference * std
    if rule.above is not None and value > rule.above:
        return True
    return rule.below is not None and value < rule.below


def baseline_of(rule: Rule, figures: Figures, column: str) -> Baseline | None:
    if rule.outside_reference is None:
        return None
    mean_name, std_name = reference_names(rule.metric)
    mean, std = figures.get((mean_name, column)), figures.get((std_name, column))
    return None if mean is None or std is None else (mean, std)


def observe(rule: Rule, figures: Figures) -> list[Observation]:
    """One observation per alert key of the rule (one per column for "*").

    A relative rule without its reference range (too few reference windows) has no data.
    """
    if rule.column == "*":
        columns = sorted({column for metric, column in figures if metric == rule.metric and column})
    else:
        columns = [rule.column or ""]
    observations = []
    for column in columns:
        value = figures.get((rule.metric, column))
        baseline = baseline_of(rule, figures, column)
        if rule.outside_reference is not None and baseline is None:
            value = None
        breaching = value is not None and breaches(rule, value, baseline)
        observations.append(Observation(rule, column, value, breaching, baseline))
    return observations
