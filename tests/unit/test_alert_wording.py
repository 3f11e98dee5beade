"""How bad, since when, why now: the words of a notification."""

from __future__ import annotations

import pytest

from alerts.notices import AlertNotice, Notification
from alerts.payload import webhook_body
from alerts.slack import slack_message
from alerts.wording import alert_line, duration, headline, how_bad, percent, rounded


def notice(metric="drift.share", value=0.42, threshold=0.3, op="above", **kw) -> AlertNotice:
    fields = {
        "rule": "drift",
        "severity": "critical",
        "metric": metric,
        "column": None,
        "value": value,
        "threshold": threshold,
        "op": op,
        "status": "firing",
        "reason": "first_notification",
        "since": "2026-11-21T06:00:00Z",
        "window_end": "2026-11-22T06:00:00Z",
    }
    return AlertNotice(**{**fields, **kw})


@pytest.mark.parametrize(
    ("alert", "text"),
    [
        (notice(), "drift.share 42%, above 30%"),
        (notice("accuracy", 0.6234, 0.7, "below"), "accuracy 0.623, below 0.7 (0.89x the threshold)"),
        (notice("drift.detected", 1.0, 0.5, column="income"), "drift.detected [income]: drifted"),
        (notice("prediction.drift.detected", 0.0, 0.5, status="resolved"), "prediction.drift.detected: not drifted"),
        (notice("monitor.failed_runs", 3.0, 1.5), "monitor.failed_runs 3, above 2"),
        (notice("mae", 1234.5678, 1000.0), "mae 1,235, above 1,000 (1.2x the threshold)"),
        (
            notice("roc_auc", 0.7, 0.73, "outside_reference", reference=(0.82, 0.03, 3.0)),
            "roc_auc 0.7, outside its usual 0.73..0.91 (reference mean 0.82, 3 std)",
        ),
        (notice("drift.share", None), "drift.share n/a"),
        (notice("drift.ratio", 2.345, 1.0, column="income"), "drift.ratio [income] 2.35x, above 1x"),
        (notice("f1", 0.5, 0.61, "outside_reference"), "f1 0.5, below 0.61, the edge of its usual range"),
    ],
)
def test_how_bad_in_the_metrics_unit_or_as_a_ratio(alert, text):
    assert how_bad(alert) == text


def test_numbers_are_rounded_for_people():
    assert [rounded(v) for v in (0.0, 0.123456, 12.3456, 0.00001234)] == ["0", "0.123", "12.3", "1.2e-05"]
    assert [percent(v) for v in (0.4234, 0.0123, 0.00042)] == ["42%", "1.2%", "0.042%"]


def test_durations():
    assert duration("2026-11-21T06:00:00Z", "2026-11-22T06:00:00Z") == "24 h"
    assert duration("2026-11-22T05:30:00Z", "2026-11-22T06:00:00Z") == "30 min"
    assert duration("2026-11-22T04:30:00Z", "2026-11-22T06:00:00Z") == "1 h 30 min"
    assert duration("2026-11-19T00:00:00Z", "2026-11-22T06:00:00Z") == "3 d 6 h"
    assert duration(None, "2026-11-22T06:00:00Z") is None


def test_a_line_says_what_how_bad_since_when_and_why_now():
    assert (
        alert_line(notice(reason="reminder"))
        == "drift (critical, reminder): drift.share 42%, above 30% · firing for 24 h"
    )
    assert alert_line(notice(status="resolved", reason="resolved", value=0.1)).endswith(
        "drift.share 10%, below 30% · resolved after 24 h"
    )


def test_headline_counts_every_listed_alert_and_says_reminder():
    def message(*alerts):
        return Notification("credit", "2026-11-22T05:00:00Z", "2026-11-22T06:00:00Z", tuple(alerts))

    assert (
        headline(message(notice(reason="reminder"), notice(reason="reminder"))) == "FIRING: credit (2 firing, reminder)"
    )
    assert headline(message(notice(), notice(reason="reminder"))) == "FIRING: credit (2 firing, 1 new)"
    assert headline(message(notice(), notice(status="resolved", reason="resolved"))) == (
        "FIRING: credit (1 firing, 1 resolved)"
    )


def test_every_channel_shows_the_words_and_the_webhook_keeps_numbers_numeric():
    message = Notification(
        "credit",
        "2026-11-22T05:00:00Z",
        "2026-11-22T06:00:00Z",
        (notice("drift.detected", 1.0, 0.5, reason="reminder"),),
    )
    [alert] = webhook_body(message, "d-1")["alerts"]
    assert alert["value"] == 1.0 and alert["threshold"] == 0.5 and alert["reason"] == "reminder"
    assert alert["summary"] == "drift.detected: drifted" and alert["duration"] == "24 h"
    slack = slack_message(message)
    section = slack["blocks"][2]["text"]["text"]
    assert "(critical, reminder): drift.detected: drifted" in section and "firing for 24 h" in section
    assert "= 1" not in slack["text"] and "firing for 24 h" in slack["text"]


def test_the_log_channel_logs_the_same_list_in_the_same_words():
    from datetime import UTC, datetime

    from structlog.testing import capture_logs

    from alerts.channels.log import LogChannel

    message = Notification(
        "credit",
        "2026-11-22T05:00:00Z",
        "2026-11-22T06:00:00Z",
        (notice(), notice("accuracy", 0.6, 0.7, "below", rule="accuracy low", severity="warning", reason="reminder")),
    )
    with capture_logs() as events:
        LogChannel("log").send(message, "d-1", now=datetime(2026, 11, 22, 6, tzinfo=UTC))
    [event] = events
    assert event["summary"] == "FIRING: credit (2 firing, 1 new)"
    assert event["lines"] == [
        "drift (critical, new): drift.share 42%, above 30% · firing for 24 h",
        "accuracy low (warning, reminder): accuracy 0.6, below 0.7 (0.86x the threshold) · firing for 24 h",
    ]
    assert [a["reason"] for a in event["alerts"]] == ["first_notification", "reminder"]


def test_the_log_channel_lists_each_rule_as_slacks_text_does():
    from datetime import UTC, datetime

    from structlog.testing import capture_logs

    from alerts.channels.log import LogChannel

    columns = [notice("drift.ratio", 1 + i / 10, 1.0, rule="column drift", column=f"f{i}") for i in range(45)]
    message = Notification(
        "credit", "2026-11-22T05:00:00Z", "2026-11-22T06:00:00Z", (notice(rule="dataset drift"), *columns)
    )
    with capture_logs() as events:
        LogChannel("log").send(message, "d-1", now=datetime(2026, 11, 22, 6, tzinfo=UTC))
    [event] = events
    assert event["lines"] == [
        "dataset drift (critical, new): drift.share 42%, above 30% · firing for 24 h",
        "column drift (critical, new): 45 columns, drift.ratio above 1x: f44 5.4x, f43 5.3x, f42 5.2x, f41 5.1x, "
        "f40 5x, ... and 40 more · firing for 24 h",
    ]
    fallback = slack_message(message)["text"].split("\n")
    assert [line.removeprefix("- ") for line in fallback if line.startswith("- ")] == event["lines"]
    assert len(event["alerts"]) == 46, "every alert, for machines"
