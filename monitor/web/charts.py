"""Trend charts as inline SVG: no script, no network, nothing for a browser to fail on. Pure."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT = 560, 150
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 48, 12, 24, 22


@dataclass(frozen=True)
class Axes:
    """A chart's scales (time across, value up) and its frame: the title, the value range and the time span."""

    low_t: float
    high_t: float
    low_v: float
    high_v: float
    plot_w: float = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h: float = HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(self, t: datetime) -> float:
        return PAD_LEFT + (t.timestamp() - self.low_t) / ((self.high_t - self.low_t) or 1.0) * self.plot_w

    def y(self, v: float) -> float:
        return PAD_TOP + (1 - (v - self.low_v) / (self.high_v - self.low_v)) * self.plot_h

    def frame(self, label: str, first: datetime, last: datetime) -> str:
        """The chart's opening: everything but its marks (close it with </svg>)."""
        bottom = PAD_TOP + self.plot_h
        return (
            f'<svg class="chart" role="img" aria-label="{label}" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}">'
            f'<text x="8" y="16" class="title">{label}</text>'
            f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + 4}" text-anchor="end" class="axis">{fmt(self.high_v)}</text>'
            f'<text x="{PAD_LEFT - 4}" y="{bottom}" text-anchor="end" class="axis">{fmt(self.low_v)}</text>'
            f'<line x1="{PAD_LEFT}" y1="{bottom}" x2="{WIDTH - PAD_RIGHT}" y2="{bottom}" class="base" />'
            f'<text x="{PAD_LEFT}" y="{HEIGHT - 6}" class="axis">{first:%m-%d %H:%M}</text>'
            f'<text x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - 6}" text-anchor="end" class="axis">'
            f"{last:%m-%d %H:%M} UTC</text>"
        )


def fmt(value: float) -> str:
    """Axis labels that fit: 1,060 rather than 1.06e+03."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _linked(element: str, link: str | None) -> str:
    """An SVG element that opens its run's report when there is one."""
    return f'<a href="{html.escape(link)}">{element}</a>' if link else element


def dot(cx: float, cy: float, css: str, moment: datetime, value: float, links: dict[datetime, str] | None) -> str:
    """A dot with its window and value on hover, linking to its run's report when there is one."""
    dot = (
        f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="2.5" class="{css}">'
        f"<title>{moment:%m-%d %H:%M} UTC · {fmt(value)}</title></circle>"
    )
    return _linked(dot, (links or {}).get(moment))


def line_chart(
    title: str,
    points: Sequence[tuple[datetime, float | None]],
    *,
    markers: Sequence[bool] | None = None,
    gaps: Sequence[tuple[datetime, str]] = (),
    links: dict[datetime, str] | None = None,
) -> str:
    """A line of `points` (time, value); gaps where a value is missing; red dots where `markers` is true; a grey
    tick under each window in `gaps` (failed or skipped), its reason on hover; each dot links to its run."""
    known = [(t, v) for t, v in points if v is not None]
    label = html.escape(title)
    if not known:
        return (
            f'<svg class="chart" role="img" aria-label="{label}: no data" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}"><text x="8" y="16" class="title">{label}</text>'
            f'<text x="{WIDTH // 2}" y="{HEIGHT // 2}" text-anchor="middle" class="empty">no data yet</text></svg>'
        )
    times = [t.timestamp() for t, _ in points]
    low_t, high_t = min(times), max(times)
    values = [v for _, v in known]
    low_v, high_v = min(values), max(values)
    if high_v == low_v:  # a flat line: give it room, but never below zero for a figure that cannot be negative
        pad = abs(high_v) * 0.1 or 0.5
        low_v, high_v = (max(0.0, low_v - pad) if low_v >= 0 else low_v - pad), high_v + pad
    axes = Axes(low_t, high_t, low_v, high_v)
    x, y, plot_h = axes.x, axes.y, axes.plot_h

    segments: list[list[str]] = [[]]
    for t, v in points:
        if v is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append(f"{x(t):.1f},{y(v):.1f}")
    lines = "".join(f'<polyline points="{" ".join(s)}" />' for s in segments if len(s) > 1)
    dots = "".join(
        dot(x(t), y(v), "hit" if hit else "dot", t, v, links)
        for (t, v), hit in zip(points, markers or [False] * len(points), strict=True)
        if v is not None
    )
    ticks = "".join(
        f'<path class="gap" d="M{x(t):.1f},{PAD_TOP + plot_h + 1} l-3,6 h6 z"><title>{html.escape(why)}</title></path>'
        for t, why in gaps
        if low_t <= t.timestamp() <= high_t
    )
    frame = axes.frame(label, points[0][0], points[-1][0])
    return f'{frame}<g class="line">{lines}</g><g>{dots}</g><g>{ticks}</g></svg>'


@dataclass(frozen=True)
class Threshold:
    """A rule's fixed bound on the charted figure: a point beyond it is one the rule breaches."""

    value: float
    above: bool  # the rule fires above `value` (else below it)
    figure: str  # the figure the rule is on, as its label names it ("accuracy", "estimated.accuracy")
    rule: str  # the rule's name, on hover

    @property
    def label(self) -> str:
        return f"rule: {self.figure} {'>' if self.above else '<'} {fmt(self.value)}"

    def breached(self, value: float) -> bool:
        return value > self.value if self.above else value < self.value


def quality_chart(
    title: str,
    points: Sequence[tuple[datetime, float | None]],
    realized: Sequence[float | None] | None,
    band: Sequence[tuple[float, float] | None],
    *,
    rules: Sequence[Threshold] = (),
    realized_rules: Sequence[Threshold] = (),
    links: dict[datetime, str] | None = None,
) -> str:
    """A quality figure over time: `points` (the estimate, or the realized figure when nothing is estimated) as a
    line with a dot per window, the realized figure once labels came as grey squares beside an estimate, the band
    the rule holds it to (what the realized figure keeps on the reference, shaded), and each fixed-threshold rule
    as a labelled dashed line. A dot (or square) is red where it leaves the band or crosses a rule on its figure
    (`rules` for the line, `realized_rules` for the squares); each links to its run."""
    label = html.escape(title)
    realized = realized if realized is not None else [None] * len(points)
    data = [v for _, v in points if v is not None] + [v for v in realized if v is not None]
    if not data:
        return line_chart(title, points, links=links)
    values = data + [edge for b in band if b is not None for edge in b]
    values += [r.value for r in (*rules, *realized_rules)]  # a rule's line is always in sight
    times = [t.timestamp() for t, _ in points]
    low_t, high_t = min(times), max(times)
    low_v, high_v = min(values), max(values)
    pad = (high_v - low_v) * 0.05 or 0.05
    low_v, high_v = low_v - pad, high_v + pad
    axes = Axes(low_t, high_t, low_v, high_v)
    x, y, plot_h = axes.x, axes.y, axes.plot_h

    def alarming(v: float, b: tuple[float, float] | None, held_to: Sequence[Threshold]) -> bool:
        return (b is not None and not b[0] <= v <= b[1]) or any(r.breached(v) for r in held_to)

    edges = [(x(t), b) for (t, _), b in zip(points, band, strict=True) if b is not None]
    shaded = ""
    if len(edges) > 1:
        upper = " ".join(f"{px:.1f},{y(b[1]):.1f}" for px, b in edges)
        lower = " ".join(f"{px:.1f},{y(b[0]):.1f}" for px, b in reversed(edges))
        shaded = f'<polygon class="band" points="{upper} {lower}" />'
    line = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in points if v is not None)
    dots = "".join(
        dot(x(t), y(v), "hit" if alarming(v, b, rules) else "dot", t, v, links)
        for (t, v), b in zip(points, band, strict=True)
        if v is not None
    )
    squares = "".join(
        _linked(
            f'<rect x="{x(t) - 2:.1f}" y="{y(v) - 2:.1f}" width="4" height="4" '
            f'class="realized{" hit" if alarming(v, b, realized_rules) else ""}">'
            f"<title>{t:%m-%d %H:%M} UTC · realized {fmt(v)}</title></rect>",
            (links or {}).get(t),
        )
        for (t, _), v, b in zip(points, realized, band, strict=True)
        if v is not None
    )
    lines = "".join(_rule_line(r, y(r.value), plot_h) for r in (*rules, *realized_rules))
    frame = axes.frame(label, points[0][0], points[-1][0])
    return f'{frame}{shaded}{lines}<g class="line"><polyline points="{line}" /></g><g>{squares}{dots}</g></svg>'


def _rule_line(rule: Threshold, at: float, plot_h: float) -> str:
    """A dashed line across the plot at the rule's bound, labelled at its right end: under the line in the upper
    half (clear of the chart's title), over it in the lower."""
    text_y = at + 11 if at < PAD_TOP + plot_h / 2 else at - 3
    return (
        f'<g class="rule"><title>{html.escape(rule.rule)}: {html.escape(rule.label)}</title>'
        f'<line x1="{PAD_LEFT}" y1="{at:.1f}" x2="{WIDTH - PAD_RIGHT}" y2="{at:.1f}" />'
        f'<text x="{WIDTH - PAD_RIGHT - 2}" y="{text_y:.1f}" text-anchor="end">{html.escape(rule.label)}</text></g>'
    )


def heat_map(
    title: str,
    rows: Sequence[str],
    times: Sequence[datetime],
    values: dict[tuple[str, datetime], float | None],
    *,
    high: float,
    threshold: float,
    links: dict[datetime, str] | None = None,
    describe: str = "value",
    row_links: dict[str, str] | None = None,
) -> str:
    """Rows x windows. A cell below `threshold` is white to light grey (how close it came); at or above it,
    orange to the darkest red at `high`; missing values are hatched grey. A cell links to its window's report
    when `links` has one, a row's label to its page when `row_links` has one."""
    if not rows or not times:
        return ""
    label_w, cell_h = 150, 16
    cell_w = max(4.0, min(24.0, (WIDTH * 2 - label_w - PAD_RIGHT) / len(times)))
    width = max(WIDTH * 2, int(label_w + cell_w * len(times) + PAD_RIGHT))  # room for the title
    height = PAD_TOP + cell_h * len(rows) + PAD_BOTTOM
    cells = []
    for i, row in enumerate(rows):
        y = PAD_TOP + i * cell_h
        label = f'<text x="{label_w - 6}" y="{y + cell_h - 4}" text-anchor="end" class="axis">{html.escape(row)}</text>'
        cells.append(_linked(label, (row_links or {}).get(row)))
        for j, moment in enumerate(times):
            value = values.get((row, moment))
            x = label_w + j * cell_w
            if value is None:
                fill = "#d0d7de"
            elif value < threshold:
                shade = int(250 - 50 * max(0.0, value / threshold))
                fill = f"rgb({shade},{shade},{min(255, shade + 4)})"
            else:
                strength = max(0.0, min(1.0, (value - threshold) / (high - threshold))) if high > threshold else 1.0
                fill = f"rgb({int(245 - 70 * strength)},{int(150 - 130 * strength)},{int(60 - 40 * strength)})"
            tip = html.escape(f"{row} · {moment:%m-%d %H:%M} · {describe} {'n/a' if value is None else f'{value:.3g}'}")
            rect = (
                f'<rect x="{x:.1f}" y="{y}" width="{cell_w - 1:.1f}" height="{cell_h - 1}" fill="{fill}">'
                f"<title>{tip}</title></rect>"
            )
            cells.append(_linked(rect, (links or {}).get(moment)))
    first, last = times[0], times[-1]
    return (
        f'<svg class="chart heat" role="img" aria-label="{html.escape(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><text x="8" y="16" class="title">{html.escape(title)}</text>'
        + "".join(cells)
        + f'<text x="{label_w}" y="{height - 6}" class="axis">{first:%m-%d %H:%M}</text>'
        f'<text x="{width - PAD_RIGHT}" y="{height - 6}" text-anchor="end" class="axis">{last:%m-%d %H:%M} UTC</text>'
        "</svg>"
    )
