"""A column's page: its drift ratio over time, its distribution in the newest run against the reference's, its
quantiles over time, how much it moves the model (`importance`, when learnt), and its runs with their reports.
Rendered from plain data; every name from the data is escaped. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from monitor.times import iso
from monitor.web.charts import fmt
from monitor.web.column_charts import distribution_chart, quantile_chart
from monitor.web.pages import Series, _e, _number, _page, _report_link, _stamp


def column_url(monitor: str, column: str) -> str:
    """The column's page: /reports/<monitor>/columns/<column>, each name quoted whole ("/" too)."""
    return f"/reports/{quote(monitor, safe='')}/columns/{quote(column, safe='')}"


@dataclass(frozen=True)
class Distribution:
    """A run's distribution of the column against the reference's (counts on the same bins or categories)."""

    kind: str  # "numerical" or "categorical"
    labels: tuple[str, ...]
    reference: tuple[float, ...]
    window: tuple[float, ...]
    window_end: datetime
    report_path: str | None


@dataclass(frozen=True)
class ColumnRun:
    window_start: datetime
    window_end: datetime
    ratio: float | None
    detected: float | None
    method: str | None
    median: float | None
    report_path: str | None


@dataclass(frozen=True)
class ColumnView:
    monitor: str
    column: str
    ratio: Series
    ends: tuple[datetime, ...]
    quantiles: dict[int, dict[datetime, float | None]]
    reference_quantiles: dict[int, float]
    links: dict[datetime, str]
    runs: tuple[ColumnRun, ...]  # newest first
    distribution: Distribution | None = None
    importance: tuple[float, datetime] | None = None  # the newest learnt, and its run's window end


def column_page(view: ColumnView, now: datetime) -> str:
    monitor = f"/reports/{quote(view.monitor, safe='')}/"
    if view.importance is None:
        importance = "<span class=muted>not learnt</span>"
    else:
        value, at = view.importance
        importance = f"{_e(_number(value))} <span class=muted>(learnt for the run ending {_e(iso(at))})</span>"
    charts = [view.ratio.svg()]
    if any(v is not None for series in view.quantiles.values() for v in series.values()):
        charts.append(
            quantile_chart(
                f"{view.column}: quantiles per window", view.ends, view.quantiles, view.reference_quantiles, view.links
            )
        )
    distribution = "<p class=muted>no distribution stored yet (the newest run's report has none)</p>"
    d = view.distribution
    if d is not None:
        what = "histogram on the reference's range" if d.kind == "numerical" else "share of each category"
        distribution = (
            f"<p class=muted>{_e(what)}, the run ending {_e(iso(d.window_end))} "
            f"{_report_link(d.report_path, 'report')}</p>"
            + distribution_chart(f"{view.column}: window against reference", d.labels, d.reference, d.window)
        )
    runs = "".join(
        f"<tr><td class=time>{_e(iso(r.window_start))}</td><td class=time>{_e(iso(r.window_end))}</td>"
        f"<td>{_number(r.ratio)}</td><td>{_verdict(r.detected)}</td><td>{_e(r.method or '')}</td>"
        f"<td>{'' if r.median is None else fmt(r.median)}</td><td>{_report_link(r.report_path)}</td></tr>"
        for r in view.runs
    )
    body = (
        f'<p><a href="/reports/">all monitors</a> · <a href="{_e(monitor)}">{_e(view.monitor)}</a></p>'
        f"<h1>{_e(view.column)}</h1><p class=muted>column of {_e(view.monitor)} · {_e(_stamp(now))}</p>"
        f"<p>importance (how much it moves the model's output): <span class=importance>{importance}</span></p>"
        f"<div class=charts>{''.join(charts)}</div><h2>Distribution now</h2>{distribution}"
        "<h2>Runs</h2><table><tr><th>window start</th><th>window end</th><th>drift ratio</th><th>drift</th>"
        f"<th>method</th><th>median</th><th>report</th></tr>{runs}</table>"
    )
    return _page(f"DriftHound: {view.monitor} / {view.column}", body)


def _verdict(detected: float | None) -> str:
    if detected is None:
        return ""
    return '<span class="failed">drifted</span>' if detected >= 0.5 else "no"
