"""A run's HTML report: a header about the run, the steps' widgets (Evidently's own widget kinds) and the notes,
rendered by Evidently into a page that opens with no network: its data and font inline, Evidently's scripts
shared by every report of the folder (monitor/report_scripts.py).

Evidently is imported here, lazily: it takes seconds, and the CLI's other commands must stay fast.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from typing import Any

from monitor import report_nav


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


def render(context: ReportContext, widgets: list[Any], notes: list[str], *, script_src: str) -> str:
    """The page; `script_src` is where it finds Evidently's scripts, relative to the report."""
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
    page = _page([header, *widgets, *notes_widgets], script_src)
    return _with_title(page, context)


def _with_title(page: str, context: ReportContext) -> str:
    """A tab title and, above the widgets, the run's heading and its links (Evidently's page has neither)."""
    title = html.escape(f"{context.monitor}, {context.window}: DriftHound")
    page = page.replace("<head>", f"<head>\n    <title>{title}</title>", 1)
    return page.replace("<body>", f'<body style="margin:0">\n{report_nav.header(context.monitor, context.window)}', 1)


def _page(widgets: list[Any], script_src: str) -> str:
    """Evidently's own page template, with its scripts referred to rather than embedded."""
    from evidently.legacy.model.dashboard import DashboardInfo
    from evidently.legacy.utils.dashboard import TemplateParams, file_html_template

    return file_html_template(
        TemplateParams(
            dashboard_id="metric_" + uuid.uuid4().hex,
            dashboard_info=DashboardInfo(name="Report", widgets=widgets),
            additional_graphs=_additional_graphs(widgets),
            embed_lib=False,
            include_js_files=[html.escape(script_src)],
        )
    )


def _additional_graphs(widgets: list[Any]) -> dict[str, Any]:
    """The widgets' detail graphs by id, as Evidently's render_widgets collects them."""
    from evidently.legacy.model.widget import AdditionalGraphInfo, BaseWidgetInfo

    graphs: dict[str, Any] = {}
    for widget in widgets:
        for graph in widget.get_additional_graphs():
            info = graph.params if isinstance(graph, AdditionalGraphInfo) else graph
            graphs[str(graph.id)] = info.dict() if isinstance(info, BaseWidgetInfo) else info
    return graphs
