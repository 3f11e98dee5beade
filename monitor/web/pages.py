"""The reports site's pages, rendered from plain data. Every name from the data is escaped. Pure."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from alerts.notices import AlertNotice
from alerts.wording import how_bad
from monitor.times import iso
from monitor.web.charts import Threshold, heat_map, line_chart, quality_chart

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px} .muted{color:#656d76}
table{border-collapse:collapse;margin:8px 0;font-size:14px} th,td{padding:4px 10px;border-bottom:1px solid #d0d7de;
text-align:left;vertical-align:top} th{background:#f6f8fa}
.ok{color:#1a7f37}.failed,.firing,.dropped{color:#cf222e;font-weight:600}.skipped,.pending{color:#9a6700}
.running{color:#0969da} .charts{display:flex;flex-wrap:wrap;gap:12px}
.chart{border:1px solid #d0d7de;border-radius:6px;background:#fff} .chart .title{font-size:13px;font-weight:600}
.chart .axis{font-size:10px;fill:#656d76} .chart .empty{font-size:12px;fill:#656d76}
.chart .line polyline{fill:none;stroke:#0969da;stroke-width:1.5} .chart .base{stroke:#d0d7de}
.chart .dot{fill:#0969da} .chart .hit{fill:#cf222e} a{color:#0969da}
.chart .band{fill:#0969da;fill-opacity:.12;stroke:none} .chart .realized{fill:#57606a} .chart rect.hit{fill:#cf222e}
.chart .rule line{stroke:#bc4c00;stroke-dasharray:5 3} .chart .rule text{font-size:10px;fill:#bc4c00}
.heat{margin-top:12px;overflow-x:auto} .chart .gap{fill:#8c959f}
td.time{white-space:nowrap} td.reason{max-width:36em;overflow-wrap:anywhere}
"""


@dataclass(frozen=True)
class RunRow:
    window_start: datetime
    window_end: datetime
    status: str
    reason: str | None
    rows: int | None
    report_path: str | None
    drift_share: float | None = None


@dataclass(frozen=True)
class AlertRow:
    rule: str
    column: str
    state: str
    severity: str
    metric: str
    value: float | None
    threshold: float | None
    op: str
    since: datetime | None
    segment: str = ""


@dataclass(frozen=True)
class Series:
    title: str
    points: tuple[tuple[datetime, float | None], ...]
    markers: tuple[bool, ...] | None = None
    # A quality series: the realized figure at each point beside an estimate (once labels came), the reference
    # band, and the fixed thresholds of the rules on the line's figure and on the realized one.
    realized: tuple[float | None, ...] | None = None
    band: tuple[tuple[float, float] | None, ...] | None = None
    rules: tuple[Threshold, ...] = ()
    realized_rules: tuple[Threshold, ...] = ()
    gaps: tuple[tuple[datetime, str], ...] = ()  # failed or skipped windows, with the reason
    links: dict[datetime, str] = field(default_factory=dict)  # each window's report

    def svg(self) -> str:
        if self.band is not None:
            return quality_chart(
                self.title,
                self.points,
                self.realized,
                self.band,
                rules=self.rules,
                realized_rules=self.realized_rules,
                links=self.links,
            )
        return line_chart(self.title, self.points, markers=self.markers, gaps=self.gaps, links=self.links)


@dataclass(frozen=True)
class HeatMap:
    title: str
    rows: tuple[str, ...]
    times: tuple[datetime, ...]
    values: dict[tuple[str, datetime], float | None]
    high: float
    threshold: float
    links: dict[datetime, str]
    describe: str
    row_links: dict[str, str] = field(default_factory=dict)  # each row's own page

    def svg(self) -> str:
        return heat_map(
            self.title,
            self.rows,
            self.times,
            self.values,
            high=self.high,
            threshold=self.threshold,
            links=self.links,
            describe=self.describe,
            row_links=self.row_links,
        )


@dataclass(frozen=True)
class MonitorView:
    name: str
    schedule: str
    window: str
    runs: tuple[RunRow, ...]  # newest first
    alerts: tuple[AlertRow, ...] = ()
    series: tuple[Series, ...] = ()
    silenced_until: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)
    heat_maps: tuple[HeatMap, ...] = ()
    dropped: tuple[int, datetime | None] = (0, None)  # windows dropped in the last 24 h, the newest one's end
    cycle_warning: str | None = None  # the pooled reference would page on the log's daily or weekly cycle


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _stamp(now: datetime) -> str:
    return iso(now.replace(microsecond=0))


def _page(title: str, body: str, script: str | None = None) -> str:
    tag = f'<script src="{_e(script)}" defer></script>' if script else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{STYLE}</style>{tag}</head><body>{body}</body></html>"
    )


def _report_link(path: str | None, label: str = "report") -> str:
    if not path:
        return ""
    return f'<a href="/reports/{quote(path)}">{_e(label)}</a>'


def _status(status: str) -> str:
    return f'<span class="{_e(status)}">{_e(status)}</span>'


def index_page(monitors: Sequence[MonitorView], now: datetime) -> str:
    rows = []
    for view in monitors:
        last = view.runs[0] if view.runs else None
        last_ok = next((r for r in view.runs if r.status == "ok"), None)
        firing = sum(1 for a in view.alerts if a.state == "firing")
        rows.append(
            "<tr>"
            f'<td><a href="/reports/{quote(view.name)}/">{_e(view.name)}</a></td>'
            f"<td>{_e(view.schedule)}, window {_e(view.window)}</td>"
            f"<td>{_status(last.status) + ' ' + _e(iso(last.window_end)) if last else 'no runs yet'}</td>"
            f"<td>{_number(last_ok.drift_share) if last_ok else ''}</td>"
            f"<td>{f'<span class=firing>{firing} firing</span>' if firing else 'none'}"
            f"{' (silenced)' if view.silenced_until else ''}</td>"
            f"<td>{_report_link(last_ok.report_path, 'latest report') if last_ok else ''}</td>"
            "</tr>"
        )
    charts = "".join(
        f"<h2>{_e(view.name)}</h2><div class=charts>" + "".join(s.svg() for s in view.series[:2]) + "</div>"
        for view in monitors
    )
    body = (
        f"<h1>DriftHound</h1><p class=muted>{len(monitors)} monitors · {_e(_stamp(now))}</p>"
        "<table><tr><th>monitor</th><th>schedule</th><th>last run</th><th>drift share</th><th>alerts</th>"
        f"<th></th></tr>{''.join(rows)}</table>{charts}"
    )
    return _page("DriftHound", body)


def _how_bad(alert: AlertRow) -> str:
    """As notifications say it: "drift.share 33%, above 30%", "drift.detected: drifted" (the column and segment
    have their own cells)."""
    a = alert
    return how_bad(AlertNotice(a.rule, a.severity, a.metric, None, a.value, a.threshold, a.op, a.state, "", None, ""))


def monitor_page(view: MonitorView, now: datetime, *, panel: str = "", script: str | None = None) -> str:
    """`panel`: HTML placed before the alerts (an operator's silencing panel), with the `script` it needs."""
    alerts = "".join(
        f"<tr><td>{_status(a.state)}</td><td>{_e(a.rule)}</td><td>{_e(a.column)}</td><td>{_e(a.segment)}</td>"
        f"<td>{_e(a.severity)}</td>"
        f"<td>{_e(_how_bad(a))}</td>"
        f"<td>{_e(iso(a.since)) if a.since else ''}</td></tr>"
        for a in view.alerts
    )
    runs = "".join(
        f"<tr><td class=time>{_e(iso(r.window_start))}</td><td class=time>{_e(iso(r.window_end))}</td>"
        f"<td>{_status(r.status)}</td>"
        f"<td>{'' if r.rows is None else r.rows}</td><td>{_number(r.drift_share)}</td>"
        f"<td>{_report_link(r.report_path)}</td><td class='muted reason'>{_e(r.reason or '')}</td></tr>"
        for r in view.runs
    )
    silenced = f"<p class=pending>silenced until {_e(iso(view.silenced_until))}</p>" if view.silenced_until else ""
    count, newest = view.dropped
    dropped = ""
    if count and newest is not None:
        dropped = (
            f"<p class=failed>{count} window{'s' if count != 1 else ''} dropped in the last 24 h (newest ending "
            f"{_e(iso(newest))}): aged past catch_up unevaluated, the workers do not keep up</p>"
        )
    cycle = f"<p class='pending cycle'>{_e(view.cycle_warning)}</p>" if view.cycle_warning else ""
    body = (
        f'<p><a href="/reports/">all monitors</a></p><h1>{_e(view.name)}</h1>'
        f"<p class=muted>{_e(view.schedule)}, window {_e(view.window)} · {_e(_stamp(now))}</p>"
        f"{silenced}{dropped}{cycle}"
        f"<div class=charts>{''.join(s.svg() for s in view.series)}</div>"
        + "".join(f"<div class=heat>{h.svg()}</div>" for h in view.heat_maps)
        + panel
        + "<h2>Alerts</h2>"
        + (
            f"<table><tr><th>state</th><th>rule</th><th>column</th><th>segment</th><th>severity</th><th>value</th><th>since</th></tr>"
            f"{alerts}</table>"
            if alerts
            else "<p class=muted>none firing or pending</p>"
        )
        + "<h2>Runs</h2><table><tr><th>window start</th><th>window end</th><th>status</th><th>rows</th>"
        f"<th>drift share</th><th>report</th><th>reason</th></tr>{runs}</table>"
    )
    return _page(f"DriftHound: {view.name}", body, script)


def not_found_page(what: str) -> str:
    return _page("Not found", f'<h1>Not found</h1><p>{_e(what)}</p><p><a href="/reports/">all monitors</a></p>')
