"""Rules against one run's figures: which alerts breach, with what value. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

Figures = Mapping[tuple[str, str], float | None]  # (metric, column) -> value; column "" for dataset figures

FAILED_RUNS_RULE = "monitor failing"


@dataclass(frozen=True)
class Rule:
    name: str
    metric: str
    column: str | None = None  # None: dataset figure; "*": every column; else one column
    above: float | None = None
    below: float | None = None
    for_runs: int = 1
    resolve_after: int = 1
    severity: str = "warning"
    channels: tuple[str, ...] = ()

    @property
    def op(self) -> str:
        if self.above is not None and self.below is not None:
            return "outside"
        return "above" if self.above is not None else "below"

    @property
    def threshold(self) -> float | None:
        return self.above if self.above is not None else self.below


@dataclass(frozen=True)
class Observation:
    """What one rule saw for one alert key in one run. `value` None: no figure, so no verdict."""

    rule: Rule
    column: str
    value: float | None
    breaching: bool

    @property
    def has_data(self) -> bool:
        return self.value is not None


def breaches(rule: Rule, value: float) -> bool:
    if rule.above is not None and value > rule.above:
        return True
    return rule.below is not None and value < rule.below


def observe(rule: Rule, figures: Figures) -> list[Observation]:
    """One observation per alert key of the rule (one per column for "*")."""
    if rule.column == "*":
        columns = sorted({column for metric, column in figures if metric == rule.metric and column})
    else:
        columns = [rule.column or ""]
    observations = []
    for column in columns:
        value = figures.get((rule.metric, column))
        observations.append(Observation(rule, column, value, value is not None and breaches(rule, value)))
    return observations
