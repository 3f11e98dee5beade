"""A run report's title and its links: the monitor page, the previous and the next run's report.

The links are relative (`./`, `<window_end>.html`). Neighbours are the monitor's report files that exist
when the report is served, in window_end order: the file keeps only the markers where they go, so no
report ever points at one housekeeping deleted, or misses one written after it (the next hour, or a
window caught up out of order).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

START = "<!-- drifthound:nav -->"
END = "<!-- /drifthound:nav -->"
_STYLE = (
    "font-family:Roboto,Helvetica,Arial,sans-serif;padding:12px 24px;border-bottom:1px solid #ddd;"
    "display:flex;gap:24px;align-items:baseline;flex-wrap:wrap"
)


@dataclass(frozen=True)
class Neighbours:
    """The stamps (file names without .html) of the reports before and after one, if any."""

    previous: str | None
    next: str | None


def neighbours(stamps: Iterable[str], stamp: str) -> Neighbours:
    """The reports beside `stamp` in window_end order (stamps sort as their times do)."""
    others = sorted(set(stamps) - {stamp})
    earlier = [s for s in others if s < stamp]
    later = [s for s in others if s > stamp]
    return Neighbours(earlier[-1] if earlier else None, later[0] if later else None)


def header(monitor: str, window: str) -> str:
    """The block at the top of a report: its title, the monitor page, and (between markers) its neighbours."""
    return (
        f'<nav class="drifthound-nav" style="{_STYLE}">'
        f'<h1 style="font-size:20px;margin:0">{html.escape(monitor)}, {html.escape(window)}</h1>'
        f'<a rel="up" class="drifthound-monitor" href="./">monitor page</a>{START}{END}</nav>'
    )


def links(around: Neighbours) -> str:
    previous = _link("prev", around.previous, "← previous run", missing="")
    following = _link("next", around.next, "next run →", missing="next run: none yet")
    return f"{START}{previous}{following}{END}"


def with_links(page: str, around: Neighbours) -> str:
    """The page with its neighbours' links put between the markers (replacing any a report written by an older
    version stored there); a page without markers is returned as it was."""
    start, end = page.find(START), page.find(END)
    if start < 0 or end < start:
        return page
    return page[:start] + links(around) + page[end + len(END) :]


def _link(rel: str, stamp: str | None, text: str, *, missing: str) -> str:
    if stamp is None:
        return f'<span class="drifthound-{rel}" style="color:#777">{missing}</span>' if missing else ""
    return f'<a rel="{rel}" class="drifthound-{rel}" href="{html.escape(stamp)}.html">{text}</a>'
