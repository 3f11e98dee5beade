"""The generic webhook body of DESIGN.md (version "1").

Every alert of the monitor firing for the channel is listed, each with `reason` (first_notification,
reminder, resolved); `summary` and `duration` say in words how bad and for how long, beside the numeric
`value` and `threshold`.
"""

from __future__ import annotations

from typing import Any

from alerts.notices import Notification, TopColumn
from alerts.wording import duration, how_bad


def webhook_body(notification: Notification, delivery_id: str) -> dict[str, Any]:
    return {
        "version": "1",
        "delivery_id": delivery_id,
        "status": notification.status,
        "monitor": notification.monitor,
        "window": {"start": notification.window_start, "end": notification.window_end},
        "alerts": [
            {
                "rule": a.rule,
                "severity": a.severity,
                "metric": a.metric,
                "column": a.column,
                "segment": a.segment,
                "value": a.value,
                "threshold": a.threshold,
                "op": a.op,
                "status": a.status,
                "reason": a.reason,
                "since": a.since,
                "window_end": a.window_end,
                "summary": how_bad(a),
                "duration": duration(a.since, a.window_end),
                "top_columns": [_top_column(c) for c in a.top_columns],
                "reference": None
                if a.reference is None
                else {"mean": a.reference[0], "std": a.reference[1], "k": a.reference[2]},
                "runbook_url": a.runbook_url,
                "explanation": a.explanation,
            }
            for a in notification.alerts
        ],
        "report_url": notification.report_url,
        "test": notification.test,
    }


def _top_column(column: TopColumn) -> dict[str, Any]:
    """A drifted column as the payload names it; with `impact` (drift.impact) when the run measured it."""
    named: dict[str, Any] = {"column": column.column, "score": column.score, "method": column.method}
    if column.impact is not None:
        named["impact"] = column.impact
    return named
