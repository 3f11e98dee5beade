"""A run's HTML report: a header about the run, the steps' widgets (Evidently's own widget kinds) and the notes,
rendered by Evidently into a page that opens with no network: its data and font inline, Evidently's scripts
shared by every report of the folder (monitor/report_scripts.py).

Evidently is imported here, lazily: it takes seconds, and the CLI's other commands must stay fast.
"""

from __future__ import annotations

import functools
import html
import json
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
    """Evidently's own page template, with its scripts referred to rather than embedded, and the widgets' data
    written by `_data_block`: Evidently puts it in a <script> element as it is, so a logged value holding
    "</script>" would end the element and run whatever follows it."""
    from evidently.legacy.model.dashboard import DashboardInfo
    from evidently.legacy.utils.dashboard import TemplateParams, file_html_template

    dashboard_id = "metric_" + uuid.uuid4().hex
    info = DashboardInfo(name="Report", widgets=widgets)
    page = file_html_template(
        TemplateParams(
            dashboard_id=dashboard_id,
            dashboard_info=info,
            additional_graphs={},
            embed_lib=False,
            embed_data=False,
            include_js_files=[html.escape(script_src)],
        )
    )
    return page.replace("<!-- no embedded data -->", _data_block(dashboard_id, info, _additional_graphs(widgets)), 1)


def _data_block(dashboard_id: str, info: Any, graphs: dict[str, Any]) -> str:
    """The widgets' data as JavaScript, with every "<" written as its JSON escape: the same values once parsed,
    and nothing in them can close the element or open a comment."""

    def safe(text: str) -> str:
        return text.replace("<", "\\u003c")

    return (
        f"<script>\n    var {dashboard_id} = {safe(dashboard_json(info))};\n"
        f"    var additional_graphs_{dashboard_id} = {safe(json.dumps(graphs, cls=_widget_encoder()))};\n</script>"
    )


def dashboard_json(info: Any) -> str:
    """What Evidently's dashboard_info_to_json writes (each top widget without its additionalGraphs), without
    its pydantic `.dict()`: that walks every value of every widget's data in Python and cost most of a small
    run's report. The encoder turns each widget into its fields as json meets it, and json's C encoder writes the
    plain data; tests/unit/test_report_pages.py holds the two to the same text."""
    widgets = [{k: v for k, v in widget.__dict__.items() if k != "additionalGraphs"} for widget in info.widgets]
    return json.dumps({**info.__dict__, "widgets": widgets}, cls=_widget_encoder())


@functools.cache
def _widget_encoder() -> type[json.JSONEncoder]:
    from evidently.legacy.utils.dashboard import NumpyEncoder
    from pydantic.v1 import BaseModel

    class WidgetEncoder(NumpyEncoder):
        def default(self, o: Any) -> Any:
            if isinstance(o, BaseModel):  # its fields in order, as .dict() gives them (none overrides it)
                return o.__dict__ if type(o).dict is BaseModel.dict else o.dict()
            return super().default(o)

    return WidgetEncoder


def _additional_graphs(widgets: list[Any]) -> dict[str, Any]:
    """The widgets' detail graphs by id, as Evidently's render_widgets collects them."""
    from evidently.legacy.model.widget import AdditionalGraphInfo

    graphs: dict[str, Any] = {}
    for widget in widgets:
        for graph in widget.get_additional_graphs():
            graphs[str(graph.id)] = graph.params if isinstance(graph, AdditionalGraphInfo) else graph
    return graphs
