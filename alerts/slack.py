"""Slack Block Kit for a notification, within Slack's limits, whatever fires.

At most 50 blocks, 150 characters of header text, 3,000 characters of section text and 12,000 characters
of blocks in all (Slack refuses a whole message past about 13,000: `msg_blocks_too_long`). One section per
rule, its columns or segments worst first, cut with "and N more" and a link to the monitor page; the
top-columns line once per message. Each rule reads as alerts.wording says: how bad, since when, whether it
is new, a reminder or resolved. `text` is the plain fallback shown in notifications and by clients that
cannot render blocks.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from alerts.grouping import RuleGroup, by_rule
from alerts.notices import Notification, TopColumn
from alerts.wording import group_body, group_head, group_line, headline, rounded

MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION = 3000
MAX_TEXT = 3000
MAX_BLOCKS_CHARS = 12000
TOP_COLUMNS_SHOWN = 5
# Quality drops explained in one message (one line each): the first few figures say it.
EXPLANATIONS_SHOWN = 3
_LINK = "\x00"  # stands for the monitor page's link in a cut list until the text is escaped
_ICONS = {"critical": ":red_circle:", "warning": ":large_orange_circle:", "info": ":large_blue_circle:"}


def escape(text: str) -> str:
    """Slack's mrkdwn control characters: data (column names) must not become links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: float | None) -> str:
    return "n/a" if value is None else rounded(value)


def blocks_size(blocks: list[dict[str, Any]]) -> int:
    """Characters of blocks as sent (JSON, markup included): what the message-wide limit is held to."""
    return len(json.dumps(blocks, ensure_ascii=False))


def _sent_size(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False)) - 2


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, MAX_SECTION)}}


def _top_columns_line(label: str, columns: tuple[TopColumn, ...]) -> str:
    shown = [
        f"`{escape(c.column)}` {_number(c.score)}" + (f" (impact {_number(c.impact)})" if c.impact is not None else "")
        for c in columns[:TOP_COLUMNS_SHOWN]
    ]
    more = len(columns) - len(shown)
    return f"{label}: " + ", ".join(shown) + (f", and {more} more" if more > 0 else "")


def top_columns_lines(notification: Notification) -> list[str]:
    """Where to look, once per message: the drifted columns, and where a multivariate change is when it
    differs from them."""
    lines: list[str] = []
    seen: list[tuple[TopColumn, ...]] = []
    for alert in notification.alerts:
        if alert.top_columns and alert.top_columns not in seen:
            seen.append(alert.top_columns)
            label = "multivariate change in" if alert.metric.startswith("multivariate.") else "top columns"
            if any(c.impact is not None for c in alert.top_columns):
                label += " by impact on the model"
            lines.append(_cut(_top_columns_line(label, alert.top_columns), MAX_SECTION))
    return lines


def explanation_lines(notification: Notification) -> list[str]:
    """What accounts for each firing quality drop, once per figure."""
    lines = []
    for alert in notification.alerts:
        line = f"`{escape(alert.metric)}` {escape(alert.explanation or '')}"
        if alert.explanation and alert.status == "firing" and line not in lines:
            lines.append(_cut(line, MAX_SECTION))
    return lines[:EXPLANATIONS_SHOWN]


def _rule_section(group: RuleGroup, budget: int, page: str | None) -> dict[str, Any]:
    """The group's section within `budget` characters as sent; what is cut points at the monitor page."""
    icon = ":white_check_mark:" if group.status == "resolved" else _ICONS.get(group.severity, "")
    head = group_head(group)
    name = escape(group.rule)
    lead = f"{icon} *{name}*{escape(head[len(group.rule) :])}: "
    runbook = f"\n<{escape(group.runbook_url)}|runbook>" if group.runbook_url else ""
    link = f" (<{page}|monitor page>)" if page else ""

    def marked(text: str) -> str:  # the link goes where the words "and N more" are, after escaping
        return escape(text).replace(_LINK, link)

    room = min(budget, MAX_SECTION) - _sent_size(lead + runbook)
    body, _ = group_body(
        group,
        budget=room,
        measure=lambda text: _sent_size(marked(text)),
        more=lambda left: f", ... and {left} more{_LINK}",
    )
    return _section(lead + marked(body) + runbook)


def slack_message(notification: Notification) -> dict[str, Any]:
    page = monitor_page(notification)
    context = f"window {notification.window_start} .. {notification.window_end}"
    if notification.report_url:
        context += f" · <{notification.report_url}|report> · <{page}|monitor page>"
    head: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(headline(notification), MAX_HEADER)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(context, MAX_SECTION)}]},
        *(_section(line) for line in top_columns_lines(notification)),
        *(_section(line) for line in explanation_lines(notification)),
    ]
    tail: list[dict[str, Any]] = []
    if any(a.status == "firing" for a in notification.alerts):
        quiet = {"type": "mrkdwn", "text": _cut(f"to silence: `{escape(silence_command(notification))}`", MAX_SECTION)}
        tail.append({"type": "context", "elements": [quiet]})
    groups = by_rule(notification.alerts)
    # Room for the rules, and one block saying how many rules did not fit.
    room = MAX_BLOCKS - len(head) - len(tail) - 1
    shown = groups if len(groups) <= room + 1 else groups[:room]
    reserve = _sent_size(_rules_left(len(groups), page)) + 60  # the "and N more" block, should one be needed
    sections: list[dict[str, Any]] = []
    for index, group in enumerate(shown):
        spare = MAX_BLOCKS_CHARS - blocks_size(head + sections + tail) - reserve
        per_block = len(json.dumps(_section(""))) + 2
        budget = spare // (len(shown) - index) - per_block
        if budget < 200:  # too little left to say anything useful: say how many rules were left out
            break
        sections.append(_rule_section(group, budget, page))
    while sections and blocks_size(head + sections + tail) > MAX_BLOCKS_CHARS - reserve:
        sections.pop()  # a guard: the budgets above are estimates of what escaping adds
    if len(sections) < len(groups):
        sections.append(_section(_rules_left(len(groups) - len(sections), page)))
    return {"text": fallback_text(notification), "blocks": head + sections + tail}


def _rules_left(count: int, page: str | None) -> str:
    where = f" on the <{page}|monitor page>" if page else ""
    return f"and {count} more rule{'s' if count != 1 else ''}{where}"


def monitor_page(notification: Notification) -> str | None:
    """The monitor's page on the reports site: its report's folder."""
    return notification.report_url.rsplit("/", 1)[0] + "/" if notification.report_url else None


def silence_command(notification: Notification) -> str:
    return f'drifthound alerts silence -m {shlex.quote(notification.monitor)} --for 2h --reason "..."'


def fallback_text(notification: Notification) -> str:
    lines = [headline(notification)]
    for group in by_rule(notification.alerts):
        runbook = f" (runbook: {group.runbook_url})" if group.runbook_url else ""
        lines.append(f"- {group_line(group)}{runbook}")
    lines += [line.replace("`", "") for line in top_columns_lines(notification)]
    lines += [line.replace("`", "") for line in explanation_lines(notification)]
    if notification.report_url:
        lines.append(f"report: {notification.report_url}")
        lines.append(f"monitor page: {monitor_page(notification)}")
    if any(a.status == "firing" for a in notification.alerts):
        lines.append(f"to silence: {silence_command(notification)}")
    text = "\n".join(lines)
    if len(text) <= MAX_TEXT:
        return text
    kept: list[str] = []
    for index, line in enumerate(lines):
        tail = f"and {len(lines) - index} more"
        if len("\n".join([*kept, line, tail])) > MAX_TEXT:
            return "\n".join([*kept, tail])
        kept.append(line)
    return "\n".join(kept)
