"""Notification contents: folding, the webhook body of DESIGN.md, Slack's limits, signatures, retries."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from alerts.notices import AlertNotice, Notification, TopColumn, fold, ordered
from alerts.payload import webhook_body
from alerts.retry import classify_http, next_attempt_at, parse_retry_after
from alerts.signing import signature_header, verify_signature
from alerts.slack import MAX_BLOCKS, MAX_BLOCKS_CHARS, MAX_HEADER, MAX_SECTION, MAX_TEXT, blocks_size, slack_message
from tests.slack_blocks import block_errors

NOW = datetime(2026, 11, 22, 6, tzinfo=UTC)


def notice(
    rule="drift",
    severity="critical",
    status="firing",
    reason="first_notification",
    column=None,
    window_end="2026-11-22T06:00:00Z",
    top=(),
):
    return AlertNotice(
        rule=rule,
        severity=severity,
        metric="drift.share",
        column=column,
        value=0.42,
        threshold=0.3,
        op="above",
        status=status,
        reason=reason,
        since="2026-11-22T04:00:00Z",
        window_end=window_end,
        top_columns=tuple(top),
    )


def notification(*alerts, end="2026-11-22T06:00:00Z"):
    return Notification(
        monitor="credit-scoring",
        window_start="2026-11-22T05:00:00Z",
        window_end=end,
        alerts=ordered(list(alerts)),
        report_url="http://dh:9308/reports/credit-scoring/x.html",
    )


def test_the_webhook_body_follows_the_contract():
    body = webhook_body(notification(notice(top=[TopColumn("income", 0.31, "ks")])), "d-1")
    assert body["version"] == "1" and body["delivery_id"] == "d-1" and body["status"] == "firing"
    assert body["window"] == {"start": "2026-11-22T05:00:00Z", "end": "2026-11-22T06:00:00Z"}
    alert = body["alerts"][0]
    assert {k: alert[k] for k in ("rule", "severity", "metric", "column", "value", "threshold", "op", "since")} == {
        "rule": "drift",
        "severity": "critical",
        "metric": "drift.share",
        "column": None,
        "value": 0.42,
        "threshold": 0.3,
        "op": "above",
        "since": "2026-11-22T04:00:00Z",
    }
    assert alert["top_columns"] == [{"column": "income", "score": 0.31, "method": "ks"}]
    assert body["report_url"].endswith("/reports/credit-scoring/x.html")
    assert json.loads(json.dumps(body)) == body


def test_most_severe_first_then_firing_before_resolved():
    items = ordered(
        [
            notice("b", "info"),
            notice("a", "warning", "resolved", "resolved"),
            notice("c", "warning"),
            notice("d", "critical"),
        ]
    )
    assert [(a.rule, a.status) for a in items] == [("d", "firing"), ("c", "firing"), ("a", "resolved"), ("b", "firing")]
    assert notification(notice(status="resolved", reason="resolved")).status == "resolved"


def test_folding_keeps_the_newest_state_and_an_unsent_first_notification():
    older = notification(notice("drift"), notice("acc", "warning"))
    newer = notification(
        notice("drift", reason="reminder", window_end="2026-11-22T07:00:00Z"),
        notice("acc", "warning", "resolved", "resolved", window_end="2026-11-22T07:00:00Z"),
        end="2026-11-22T07:00:00Z",
    )
    merged = fold(older, newer)
    assert merged.window_end == "2026-11-22T07:00:00Z"
    by_rule = {a.rule: a for a in merged.alerts}
    assert by_rule["drift"].reason == "first_notification" and by_rule["drift"].window_end == "2026-11-22T07:00:00Z"
    assert by_rule["acc"].status == "resolved"
    assert Notification.from_dict(json.loads(json.dumps(merged.to_dict()))) == merged


def within_slack_limits(message: dict) -> None:
    blocks = message["blocks"]
    assert block_errors(blocks) == [], "Slack's SDK finds every block valid"
    assert len(blocks) <= MAX_BLOCKS and blocks_size(blocks) <= MAX_BLOCKS_CHARS
    assert len(blocks[0]["text"]["text"]) <= MAX_HEADER
    assert all(len(b["text"]["text"]) <= MAX_SECTION for b in blocks if b["type"] == "section")
    assert 0 < len(message["text"]) <= MAX_TEXT


def test_slack_stays_within_its_limits_with_300_rules_firing():
    top = [TopColumn(f"feature_<{i}>_" + "x" * 40, 1.0 - i / 1000, "Wasserstein distance (normed)") for i in range(300)]
    alerts = [notice("drift", top=top)] + [notice(f"col {i}", "warning", column=f"c{i}") for i in range(299)]
    message = slack_message(notification(*alerts))
    within_slack_limits(message)
    blocks = message["blocks"]
    shown = [b for b in blocks if b["type"] == "section" and b["text"]["text"].startswith(":")]
    left = 300 - len(shown)
    assert left > 0
    assert (
        blocks[-2]["text"]["text"]
        == f"and {left} more rules on the <http://dh:9308/reports/credit-scoring/|monitor page>"
    )
    top_line = blocks[2]["text"]["text"]
    assert top_line.startswith("top columns: ") and "and 295 more" in top_line
    assert "&lt;0&gt;" in top_line and "<0>" not in top_line, "data is escaped"
    assert json.dumps(blocks).count("top columns") == 1, "once per message, however many alerts name them"
    assert message["text"].rstrip().split("\n")[-1].startswith("and ")
    assert message["text"].startswith("FIRING: credit-scoring (300 firing)")


def ratio_notice(rule, column, ratio, severity="warning", segment=None, reason="first_notification"):
    return replace(
        notice(rule, severity, column=column, reason=reason),
        metric="drift.ratio",
        value=ratio,
        threshold=1.0,
        segment=segment,
    )


def test_slack_stays_within_its_limits_whatever_fires():
    """60 per-column rules over 200 columns with long names, and segments: cut by blocks, characters and
    section length at once."""
    alerts = [
        ratio_notice(f"rule {r} " + "r" * 100, f"col_{c}_" + "&" * 80, 1 + c / 7, segment=f"region=r{r}")
        for r in range(60)
        for c in range(200)
    ]
    message = slack_message(notification(*alerts))
    within_slack_limits(message)
    assert message["blocks"][-2]["text"]["text"].startswith("and ")


def test_a_rule_over_many_columns_is_one_section_worst_first():
    alerts = [ratio_notice("column drift", f"feature_{i}", 1 + i / 10) for i in range(45)]
    alerts.append(ratio_notice("column drift", "feature_99", 9.0, reason="reminder"))
    alerts.append(notice("dataset drift"))
    message = slack_message(notification(*alerts))
    within_slack_limits(message)
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert len(sections) == 2
    assert sections[0].startswith(":red_circle: *dataset drift* (critical, new): drift.share 42%, above 30%")
    assert sections[1] == (
        ":large_orange_circle: *column drift* (warning, 45 new, 1 reminder): 46 columns, drift.ratio above 1x: "
        "feature_99 9x, feature_44 5.4x, feature_43 5.3x, feature_42 5.2x, feature_41 5.1x, ... and 41 more "
        "(<http://dh:9308/reports/credit-scoring/|monitor page>) · firing for 2 h"
    )


def test_resolved_columns_are_their_own_section_and_segments_are_named():
    alerts = [
        ratio_notice("segment drift", "income", 3.0, segment="region=north"),
        ratio_notice("segment drift", "income", 2.0, segment="region=south"),
        replace(
            ratio_notice("segment drift", "income", 0.5, segment="region=east"), status="resolved", reason="resolved"
        ),
    ]
    sections = [b["text"]["text"] for b in slack_message(notification(*alerts))["blocks"] if b["type"] == "section"]
    assert sections == [
        ":large_orange_circle: *segment drift* (warning, new): 2 alerts, drift.ratio above 1x: "
        "income in region=north 3x, income in region=south 2x · firing for 2 h",
        ":white_check_mark: *segment drift* (warning, resolved): drift.ratio [income] in region=east 0.5x, "
        "below 1x · resolved after 2 h",
    ]


def test_slack_header_is_cut_for_long_monitor_names():
    long = Notification(monitor="m" * 200, window_start="a", window_end="b", alerts=(notice(),))
    assert len(slack_message(long)["blocks"][0]["text"]["text"]) == MAX_HEADER


def test_signatures_verify_and_refuse_tampering_and_replays():
    body = b'{"a":1}'
    header = signature_header("s3cret", body, 1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert verify_signature("s3cret", header, body, now=1_700_000_100)
    assert not verify_signature("s3cret", header, b'{"a":2}', now=1_700_000_100)
    assert not verify_signature("other", header, body, now=1_700_000_100)
    assert not verify_signature("s3cret", header, body, now=1_700_000_000 + 301), "older than 5 minutes"
    assert not verify_signature("s3cret", "v1=abc", body, now=1_700_000_000)


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (200, "ok", "delivered"),
        (204, "", "delivered"),
        (400, "invalid_payload", "permanent"),
        (403, "action_prohibited", "permanent"),
        (404, "channel_not_found", "permanent"),
        (410, "channel_is_archived", "permanent"),
        (404, "no_service", "permanent"),
        (429, "rate_limited", "retry"),
        (500, "rollup_error", "retry"),
        (502, "", "retry"),
        (503, "", "retry"),
        (408, "", "retry"),
    ],
)
def test_which_answers_are_retried(status, body, kind):
    answer = classify_http(status, body, None, now=NOW)
    assert answer.kind == kind and str(status) in answer.detail


def test_retry_after_is_honoured_on_429_and_503():
    assert classify_http(429, "", "30", now=NOW).retry_after == 30
    assert classify_http(503, "", "Sun, 22 Nov 2026 06:02:00 GMT", now=NOW).retry_after == 120
    assert classify_http(500, "", "30", now=NOW).retry_after is None
    assert parse_retry_after("soon", now=NOW) is None
    rng = random.Random(1)
    at = next_attempt_at(1, now=NOW, retry_after=600, give_up_at=NOW + timedelta(hours=1), rng=rng)
    assert at == NOW + timedelta(seconds=600)


def test_backoff_grows_with_jitter_and_stops_at_give_up():
    rng = random.Random(7)
    give_up = NOW + timedelta(hours=24)
    delays = [
        (next_attempt_at(n, now=NOW, retry_after=None, give_up_at=give_up, rng=rng) - NOW).total_seconds()
        for n in range(1, 12)
    ]
    assert 2.5 <= delays[0] <= 5 and 5 <= delays[1] <= 10 and 10 <= delays[2] <= 20
    assert max(delays) <= 15 * 60
    assert len({round(d, 3) for d in delays[-3:]}) == 3, "jitter: capped delays still differ"
    last = next_attempt_at(3, now=give_up - timedelta(seconds=1), retry_after=None, give_up_at=give_up, rng=rng)
    assert last == give_up, "one last attempt at the deadline"
    assert next_attempt_at(3, now=give_up, retry_after=None, give_up_at=give_up, rng=rng) is None


@pytest.mark.parametrize(
    ("alerts", "level"),
    [
        ((("drift", "critical", "firing"), ("quality", "warning", "firing")), "error"),
        ((("drift", "warning", "firing"), ("rows", "info", "firing")), "warning"),
        ((("drift", "critical", "resolved"),), "warning"),
    ],
)
def test_the_log_channel_logs_a_firing_critical_alert_at_error_level(alerts, level):
    from structlog.testing import capture_logs

    from alerts.channels.log import LogChannel

    message = notification(*(notice(rule=r, severity=s, status=st, reason="resolved") for r, s, st in alerts))
    with capture_logs() as logged:
        assert LogChannel("log").send(message, "d-1", now=NOW).kind == "delivered"
    [event] = [e for e in logged if e["event"] == "alert.notification"]
    assert event["log_level"] == level


RUNBOOK = "https://wiki.example/runbooks/drift?team=ml&x=1"


def test_a_runbook_url_reaches_every_channel_and_is_absent_when_unset():
    from dataclasses import replace

    from alerts.channels.http import alertmanager_alerts
    from alerts.channels.log import LogChannel

    with_runbook = notification(replace(notice(), runbook_url=RUNBOOK), notice(rule="plain", severity="warning"))
    body = webhook_body(with_runbook, "d-1")
    assert [a["runbook_url"] for a in body["alerts"]] == [RUNBOOK, None]
    assert Notification.from_dict(json.loads(json.dumps(with_runbook.to_dict()))) == with_runbook, "through outbox"
    message = slack_message(with_runbook)
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert "<https://wiki.example/runbooks/drift?team=ml&amp;x=1|runbook>" in sections[0]
    assert "runbook" not in sections[1]
    assert f"(runbook: {RUNBOOK})" in message["text"]
    annotations = [a["annotations"] for a in alertmanager_alerts(with_runbook, now=NOW, validity=timedelta(hours=1))]
    assert annotations[0]["runbook_url"] == RUNBOOK and "runbook_url" not in annotations[1]
    assert {"summary", "value", "threshold", "window", "top_columns"} <= set(annotations[0])
    from structlog.testing import capture_logs

    with capture_logs() as logged:
        LogChannel("log").send(with_runbook, "d-1", now=NOW)
    [event] = [e for e in logged if e["event"] == "alert.notification"]
    assert event["alerts"][0]["runbook_url"] == RUNBOOK


def test_slack_says_what_to_do_the_report_the_monitor_page_and_the_silence_command():
    firing = slack_message(notification(notice(), notice(rule="quality", status="resolved", reason="resolved")))
    blocks = json.dumps(firing["blocks"])
    assert "<http://dh:9308/reports/credit-scoring/x.html|report>" in blocks
    assert "<http://dh:9308/reports/credit-scoring/|monitor page>" in blocks
    assert "drifthound alerts silence -m credit-scoring --for 2h" in blocks
    assert "to silence: drifthound alerts silence -m credit-scoring" in firing["text"]
    resolved = slack_message(notification(notice(status="resolved", reason="resolved")))
    assert "silence" not in json.dumps(resolved), "nothing to silence once all is resolved"


def test_a_column_rule_s_slack_section_names_the_column_that_moves_the_model_first():
    from alerts.channels.http import alertmanager_alerts

    """One rule over every column: the columns by drift.impact when measured (a small drift of the feature the
    model leans on before a large one of a feature it ignores), then by how far past the threshold."""
    ignored = replace(notice(column="ignored"), metric="drift.ratio", value=9.0, threshold=1.0, impact=0.01)
    important = replace(notice(column="important"), metric="drift.ratio", value=1.5, threshold=1.0, impact=0.3)
    unmeasured = replace(notice(column="comment"), metric="drift.ratio", value=4.0, threshold=1.0)
    top = [TopColumn("important", 0.3, "wasserstein", 0.3), TopColumn("ignored", 3.0, "wasserstein", 0.01)]
    message = slack_message(notification(ignored, unmeasured, replace(important, top_columns=tuple(top))))
    text = message["text"]
    assert text.index("important") < text.index("ignored") < text.index("comment"), text
    assert "top columns by impact on the model: `important` 0.3 (impact 0.3)" in json.dumps(message["blocks"])
    told = notification(replace(important, top_columns=tuple(top)))
    assert Notification.from_dict(json.loads(json.dumps(told.to_dict()))) == told, "impact kept through the outbox"
    [alert] = webhook_body(told, "d-1")["alerts"]
    assert alert["top_columns"][0] == {"column": "important", "score": 0.3, "method": "wasserstein", "impact": 0.3}
    [manager] = alertmanager_alerts(told, now=NOW, validity=timedelta(hours=1))
    assert manager["annotations"]["top_columns"] == "important 0.3 (impact 0.3), ignored 3 (impact 0.01)"
