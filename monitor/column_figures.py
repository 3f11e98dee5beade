"""Per-column figures declared once: their stored name, how reports and pages head them, and whether columns
are ranked by them. The store takes any declared name (metric_names.py reads this list), the report's drift
table shows each beside the drift verdicts, and notifications, the heat map and the report rank columns by
the first ranking figure a run has (figures.py: `column_rank`).

A new per-column figure is one line here and a step that stores it (evaluation/step.py). Plain values only:
`alerts` reads this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ColumnFigure:
    name: str  # the stored metric name (DESIGN.md), column = the feature
    heading: str  # how the report's drift table heads it
    ranks: bool = False  # columns are ranked by it (largest first) when a run has it


# In ranking order: a run with impacts ranks drifted columns by them; without, by drift.ratio.
COLUMN_FIGURES = (
    ColumnFigure("drift.impact", "Impact on the model", ranks=True),
    ColumnFigure("importance", "Importance"),
    ColumnFigure("drift.ratio", "Drift ratio", ranks=True),
)
RANKING = tuple(f.name for f in COLUMN_FIGURES if f.ranks)
SHOWN_BESIDE_DRIFT = tuple(f for f in COLUMN_FIGURES if f.name != "drift.ratio")


def rank_by(figures: Mapping[str, Mapping[str, float | None]]) -> str:
    """The ranking figure the columns of one run are ordered by: the first of RANKING any column has.
    `figures`: metric -> column -> value."""
    return next((name for name in RANKING if any(v is not None for v in figures.get(name, {}).values())), RANKING[-1])


def column_rank(figures: Mapping[str, Mapping[str, float | None]]) -> dict[str, tuple[float, ...]]:
    """A sort key per column (ascending = most telling first): the columns with the run's ranking figure by it,
    largest first, then those without it by drift.ratio (a text column or an embedding has no impact)."""
    first = rank_by(figures)
    ranked = figures.get(first, {})
    ratios = figures.get("drift.ratio", {})
    columns = {c for values in figures.values() for c in values}
    return {
        c: (0.0, -(ranked[c] or 0.0)) if ranked.get(c) is not None else (1.0, -(ratios.get(c) or 0.0)) for c in columns
    }
