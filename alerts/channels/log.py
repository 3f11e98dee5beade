"""The log channel: one structured log event per notification (the demo's channel: no account needed).

Its `lines` read as Slack's fallback text does (one per rule, worst columns first); `alerts` keeps every alert."""

from __future__ import annotations

from datetime import datetime

import structlog

from alerts.grouping import by_rule
from alerts.notices import Notification
from alerts.payload import webhook_body
from alerts.retry import Answer
from alerts.wording import group_line, headline

log = structlog.get_logger("drifthound.alert")


def log_level(notification: Notification) -> str:
    """ "error" when a critical alert fires: log-based paging keys on the level, and the news that a
    critical alert resolved is no error."""
    if any(a.severity == "critical" and a.status == "firing" for a in notification.alerts):
        return "error"
    return "warning"


class LogChannel:
    type = "log"
    timeout = 1.0

    def __init__(self, name: str) -> None:
        self.name = name

    def send(self, notification: Notification, delivery_id: str, *, now: datetime) -> Answer:
        body = webhook_body(notification, delivery_id)
        emit = log.error if log_level(notification) == "error" else log.warning
        emit(
            "alert.notification",
            channel=self.name,
            delivery_id=delivery_id,
            status=body["status"],
            summary=headline(notification),
            lines=[group_line(group) for group in by_rule(notification.alerts)],  # as Slack's text lists them
            monitor=body["monitor"],
            window=body["window"],
            alerts=body["alerts"],
            report_url=body["report_url"],
            test=notification.test,
        )
        return Answer("delivered", "logged")

    def close(self) -> None:
        pass
