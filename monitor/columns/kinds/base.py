"""The shape every column kind has: how it is detected in a sample, how its values are prepared for a run.

Kinds judged as a whole (free text, embeddings) also say how their reference state is learnt and how a window
is judged against it (`Judged`); numerical and categorical columns are judged together by drift/detect.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from monitor.columns.roles import ColumnRoles
from monitor.drift.detect import ColumnDrift, DriftSettings

# (sample values, without the missing ones) -> why the column is of this kind, or None when it is not.
Detect = Callable[[pd.Series], str | None]
# (values as read, column name, its role in the config) -> values as a run compares them.
Prepare = Callable[[pd.Series, str, str], pd.Series]


class Judged(Protocol):
    """A feature's state learnt once per reference (kept in the reference artefacts), judging windows."""

    @property
    def tests(self) -> int:
        """How many tests a window's judgement makes: each counts in the run's false-alarm budget."""
        ...

    def judge(self, window: pd.DataFrame, *, alpha: float, min_effect: float, seed: int) -> Judgement: ...


# (prepared reference, roles, drift settings, seed) -> the state of each feature of the kind.
Learn = Callable[[pd.DataFrame, ColumnRoles, DriftSettings, int], list[Judged]]


@dataclass(frozen=True)
class Kind:
    name: str  # as printed by config check: "numerical", "free text", ...
    config_key: str | None  # the monitor's list of such features; None: never judged (identifiers, dates)
    detect: Detect
    prepare: Prepare | None = None
    learn: Learn | None = None  # kinds judged as a whole; numerical and categorical are judged by drift/detect.py


@dataclass
class Judgement:
    """One feature of a kind judged as a whole, in one window."""

    feature: str  # the name it is stored under (a text column, an embedding's name)
    verdicts: list[ColumnDrift]  # each test's verdict, stored as drift.* rows (the feature's, its descriptors')
    widgets: list[Any] = field(default_factory=list)
    snapshot: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def detected(self) -> bool | None:
        """Whether the feature drifted, counted ONCE in drift.share: any of its tests detected. None: none
        of its tests had values to compare."""
        decided = [v.detected for v in self.verdicts if v.detected is not None]
        return any(decided) if decided else None
