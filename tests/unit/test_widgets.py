"""The report's own widget builders and page: the data Evidently's builders and page template give, without Evidently.

Evidently's dashboard script draws the reports: every widget kind a report uses must reach it as Evidently's own
builder writes it. Ids are random on both sides; they are compared by the order they appear in.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import plotly.graph_objects as go

from monitor import widgets as ours
from monitor.evaluation.report import ReportContext, WidgetEncoder, _additional_graphs, dashboard_json, render
from monitor.evaluation.report_widgets import method_display

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|metric_[0-9a-f]{32}")


def numbered(*texts: str) -> list[str]:
    """The texts with each id replaced by its rank of first appearance across them."""
    ranks: dict[str, str] = {}

    def rank(match: re.Match) -> str:
        return ranks.setdefault(match.group(0), f"id{len(ranks)}")

    return [UUID.sub(rank, text) for text in texts]


def both(build: Any) -> tuple[list[Any], list[Any]]:
    """`build(module)` with our builders and with Evidently's (the same names, the same arguments)."""
    from evidently.legacy.renderers import html_widgets as theirs

    return build(ours), build(theirs)


def evidently_data(widgets: list[Any]) -> tuple[str, str]:
    """Evidently's dashboard JSON and its detail graphs by id, as the report wrote them with Evidently."""
    from evidently.legacy.model.dashboard import DashboardInfo
    from evidently.legacy.utils.dashboard import NumpyEncoder, dashboard_info_to_json

    graphs = {str(g.id): g.dict() for w in widgets for g in w.get_additional_graphs()}
    return dashboard_info_to_json(DashboardInfo(name="Report", widgets=widgets)), json.dumps(graphs, cls=NumpyEncoder)


def every_kind(w: Any) -> list[Any]:
    """Each widget kind a report uses, with numpy values, NaN, a plotly figure and a row's detail graph."""
    figure = go.Figure()
    figure.add_scatter(x=np.array([1.0, 2.0]), y=[3, None], name="score")
    row = {"x": "a", "h": {"x": np.arange(3), "y": np.array([0.5, np.nan, 2.0])}, "n": np.int64(7)}
    detail = w.plotly_data(title="", data=[{"y": [1, 2]}], layout={})
    if w is ours:
        rows = [ours.RichTableDataRow(fields=row, details=[("DATA DISTRIBUTION", detail)])]
        histogram = ours.HISTOGRAM
    else:
        rows = [w.RichTableDataRow(fields=row, details=w.RowDetails().with_part("DATA DISTRIBUTION", info=detail))]
        histogram = w.ColumnType.HISTOGRAM
    rows.append(w.RichTableDataRow(fields={"x": "b", "h": {"x": [], "y": []}, "n": 1}))
    columns = [w.ColumnDefinition("X", "x"), w.ColumnDefinition("H", "h", histogram, options={"xField": "x"})]
    return [
        w.counter(title="c", counters=[w.CounterData("rows", "1,000"), w.CounterData("<b>", "")]),
        w.header_text(label="h"),
        w.rich_table_data(title="t", columns=columns, data=rows, rows_per_page=25),
        w.table_data(title="t2", column_names=["a", "b"], data=[["x", np.float64(0.25)], [None, 3]]),
        w.group_widget(title="g", widgets=[w.plotly_data(title="p", data=[{"x": [1]}], layout={"a": 1})]),
        w.plotly_figure(title="f", figure=figure),
        w.text_widget(title="Note", text="a *note*"),
    ]


def test_every_widget_kind_is_written_as_evidently_s_builders_write_it():
    mine, theirs = both(every_kind)
    graphs = json.dumps(_additional_graphs(mine), cls=WidgetEncoder)
    assert numbered(dashboard_json(mine), graphs) == numbered(*evidently_data(theirs))


def page_parts(page: str) -> dict[str, Any]:
    """What Evidently's script reads of a page: the data, the element it draws into, its scripts, the font."""
    [(dashboard_id, data)] = re.findall(r"var (metric_\w+) = (\{.*\});\n", page)
    [graphs] = re.findall(rf"var additional_graphs_{dashboard_id} = (\{{.*\}});\n", page)
    [font] = re.findall(r"url\(data:font/\w+;base64,([^)]+)\)", page)
    [draw] = re.findall(r"window\.drawDashboard\(([^)]*\)\)[^)]*)\)", page)
    data, graphs, draw = numbered(data, graphs, re.sub(r"\s+", " ", draw).strip())
    return {
        "data": json.loads(data),
        "graphs": json.loads(graphs),
        "root": f'id="root_{dashboard_id}"' in page,
        "scripts": re.findall(r'<script src="([^"]*)"', page),
        "global": "var global = globalThis" in page,
        "font": font,
        "draw": draw,
    }


def test_a_report_page_holds_what_evidently_s_page_held():
    """The page the report wrote with Evidently's template (its data made safe in the <script> element, as the
    report did): the same data once parsed, the same script, font and call."""
    from evidently.legacy.model.dashboard import DashboardInfo
    from evidently.legacy.renderers import html_widgets as evidently
    from evidently.legacy.utils.dashboard import TemplateParams, file_html_template

    mine, theirs = both(every_kind)
    context = ReportContext("m<1>", "w", "r", 10, 20, 30, 40, 7, 0.5)
    page = render(context, mine, ["a note & more"], script_src="../_static/e-1/index.js")
    header = evidently.counter(
        title="DriftHound: m&lt;1&gt;",
        counters=[
            evidently.CounterData("window (UTC)", "w"),
            evidently.CounterData("rows", "10 of 20 (seed 7)"),
            evidently.CounterData("reference", "r"),
            evidently.CounterData("reference rows", "30 of 40"),
        ],
    )
    shown = [header, *theirs, evidently.text_widget(title="Note", text="a note &amp; more")]
    graphs = {str(g.id): g.dict() for w in shown for g in w.get_additional_graphs()}
    before = file_html_template(
        TemplateParams(
            dashboard_id="metric_" + "0" * 32,
            dashboard_info=DashboardInfo(name="Report", widgets=shown),
            additional_graphs=graphs,
            include_js_files=["../_static/e-1/index.js"],
            embed_lib=False,
        )
    )
    assert page_parts(page) == page_parts(before)
    assert "<title>m&lt;1&gt;, w: DriftHound</title>" in page and 'class="drifthound-' in page


def test_a_logged_value_cannot_close_the_report_s_script_element():
    """Widgets carry values from the log (categories, texts, column names) into a <script> element."""
    evil = "</script><script>alert(document.domain)</script><!--"
    context = ReportContext("m", "w", "r", 10, 10, 10, 10, None, 0.5)
    widget = ours.counter(title="values", counters=[ours.CounterData("region", evil)])
    page = render(context, [widget], [], script_src="s.js")
    assert evil not in page and "<script>alert" not in page
    data = re.search(r"var (metric_\w+) = (\{.*\});\n", page)
    assert data is not None
    assert evil in json.dumps(json.loads(data.group(2)), ensure_ascii=False)
    assert page.count("<script") == page.count("</script>")


def test_the_scripts_are_found_and_named_without_importing_evidently():
    import evidently
    from evidently.legacy.utils.dashboard import STATIC_PATH

    from monitor import report_scripts

    assert report_scripts.evidently_script().samefile(f"{STATIC_PATH}/index.js")
    assert report_scripts.script_name().startswith(f"_static/evidently-{evidently.__version__}-")


def test_a_configured_evidently_test_is_named_as_evidently_names_it():
    """Only then is Evidently's stat-test registry imported (see test_pipeline's run without Evidently)."""
    assert method_display("ks") == "K-S p_value, threshold corrected for the number of columns"
    assert method_display("psi").startswith("PSI, ")
    assert method_display("wasserstein (calibrated)").endswith("threshold calibrated on the reference")
