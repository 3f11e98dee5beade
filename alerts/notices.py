"""Notifications as plain data: what one monitor's run has to say to one channel.

A notification is channel-neutral (channels render it) and JSON-serialisable (it
waits in the outbox). Notifications for the same monitor and channel that have not
been sent yet are folded into one, so a burst of runs (a catch-up after downtime)
sends one message, not a storm.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class TopColumn:
    column: str
    score: float | None
    method: str | None
    impact: float | None = None  # drift.impact: how far the model's output moved with this column alone


@dataclass(frozen=True)
class AlertNotice:
    rule: str
    severity: str
    metric: str
    column: str | None
    value: float | None
    threshold: float | None
    op: str
    status: str  # firing | resolved
    reason: str  # first_notification | reminder | resolved
    since: str | None
    window_end: str
    top_columns: tuple[TopColumn, ...] = ()
    reference: tuple[float, float, float] | None = None  # (mean, std, k) of an outside_reference rule
    segment: str | None = None  # "region=north" for a segment's figure
    runbook_url: str | None = None  # the rule's: what to do
    impact: float | None = None  # drift.impact of the alert's column in the newest window, when measured
    explanation: str | None = None  # a quality drop's account: the segments and features behind it

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        return self.rule, self.column, self.segment


@dataclass(frozen=True)
class Notification:
    monitor: str
    window_start: str
    window_end: str
    alerts: tuple[AlertNotice, ...]
    report_url: str | None = None
    test: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "firing" if any(a.status == "firing" for a in self.alerts) else "resolved"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Notification:
        alerts = tuple(
            AlertNotice(
                **{
                    **a,
                    "top_columns": tuple(TopColumn(**c) for c in a.get("top_columns", ())),
                    "reference": tuple(a["reference"]) if a.get("reference") else None,
                }
            )
            for a in data["alerts"]
        )
        return Notification(**{**data, "alerts": alerts})


def ordered(alerts: list[AlertNotice] | tuple[AlertNotice, ...]) -> tuple[AlertNotice, ...]:
    """Most severe first; firing before resolved; then by rule and column."""
    return tuple(
        sorted(
            alerts,
            key=lambda a: (
                SEVERITY_ORDER.get(a.severity, 9),
                a.status != "firing",
                a.rule,
                a.column or "",
                a.segment or "",
            ),
        )
    )


def fold(older: Notification, newer: Notification) -> Notification:
    """One message for two unsent ones: the newer state of each alert, the newer window and report.

    An alert whose first notification was still unsent stays a first notification.
    """
    merged: dict[tuple[str, str | None, str | None], AlertNotice] = {a.key: a for a in older.alerts}
    for notice in newer.alerts:
        previous = merged.get(notice.key)
        if previous is not None and previous.reason == "first_notification" and notice.status == "firing":
            notice = replace(notice, reason="first_notification", since=previous.since)
        merged[notice.key] = notice
    latest = newer if newer.window_end >= older.window_end else older
    return replace(latest, alerts=ordered(list(merged.values())))
