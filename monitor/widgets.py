"""The report's widgets in Evidently's widget format, built without importing Evidently (seconds of every run).

A report is drawn by Evidently's own scripts (monitor/report_scripts.py), which read each widget as the JSON of
Evidently's BaseWidgetInfo: these builders make the same data as Evidently's html_widgets functions of the same
names (tests/unit/test_widgets.py holds them to it), as plain dataclasses the report's encoder writes field by
field (monitor/evaluation/report.py). Only the widget kinds a report uses are here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

FULL = 2  # Evidently's WidgetSize.FULL: every widget of a report takes the page's width


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Widget:
    """Evidently's BaseWidgetInfo: the same fields in the same order (the order its JSON is written in)."""

    type: str
    title: str
    size: int = FULL
    id: str = field(default_factory=_new_id)
    details: str = ""
    alertsPosition: str | None = None
    alertStats: None = None
    params: Any = None
    insights: list = field(default_factory=list)
    additionalGraphs: list[Widget] = field(default_factory=list)
    alerts: list = field(default_factory=list)
    tabs: list = field(default_factory=list)
    widgets: list[Widget] = field(default_factory=list)
    pageSize: int = 5
    source_fingerprint: str | None = None
    linked_metrics: list | None = None

    def get_additional_graphs(self) -> list[Widget]:
        """Its detail graphs and its inner widgets' (the page keeps them apart, by id)."""
        return [*self.additionalGraphs, *(graph for widget in self.widgets for graph in widget.get_additional_graphs())]


@dataclass(frozen=True)
class CounterData:
    label: str
    value: str


def counter(*, counters: list[CounterData], title: str = "") -> Widget:
    return Widget("counter", title, params={"counters": [{"value": c.value, "label": c.label} for c in counters]})


def header_text(*, label: str, title: str = "") -> Widget:
    """A heading: a counter with a label and no value."""
    return Widget("counter", title, params={"counters": [{"value": "", "label": label}]})


def text_widget(*, text: str, title: str = "") -> Widget:
    """Markdown text."""
    return Widget("text", title, params={"text": text})


def table_data(*, column_names: Iterable[str], data: Iterable[Iterable], title: str = "") -> Widget:
    """A plain table; every cell written as its str()."""
    return Widget("table", title, params={"header": column_names, "data": [[str(v) for v in row] for row in data]})


def plotly_data(*, title: str, data: Any, layout: dict) -> Widget:
    """A plotly chart from its JSON (traces and layout)."""
    return Widget("big_graph", title, params={"data": data, "layout": layout})


def plotly_figure(*, title: str, figure: Any) -> Widget:
    """A plotly chart from a plotly Figure (the caller has imported plotly)."""
    as_json = figure.to_plotly_json()
    return plotly_data(title=title, data=as_json["data"], layout=as_json["layout"])


def group_widget(*, title: str, widgets: list[Widget]) -> Widget:
    return Widget("group", title, widgets=widgets)


HISTOGRAM = "histogram"  # a rich table's column drawn as a sparkline histogram (Evidently's ColumnType.HISTOGRAM)


@dataclass(frozen=True)
class ColumnDefinition:
    """A rich table's column: `kind` None for text, HISTOGRAM for a sparkline of {x, y} values."""

    title: str
    field_name: str
    kind: str | None = None
    options: dict | None = None

    def as_dict(self) -> dict:
        result: dict = {"title": self.title, "field": self.field_name}
        if self.kind is not None:
            result["type"] = self.kind
        if self.options is not None:
            result["options"] = self.options
        return result


@dataclass
class RichTableDataRow:
    """A rich table's row: its fields by field name, and the widgets shown when the row is opened, by title."""

    fields: dict
    details: list[tuple[str, Widget]] = field(default_factory=list)


def rich_table_data(
    *, title: str = "", rows_per_page: int = 10, columns: list[ColumnDefinition], data: list[RichTableDataRow]
) -> Widget:
    """Evidently's big table: typed columns, pages, and rows that open onto detail widgets."""
    graphs: list[Widget] = []
    rows = []
    for row in data:
        if not row.details:
            rows.append(dict(row.fields))
            continue
        parts = [{"title": part_title, "id": info.id, "type": "widget"} for part_title, info in row.details]
        graphs += [info for _, info in row.details]
        rows.append({"details": {"parts": parts}, **row.fields})
    params = {
        "rowsPerPage": min(len(data), rows_per_page),
        "columns": [column.as_dict() for column in columns],
        "data": rows,
    }
    return Widget("big_table", title, alertsPosition="row", params=params, additionalGraphs=graphs)
