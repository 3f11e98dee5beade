"""What each step of a run's evaluation gives back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from monitor.figures import MetricRow


@dataclass
class StepOutput:
    """Stored figures, report widgets, parts of the run's JSON, notes for the run's record."""

    metrics: list[MetricRow] = field(default_factory=list)
    widgets: list[Any] = field(default_factory=list)
    snapshot: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def extend(self, other: StepOutput) -> None:
        self.metrics += other.metrics
        self.widgets += other.widgets
        self.snapshot |= other.snapshot
        self.notes += other.notes
