"""The column page's own charts, inline SVG like the others: a column's distribution against the reference's
(bars side by side), and its quantiles over time (a line each, the reference's as dashed lines). Pure."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime

from monitor.web.charts import HEIGHT, PAD_BOTTOM, PAD_LEFT, PAD_RIGHT, PAD_TOP, WIDTH, Axes, dot, fmt, line_chart

REFERENCE_FILL = "#8c959f"
WINDOW_FILL = "#cf222e"
# Lines of the quantiles, outer ones light: the median is the one to read.
QUANTILE_STYLE = {5: "#b6d3f5", 25: "#6ca5e6", 50: "#0969da", 75: "#6ca5e6", 95: "#b6d3f5"}


def distribution_chart(title: str, labels: Sequence[str], reference: Sequence[float], window: Sequence[float]) -> str:
    """Each bin's (or category's) share of the reference's rows (grey) and of the window's (red), side by side;
    the value on hover."""
    label = html.escape(title)
    ref_total, win_total = sum(reference) or 1, sum(window) or 1
    ref_share = [v / ref_total for v in reference]
    win_share = [v / win_total for v in window]
    high = max([*ref_share, *win_share, 0.0]) or 1.0
    width = max(WIDTH, PAD_LEFT + PAD_RIGHT + 14 * len(labels))
    plot_w, plot_h = width - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / max(len(labels), 1)
    bottom = PAD_TOP + plot_h
    bars = []
    for i, name in enumerate(labels):
        x = PAD_LEFT + i * step
        for offset, share, fill, whose in (
            (0.1, ref_share[i], REFERENCE_FILL, "reference"),
            (0.5, win_share[i], WINDOW_FILL, "window"),
        ):
            h = share / high * plot_h
            tip = html.escape(f"{name} · {whose} {share:.1%}")
            bars.append(
                f'<rect class="{whose}" x="{x + offset * step:.1f}" y="{bottom - h:.1f}" width="{step * 0.4:.1f}" '
                f'height="{h:.1f}" fill="{fill}"><title>{tip}</title></rect>'
            )
    first, last = (html.escape(str(labels[0])), html.escape(str(labels[-1]))) if labels else ("", "")
    return (
        f'<svg class="chart distribution" role="img" aria-label="{label}" width="{width}" height="{HEIGHT}" '
        f'viewBox="0 0 {width} {HEIGHT}"><text x="8" y="16" class="title">{label}</text>'
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + 4}" text-anchor="end" class="axis">{high:.0%}</text>'
        f'<text x="{PAD_LEFT - 4}" y="{bottom}" text-anchor="end" class="axis">0%</text>'
        f'<line x1="{PAD_LEFT}" y1="{bottom}" x2="{width - PAD_RIGHT}" y2="{bottom}" class="base" />'
        + "".join(bars)
        + f'<text x="{PAD_LEFT}" y="{HEIGHT - 6}" class="axis">{first}</text>'
        f'<text x="{width - PAD_RIGHT}" y="{HEIGHT - 6}" text-anchor="end" class="axis">{last}</text>'
        f'<text x="{width - PAD_RIGHT}" y="16" text-anchor="end" class="axis">'
        f'<tspan fill="{REFERENCE_FILL}">■ reference</tspan> <tspan fill="{WINDOW_FILL}">■ window</tspan></text></svg>'
    )


def quantile_chart(
    title: str,
    ends: Sequence[datetime],
    quantiles: Mapping[int, Mapping[datetime, float | None]],
    reference: Mapping[int, float],
    links: Mapping[datetime, str],
) -> str:
    """A line per quantile over the windows, each dot a link to its run; the reference's quantiles (the newest
    run's reference) as dashed lines."""
    values = [v for series in quantiles.values() for v in series.values() if v is not None]
    if not values or not ends:
        return line_chart(title, [(end, None) for end in ends] or [], links=dict(links))
    values += list(reference.values())
    times = [t.timestamp() for t in ends]
    low_v, high_v = min(values), max(values)
    pad = (high_v - low_v) * 0.05 or abs(high_v) * 0.05 or 0.5
    axes = Axes(min(times), max(times), low_v - pad, high_v + pad)
    parts = []
    for q, at in sorted(reference.items()):
        y = axes.y(at)
        parts.append(
            f'<g class="rule"><title>reference p{q}: {fmt(at)}</title>'
            f'<line x1="{PAD_LEFT}" y1="{y:.1f}" x2="{WIDTH - PAD_RIGHT}" y2="{y:.1f}" /></g>'
        )
    for q, series in sorted(quantiles.items()):
        colour = QUANTILE_STYLE.get(q, "#0969da")
        known = [(t, series[t]) for t in ends if series.get(t) is not None]
        line = " ".join(f"{axes.x(t):.1f},{axes.y(v):.1f}" for t, v in known if v is not None)
        parts.append(
            f'<g class="quantile p{q}"><polyline points="{line}" fill="none" stroke="{colour}" stroke-width="1.5" />'
            + "".join(dot(axes.x(t), axes.y(v), "dot", t, v, dict(links)) for t, v in known if v is not None)
            + "</g>"
        )
    legend = " ".join(f'<tspan fill="{QUANTILE_STYLE.get(q, "#0969da")}">p{q}</tspan>' for q in sorted(quantiles))
    return (
        axes.frame(html.escape(title), ends[0], ends[-1])
        + "".join(parts)
        + f'<text x="{WIDTH - PAD_RIGHT}" y="16" text-anchor="end" class="axis">{legend} · dashed: reference</text>'
        + "</svg>"
    )
