"""A run's HTML report: a header about the run, the steps' widgets (Evidently's own widget kinds) and the notes,
in a page Evidently's dashboard script draws, that opens with no network: its data and font inline, Evidently's
scripts shared by every report of the folder (monitor/report_scripts.py).

Nothing here imports Evidently (seconds of every run): the widgets are monitor/widgets.py's, the page
monitor/report_page.py's.
"""

from __future__ import annotations

import datetime
import html
import json
import typing
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from monitor import report_nav, report_page
from monitor.widgets import CounterData, Widget, counter, text_widget


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


def render(context: ReportContext, widgets: list[Widget], notes: list[str], *, script_src: str) -> str:
    """The page; `script_src` is where it finds Evidently's scripts, relative to the report."""
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
    shown = [header, *widgets, *notes_widgets]
    dashboard_id = "metric_" + uuid.uuid4().hex
    return report_page.page(
        title=f"{context.monitor}, {context.window}: DriftHound",
        dashboard_id=dashboard_id,
        data_block=_data_block(dashboard_id, shown, _additional_graphs(shown)),
        script_src=script_src,
        heading=report_nav.header(context.monitor, context.window),  # the run's heading and its links
    )


def _data_block(dashboard_id: str, widgets: list[Widget], graphs: dict[str, Widget]) -> str:
    """The widgets' data as JavaScript, with every "<" written as its JSON escape: the same values once parsed,
    and nothing in them can close the element (a logged value holding "</script>") or open a comment."""

    def safe(text: str) -> str:
        return text.replace("<", "\\u003c")

    return (
        f"<script>\n    var {dashboard_id} = {safe(dashboard_json(widgets))};\n"
        f"    var additional_graphs_{dashboard_id} = {safe(json.dumps(graphs, cls=WidgetEncoder))};\n</script>"
    )


def dashboard_json(widgets: list[Widget], name: str = "Report") -> str:
    """The dashboard as Evidently's dashboard_info_to_json writes it: each top widget without its
    additionalGraphs (the page gets those by id); tests/unit/test_widgets.py holds the two to the same text."""
    top = [{k: v for k, v in widget.__dict__.items() if k != "additionalGraphs"} for widget in widgets]
    return json.dumps({"name": name, "widgets": top}, cls=WidgetEncoder)


class WidgetEncoder(json.JSONEncoder):
    """Widgets as their fields, and numpy and pandas values as Evidently's NumpyEncoder writes them."""

    def default(self, o: Any) -> Any:
        if isinstance(o, Widget):
            return o.__dict__
        if isinstance(o, np.integer):
            return int(o)
        if isinstance(o, np.floating):
            return None if o is np.nan else float(o)
        if isinstance(o, np.ndarray | pd.Series | pd.Index | pd.Categorical):
            return o.tolist()
        if isinstance(o, np.bool_):
            return bool(o)
        if isinstance(o, pd.Timedelta | pd.Period | uuid.UUID):
            return str(o)
        if isinstance(o, np.void) or o is pd.NaT:
            return None
        if isinstance(o, datetime.date):  # pd.Timestamp and datetime too
            return o.isoformat()
        if isinstance(o, pd.DataFrame):
            return o.to_dict()
        if isinstance(o, frozenset):
            return list(o)
        if not isinstance(o, typing.Sequence) and pd.isnull(o):  # pd.NA
            return None
        return super().default(o)


def _additional_graphs(widgets: list[Widget]) -> dict[str, Widget]:
    """The widgets' detail graphs by id, as Evidently's render_widgets collects them."""
    return {graph.id: graph for widget in widgets for graph in widget.get_additional_graphs()}
