"""A run's HTML report: a header about the run, the steps' widgets (Evidently's own widget kinds) and the notes,
rendered by Evidently into one page that opens with no network.

Evidently is imported here, lazily: it takes seconds, and the CLI's other commands must stay fast.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ReportContext:
    """What the report's header says about the run."""

    monitor: str
    window: str
    reference: str
    rows: int
    rows_total: int
    reference_rows: int
    reference_rows_total: int
    sample_seed: int | None
    # The share of drifted features the report calls "dataset drift": the monitor's drift.share rule, so the
    # report and the alert agree (Evidently's own default is 0.5).
    drift_share: float = 0.5


def render(context: ReportContext, widgets: list[Any], notes: list[str]) -> str:
    from evidently.core.metric_types import render_widgets
    from evidently.legacy.renderers.html_widgets import CounterData, counter, text_widget

    sampled = (
        f"{context.rows:,} of {context.rows_total:,} (seed {context.sample_seed})"
        if context.sample_seed is not None
        else f"{context.rows:,}"
    )
    header = counter(
        title=f"DriftHound: {html.escape(context.monitor)}",
        counters=[
            CounterData("window (UTC)", context.window),
            CounterData("rows", sampled),
            CounterData("reference", context.reference),
            CounterData("reference rows", f"{context.reference_rows:,} of {context.reference_rows_total:,}"),
        ],
    )
    notes_widgets = [text_widget(title="Note", text=html.escape(note)) for note in notes]
    return render_widgets([header, *widgets, *notes_widgets], as_iframe=False)
