"""The monitor page's silencing panel, for operators: the active silences with a button to end each, and a form
to silence the monitor (or one rule) for a chosen time. Its script posts to /api/silences (static/silences.js)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from alerts.models import Silence
from monitor.times import iso

# The lengths the form offers (the API takes any duration).
CHOICES = ("1h", "2h", "4h", "8h", "1d", "3d", "7d")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def silence_panel(monitor: str, rules: Sequence[str], active: Sequence[Silence]) -> str:
    rows = "".join(
        f"<tr><td>{_e(s.rule or 'every rule')}</td><td class=time>{_e(iso(s.ends_at))}</td><td>{_e(s.reason)}</td>"
        f"<td>{_e(s.created_by or 'the CLI')}</td>"
        f'<td><button type="button" class="end-silence" data-silence-id="{s.id}">end</button></td></tr>'
        for s in active
    )
    table = (
        "<table><tr><th>rule</th><th>until</th><th>reason</th><th>set by</th><th></th></tr>" + rows + "</table>"
        if rows
        else "<p class=muted>no active silences</p>"
    )
    options = '<option value="">every rule</option>' + "".join(
        f'<option value="{_e(r)}">{_e(r)}</option>' for r in rules
    )
    lengths = "".join(f'<option value="{c}"{" selected" if c == "2h" else ""}>{c}</option>' for c in CHOICES)
    return (
        f"<h2>Silences</h2>{table}"
        f'<form id="silence-form" data-monitor="{_e(monitor)}">'
        f'<label>rule <select name="rule">{options}</select></label> '
        f'<label>for <select name="for">{lengths}</select></label> '
        '<label>reason <input name="reason" required maxlength="1000" size="40"></label> '
        '<button type="submit">silence</button></form><p id="silence-status" class="failed" role="status"></p>'
    )
