"""Slack Block Kit for a notification, within Slack's limits.

At most 50 blocks, 150 characters of header text and 3,000 characters of section
text; longer lists are cut with "and N more". Each alert reads as alerts.wording says:
how bad, since when, and whether it is new, a reminder or resolved. `text` is the plain fallback shown in
notifications and by clients that cannot render blocks.
"""

from __future__ import annotations

import shlex
from typing import Any

from alerts.notices import AlertNotice, Notification
from alerts.wording import alert_line, headline, how_bad, marker, rounded, since_when

MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION = 3000
MAX_TEXT = 3000
_ICONS = {"critical": ":red_circle:", "warning": ":large_orange_circle:", "info": ":large_blue_circle:"}


def escape(text: str) -> str:
    """Slack's mrkdwn control characters: data (column names) must not become links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: float | None) -> str:
    return "n/a" if value is None else rounded(value)


def _alert_section(alert: AlertNotice) -> str:
    icon = ":white_check_mark:" if alert.status == "resolved" else _ICONS.get(alert.severity, "")
    lines = [f"{icon} *{escape(alert.rule)}* ({alert.severity}, {marker(alert)}): {escape(how_bad(alert))}"]
    when = since_when(alert)
    if when:
        lines.append(f"{when}, since {alert.since}")
    if alert.top_columns:
        shown = [f"`{escape(c.column)}` {_number(c.score)}" for c in alert.top_columns[:5]]
        more = len(alert.top_columns) - len(shown)
        lines.append("top columns: " + ", ".join(shown) + (f", and {more} more" if more > 0 else ""))
    if alert.runbook_url:
        lines.append(f"<{escape(alert.runbook_url)}|runbook>")
    return _cut("\n".join(lines), MAX_SECTION)


def monitor_page(notification: Notification) -> str | None:
    """The monitor's page on the reports site: its report's folder."""
    return notification.report_url.rsplit("/", 1)[0] + "/" if notification.report_url else None


def silence_command(notification: Notification) -> str:
    return f'drifthound alerts silence -m {shlex.quote(notification.monitor)} --for 2h --reason "..."'


def slack_message(notification: Notification) -> dict[str, Any]:
    context = f"window {notification.window_start} .. {notification.window_end}"
    if notification.report_url:
        context += f" · <{notification.report_url}|report> · <{monitor_page(notification)}|monitor page>"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(headline(notification), MAX_HEADER)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(context, MAX_SECTION)}]},
    ]
    room = MAX_BLOCKS - len(blocks)
    alerts = list(notification.alerts)
    shown = alerts if len(alerts) <= room else alerts[: room - 1]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": _alert_section(a)}} for a in shown]
    if len(shown) < len(alerts):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"and {len(alerts) - len(shown)} more"}})
    if any(a.status == "firing" for a in alerts) and len(blocks) < MAX_BLOCKS:
        quiet = {"type": "mrkdwn", "text": _cut(f"to silence: `{escape(silence_command(notification))}`", MAX_SECTION)}
        blocks.append({"type": "context", "elements": [quiet]})
    return {"text": fallback_text(notification), "blocks": blocks}


def fallback_text(notification: Notification) -> str:
    lines = [headline(notification)]
    for alert in notification.alerts:
        runbook = f" (runbook: {alert.runbook_url})" if alert.runbook_url else ""
        lines.append(f"- {alert_line(alert)}{runbook}")
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
