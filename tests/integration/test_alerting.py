"""Rules, alert states, grouping, the outbox and delivery, on real stores and real HTTP receivers."""

from __future__ import annotations

import base64
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from alerts import health, outbox, silences
from alerts.models import AlertEvent, ChannelHealth, OutboxMessage
from monitor import logs
from monitor.commands import alerting as alerting_commands
from monitor.commands.status import status
from monitor.config import parse_config
from tests.alert_world import SECRET, T0, World, config_for, config_text
from tests.receivers import SLACK_ANSWERS, Echo, Receiver


@pytest.fixture
def receivers(httpserver):
    return Receiver(httpserver, "/hook", secret=SECRET), Receiver(httpserver, "/slack")


@pytest.fixture
def world(database_url, receivers):
    hook, slack = receivers
    return World(database_url, config_for(database_url, hook=hook.url, slack=slack.url))


def test_the_lifecycle_over_a_sequence_of_runs(world, receivers):
    hook, slack = receivers
    deliverer = world.deliverer()
    assert world.run(1, share=0.5, accuracy=0.9) == []  # pending: for_runs = 2
    assert world.alert("dataset drift").state == "pending"
    world.clock.advance(hours=1)
    assert len(world.run(2, share=0.6, accuracy=0.9)) == 2  # firing: hook and slack
    assert deliverer.drain(5) == 0
    world.clock.advance(hours=1)
    assert world.run(3, share=0.6, accuracy=0.9) == []  # still firing, repeat not due
    world.clock.advance(hours=1)
    assert len(world.run(4, share=0.1, accuracy=0.9)) == 2  # resolved
    assert deliverer.drain(5) == 0
    world.clock.advance(hours=1)
    assert world.run(5, share=0.1, accuracy=0.9) == []
    statuses = [(b["status"], b["alerts"][0]["status"], b["alerts"][0]["reason"]) for b in hook.bodies]
    assert statuses == [("firing", "firing", "first_notification"), ("resolved", "resolved", "resolved")]
    first = hook.bodies[0]["alerts"][0]
    assert first["since"] == "2026-11-22T01:00:00Z" and first["value"] == 0.6 and first["threshold"] == 0.3
    assert hook.bodies[0]["report_url"] == "http://drifthound.test:9308/reports/credit/2.html"
    assert len(slack.requests) == 2 and slack.bodies[0]["text"].startswith("FIRING: credit")
    assert hook.bad_signatures == 0 and all(r["headers"]["X-Team"] == "ml-platform" for r in hook.requests)
    assert len(set(hook.delivery_ids)) == 2
    with world.store.session() as session:
        events = session.execute(sa.select(AlertEvent.from_state, AlertEvent.to_state).order_by(AlertEvent.id)).all()
    assert [tuple(e) for e in events] == [("inactive", "pending"), ("pending", "firing"), ("firing", "resolved")]


def test_one_message_per_channel_most_severe_first(world, receivers):
    hook, _ = receivers
    world.run(1, share=0.5, accuracy=0.5)
    world.clock.advance(hours=1)
    world.run(2, share=0.5, accuracy=0.5)
    assert world.deliverer().drain(5) == 0
    # accuracy fired alone in run 1 (for_runs 1); run 2 fired drift and folded into the unsent message.
    assert len(hook.requests) == 1
    assert [a["rule"] for a in hook.bodies[0]["alerts"]] == ["dataset drift", "accuracy low"]
    assert [a["reason"] for a in hook.bodies[0]["alerts"]] == ["first_notification", "first_notification"]


def test_repeat_while_firing(world, receivers):
    hook, _ = receivers
    deliverer = world.deliverer()
    world.run(1, accuracy=0.5)
    deliverer.drain(5)
    for hour in range(2, 7):
        world.clock.advance(hours=1)
        world.run(hour, accuracy=0.5)
        deliverer.drain(5)
    assert [b["alerts"][0]["reason"] for b in hook.bodies] == ["first_notification", "reminder"]


def test_older_windows_arriving_later_give_the_same_state(world, receivers):
    """The daemon evaluates the latest window first, then catches up: alert states follow window order,
    and the message shows the newest window, its report and its drifted columns."""
    hook, _ = receivers
    world.run(5, share=0.5, income=0.9)
    assert world.alert("dataset drift").state == "pending"
    world.run(4, share=0.5, age=0.4)
    assert world.alert("dataset drift").state == "firing"
    assert world.alert("dataset drift").since == T0 + timedelta(hours=4)
    world.deliverer().drain(5)
    body = hook.bodies[0]
    assert body["window"] == {"start": "2026-11-22T05:00:00Z", "end": "2026-11-22T06:00:00Z"}
    assert body["report_url"] == "http://drifthound.test:9308/reports/credit/5.html"


def test_a_run_without_the_figure_neither_fires_nor_resolves(world):
    world.run(1, accuracy=0.5)
    world.run(2, failed=1.0)  # a failed run: only its failure count
    world.run(3, accuracy=None)
    assert world.alert("accuracy low").state == "firing"


def test_per_column_rules_give_one_alert_each(database_url, receivers):
    hook, slack = receivers
    rule = (
        '[[monitors.rules]]\nname = "column drift"\nmetric = "drift.score"\ncolumn = "*"\nabove = 0.2\n'
        'channels = ["hook"]\n'
    )
    world = World(database_url, config_for(database_url, hook=hook.url, slack=slack.url, extra_rules=rule))
    world.run(1, income=0.5, age=0.1)
    assert world.alert("column drift", "income").state == "firing"
    assert world.alert("column drift", "age").state == "inactive"
    world.deliverer().drain(5)
    assert [(a["rule"], a["column"]) for a in hook.bodies[0]["alerts"]] == [("column drift", "income")]


def test_a_rule_s_runbook_url_reaches_the_webhook_and_slack(database_url, receivers):
    hook, slack = receivers
    runbook = "https://wiki.example/runbooks/accuracy"
    rule = (
        '[[monitors.rules]]\nname = "accuracy very low"\nmetric = "accuracy"\nbelow = 0.6\nseverity = "critical"\n'
        f'runbook_url = "{runbook}"\nchannels = ["hook", "slack"]\n'
    )
    world = World(database_url, config_for(database_url, hook=hook.url, slack=slack.url, extra_rules=rule))
    world.run(1, share=0.1, accuracy=0.5)
    assert world.deliverer().drain(5) == 0
    alerts = {a["rule"]: a for a in hook.bodies[0]["alerts"]}
    assert alerts["accuracy very low"]["runbook_url"] == runbook and alerts["accuracy low"]["runbook_url"] is None
    assert f"<{runbook}|runbook>" in str(slack.bodies[0]["blocks"])


def test_silenced_alerts_keep_their_state_and_notify_once_the_silence_ends(world, receivers):
    hook, _ = receivers
    with world.store.transaction() as session:
        silences.silence(
            session,
            monitor="credit",
            rule="accuracy low",
            until=world.clock() + timedelta(hours=2),
            reason="retraining",
            now=world.clock(),
        )
    assert world.run(1, accuracy=0.5) == []
    assert world.alert("accuracy low").state == "firing"
    world.clock.advance(hours=3)
    assert len(world.run(2, accuracy=0.5)) == 1
    world.deliverer().drain(5)
    assert hook.bodies[0]["alerts"][0]["reason"] == "first_notification"


def test_no_notify_moves_states_only(world):
    assert world.run(1, accuracy=0.5, notify=False) == []
    assert world.alert("accuracy low").state == "firing"
    world.clock.advance(hours=1)
    assert len(world.run(2, accuracy=0.5)) == 1, "a live run then tells what it was never told"


def test_an_alert_fired_in_the_middle_of_a_catch_up_is_told_though_the_last_run_had_no_figures(world, receivers):
    """Only a catch-up's first and last runs notify; when the last has no figures (the log stopped: skipped),
    nothing told of what a middle run fired (found by the replica drill). The daemon settles after a catch-up."""
    from alerts.pipeline import notify_unsent, rules_for

    hook, _ = receivers
    assert world.run(1, notify=True) == []  # the latest window first: nothing to say
    assert world.run(2, accuracy=0.5, notify=False) == []  # a middle window fires
    assert world.alert("accuracy low").state == "firing"
    with world.store.transaction() as session:
        queued = notify_unsent(
            session,
            monitor="credit",
            rules=rules_for(world.monitor, world.config.alerting, world.config.channels),
            alerting=world.config.alerting,
            now=world.clock(),
            reports_base_url="http://drifthound.test:9308/reports/",
        )
    assert len(queued) == 1
    world.deliverer().drain(5)
    [body] = hook.bodies
    [alert] = body["alerts"]
    assert (alert["rule"], alert["status"], alert["reason"]) == ("accuracy low", "firing", "first_notification")
    # Told once: settling again, or the next live run, has nothing new to say.
    with world.store.transaction() as session:
        assert (
            notify_unsent(
                session,
                monitor="credit",
                rules=rules_for(world.monitor, world.config.alerting, world.config.channels),
                alerting=world.config.alerting,
                now=world.clock(),
            )
            == []
        )


def test_the_built_in_rule_alerts_when_the_monitor_keeps_failing(world, receivers):
    hook, slack = receivers
    world.run(1, failed=1.0)
    assert world.alert("monitor failing").state == "inactive"
    world.run(2, failed=2.0)
    assert world.alert("monitor failing").state == "firing"
    world.deliverer().drain(5)
    alert = hook.bodies[0]["alerts"][0]
    assert (alert["rule"], alert["severity"], alert["metric"]) == ("monitor failing", "critical", "monitor.failed_runs")
    assert len(slack.requests) == 1, "by default the channels of the monitor's own rules"
    world.run(3, failed=0.0)
    assert world.alert("monitor failing").state == "resolved"


@pytest.mark.parametrize(
    "answer", ["invalid_payload", "action_prohibited", "channel_not_found", "no_service", "channel_is_archived"]
)
def test_slack_refusals_are_not_retried_and_mark_the_channel_broken(world, receivers, answer):
    _, slack = receivers
    slack.answer(SLACK_ANSWERS[answer])
    world.run(1, share=0.5)
    world.clock.advance(hours=1)
    world.run(2, share=0.5)
    world.deliverer().drain(3)
    assert len(slack.requests) == 1
    dead = next(m for m in world.queued() if m.channel == "slack")
    assert dead.status == "dead" and answer in dead.last_error and "not retried" in dead.last_error
    with world.store.session() as session:
        health = session.get(ChannelHealth, "slack")
    assert health.broken and answer in health.reason
    # A later success heals the channel.
    world.clock.advance(hours=5)
    world.run(3, share=0.5)
    world.deliverer().drain(3)
    with world.store.session() as session:
        assert not session.get(ChannelHealth, "slack").broken


@pytest.mark.parametrize(("answer", "retry_after"), [("rate_limited", "30"), ("rollup_error", None)])
def test_slack_rate_limits_and_errors_are_retried(world, receivers, answer, retry_after):
    _, slack = receivers
    status, body = SLACK_ANSWERS[answer]
    slack.answer((status, body, {"Retry-After": retry_after} if retry_after else {}))
    world.run(1, share=0.5)
    world.run(2, share=0.5)
    deliverer = world.deliverer()
    deliverer.run_once()
    message = next(m for m in world.queued() if m.channel == "slack")
    assert message.status == "queued" and message.attempts == 1 and answer in message.last_error
    wait = (message.next_attempt_at - world.clock()).total_seconds()
    assert (wait >= 30) if retry_after else (2.5 <= wait <= 5)
    world.clock.advance(seconds=wait)
    deliverer.run_once()
    assert next(m for m in world.queued() if m.channel == "slack").status == "delivered"
    assert len(slack.requests) == 2


def test_a_receiver_down_for_many_attempts_then_back(world, receivers):
    """Every notification arrives, once per delivery id, in order."""
    hook, _ = receivers
    hook.answer(*[(503, "down")] * 8)
    deliverer = world.deliverer()
    world.run(1, accuracy=0.5)
    deliverer.run_once()
    world.clock.advance(minutes=2)
    world.run(2, accuracy=0.9)  # resolved while the firing one waits: a second, later message
    for _ in range(30):
        world.clock.advance(minutes=5)
        deliverer.run_once()
    accepted = [r for r in hook.requests[8:]]
    assert [r["body"]["status"] for r in accepted] == ["firing", "resolved"]
    ids = [r["headers"]["X-Drifthound-Delivery"] for r in hook.requests]
    assert len(set(ids[:9])) == 1, "every retry of the first message carries its delivery id"
    assert len(set(ids)) == 2
    assert {m.status for m in world.queued() if m.channel == "hook"} == {"delivered"}


def test_a_notification_that_outlives_give_up_after_is_dead_with_the_reason(world, receivers):
    hook, _ = receivers
    hook.default = (500, "still broken", {})
    world.run(1, accuracy=0.5)
    deliverer = world.deliverer()
    for _ in range(40):
        deliverer.run_once()
        world.clock.advance(minutes=5)
    [message] = [m for m in world.queued() if m.channel == "hook"]
    assert message.status == "dead"
    assert message.last_error.startswith(f"gave up after {message.attempts} attempts") and "500" in message.last_error
    assert message.finished_at <= message.give_up_at + timedelta(minutes=5)
    with world.store.session() as session:
        assert outbox.backlog(session).dead >= 1


def test_network_errors_are_retried(database_url, receivers):
    _, slack = receivers
    world = World(database_url, config_for(database_url, hook="http://127.0.0.1:9/refused", slack=slack.url))
    world.run(1, accuracy=0.5)
    world.deliverer().run_once()
    [message] = [m for m in world.queued() if m.channel == "hook"]
    assert message.status == "queued" and message.attempts == 1 and "ConnectError" in message.last_error


def test_a_secret_never_appears_in_stored_errors_or_logs(database_url, receivers, capsys):
    from monitor import logs

    logs.configure("json", level="INFO")
    secret_url = "http://127.0.0.1:9/services/T000/B000/xoxb-secret-token-123"
    config = parse_config(
        f"""
[service]
store_url = "{database_url}"
[sources.main]
url = "sqlite://"
[[monitors]]
name = "credit"
source = "main"
table = "p"
timestamp_column = "ts"
every = "1h"
window = "1h"
reference = {{ last = "1d" }}
[[monitors.rules]]
name = "accuracy low"
metric = "accuracy"
below = 0.7
channels = ["slack"]
[channels.slack]
type = "slack"
webhook_url = "${{SLACK_URL}}"
""",
        environ={"SLACK_URL": secret_url},
    )
    world = World(database_url, config)
    world.run(1, accuracy=0.5)
    world.deliverer().run_once()
    [message] = world.queued()
    captured = capsys.readouterr()
    assert "xoxb-secret-token-123" not in (message.last_error or "") + captured.out + captured.err
    assert "notification.retry" in captured.out + captured.err


# Written in the config itself, not through ${ENV}: a query token, a header's credentials, Alertmanager's
# password (and the basic-auth header it travels in), and the token a Slack webhook URL holds in its path.
LITERAL_SECRETS = ("s3cr3t-value", "abcdef123", "pa55word", base64.b64encode(b"user:pa55word").decode(), "chat-0c4f9e")


def echoing_channels(server) -> str:
    address = f"{server.host}:{server.port}"
    for path in ("/echo", "/api/v2/alerts", "/services/T0/B0/chat-0c4f9e"):
        Echo(server, path)
    return f"""
[channels.echo]
type = "webhook"
url = "http://{address}/echo?token=s3cr3t-value&x=1"
headers = {{ Authorization = "Bearer abcdef123" }}
timeout = "2s"
[channels.am]
type = "alertmanager"
url = "http://user:pa55word@{address}"
timeout = "2s"
[channels.chat]
type = "slack"
webhook_url = "http://{address}/services/T0/B0/chat-0c4f9e"
timeout = "2s"
"""


def test_a_receiver_quoting_the_request_back_shows_no_secret_of_the_channel(
    database_url, httpserver, tmp_path, monkeypatch
):
    """Receivers answer 400 quoting the request line and its Authorization header: the secrets written in the
    channels' URLs and headers stay out of the logs, the outbox, channel health, `status` and `alerts test`."""
    text = config_text(
        database_url, accuracy_channels='["echo", "am", "chat"]', extra_channels=echoing_channels(httpserver)
    )
    log = io.StringIO()
    logs.configure("json", level="INFO", stream=log)
    world = World(database_url, parse_config(text, environ={"HOOK_SECRET": SECRET}))
    world.run(1, accuracy=0.5)
    world.deliverer().run_once()
    dead = {m.channel: m.last_error for m in world.queued() if m.status == "dead"}
    assert "HTTP 400: bad request: POST /echo?token=***&x=1 HTTP/1.1 Authorization: ***" in dead["echo"]
    assert "POST /api/v2/alerts HTTP/1.1 Authorization: Basic ***" in dead["am"]
    assert "POST *** HTTP/1.1" in dead["chat"]
    with world.store.session() as session:
        broken = {h.channel: h.reason for h in health.broken_channels(session)}
    assert set(broken) == {"echo", "am", "chat"}
    config_file = tmp_path / "config.toml"
    config_file.write_text(text)
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    shown = io.StringIO()
    assert status(str(config_file), out=shown) == 0
    assert alerting_commands.test_channel(str(config_file), "echo", out=shown) == 1
    produced = {
        "log": log.getvalue(),
        "outbox": "\n".join(dead.values()),
        "channel health": "\n".join(broken.values()),
        "status and alerts test": shown.getvalue(),
    }
    assert "notification.dead" in produced["log"] and "channel.broken" in produced["log"]
    assert "DEAD     echo" in shown.getvalue() and "POST /echo?token=***&x=1" in shown.getvalue()
    for where, produced_text in produced.items():
        for secret in LITERAL_SECRETS:
            assert secret not in produced_text, f"{secret} found in {where}"


def test_an_answer_cut_to_length_keeps_no_piece_of_a_secret(database_url, httpserver):
    """Answers are cut to 200 characters; a cut through a secret would leave a piece no mask matches."""
    Echo(httpserver, "/padded", prefix="x" * (200 - len("POST /padded?token=s3cr3t")))
    channel = f'[channels.padded]\ntype = "webhook"\nurl = "{httpserver.url_for("/padded")}?token=s3cr3t-value"\n'
    world = World(database_url, config_for(database_url, accuracy_channels='["padded"]', extra_channels=channel))
    world.run(1, accuracy=0.5)
    world.deliverer().run_once()
    [message] = [m for m in world.queued() if m.channel == "padded"]
    assert message.status == "dead" and "token=***" in message.last_error
    assert "s3cr3t" not in message.last_error


def test_status_masks_answers_stored_unmasked_by_an_older_version(database_url, httpserver, tmp_path, monkeypatch):
    text = config_text(database_url, accuracy_channels='["echo"]', extra_channels=echoing_channels(httpserver))
    world = World(database_url, parse_config(text, environ={"HOOK_SECRET": SECRET}))
    world.run(1, accuracy=0.5)
    world.deliverer().run_once()
    unmasked = "HTTP 400: bad request: POST /echo?token=s3cr3t-value&x=1"
    with world.store.transaction() as session:
        session.execute(sa.update(OutboxMessage).values(last_error=unmasked))
        session.execute(sa.update(ChannelHealth).values(reason=unmasked))
    config_file = tmp_path / "config.toml"
    config_file.write_text(text)
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    shown = io.StringIO()
    assert status(str(config_file), out=shown) == 0
    assert "DEAD     echo" in shown.getvalue() and "BROKEN   channel echo" in shown.getvalue()
    assert "s3cr3t-value" not in shown.getvalue() and shown.getvalue().count("token=***") == 2
