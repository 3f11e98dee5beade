"""Alerting through the installed command: the demo's drift notified once, resolved once, and nothing
lost or doubled when the process is killed between queueing and delivery."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.cli import drifthound, start
from tests.receivers import SLACK_ANSWERS, Receiver

pytestmark = pytest.mark.e2e

SECRET = "whsec-e2e-0123456789"


def hour(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def latest_end() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def alert_config(tmp_path: Path, demo_data: Path, hook_url: str, slack_url: str = "http://127.0.0.1:9/slack") -> Path:
    shutil.copy(demo_data / "predictions.db", tmp_path / "predictions.db")
    text = (demo_data / "config.toml").read_text()
    text = text.replace('channels = ["log"]', 'channels = ["log", "hook"]')
    text += f"""
[channels.hook]
type = "webhook"
url = "{hook_url}"
secret = "${{HOOK_SECRET}}"
timeout = "1s"

[channels.slack]
type = "slack"
webhook_url = "{slack_url}"
timeout = "1s"
"""
    (tmp_path / "config.toml").write_text(text)
    return tmp_path / "config.toml"


def log_notifications(stderr: str) -> list[dict]:
    events = []
    for line in stderr.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "alert.notification":
            events.append(event)
    return events


def append_clean_hour(database: Path, end: datetime) -> None:
    """A later window without drift: an hour from three days ago, copied to [end - 1h, end)."""
    connection = sqlite3.connect(database)
    shift = end - (latest_end() - timedelta(days=3))
    source_start = latest_end() - timedelta(days=3, hours=1)
    columns = [c[1] for c in connection.execute("PRAGMA table_info(predictions)") if c[1] != "id"]
    names = ", ".join(f'"{c}"' for c in columns)
    rows = connection.execute(
        f"SELECT {names} FROM predictions WHERE ts >= ? AND ts < ?",
        (source_start.strftime("%Y-%m-%d %H:%M:%S"), (source_start + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")),
    ).fetchall()
    at = columns.index("ts")
    moved = []
    for row in rows:
        ts = datetime.strptime(row[at], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC) + shift
        moved.append((*row[:at], ts.strftime("%Y-%m-%d %H:%M:%S.%f"), *row[at + 1 :]))
    connection.executemany(
        f"INSERT INTO predictions ({names}) VALUES ({', '.join('?' for _ in columns)})",
        moved,
    )
    connection.commit()
    connection.close()


def test_the_demo_drift_fires_once_and_a_later_clean_window_resolves_it(tmp_path, demo_data, httpserver):
    hook = Receiver(httpserver, "/hook", secret=SECRET)
    config = alert_config(tmp_path, demo_data, hook.url)
    env = {"HOOK_SECRET": SECRET}
    first = drifthound("check", "-c", str(config), "--at", hour(latest_end() - timedelta(hours=1)), env=env)
    assert first.returncode == 0, first.stderr
    assert log_notifications(first.stderr) == [] and hook.requests == [], "pending: for_runs = 2"
    second = drifthound("check", "-c", str(config), env=env)
    assert second.returncode == 0, second.stderr
    [logged] = log_notifications(second.stderr)
    assert logged["status"] == "firing" and logged["monitor"] == "credit-scoring"
    assert [a["rule"] for a in logged["alerts"]] == ["dataset drift", "model quality (estimated)"]
    assert {c["column"] for c in logged["alerts"][0]["top_columns"]} == {"income", "debt_ratio", "channel"}
    assert len(hook.requests) == 1 and hook.bad_signatures == 0
    assert hook.bodies[0]["status"] == "firing" and hook.bodies[0]["alerts"][0]["value"] > 0.3
    assert hook.bodies[0]["delivery_id"] == hook.requests[0]["headers"]["X-Drifthound-Delivery"]
    assert "notifications: all delivered" in second.stdout

    again = drifthound("check", "-c", str(config), env=env)
    assert log_notifications(again.stderr) == [] and len(hook.requests) == 1, "nothing new: nothing sent"

    later = latest_end() + timedelta(hours=2)
    append_clean_hour(tmp_path / "predictions.db", later)
    resolved = drifthound("check", "-c", str(config), "--at", hour(later), env=env)
    assert resolved.returncode == 0, resolved.stderr
    assert "drift: 0 of 9 columns" in resolved.stdout
    [logged] = log_notifications(resolved.stderr)
    assert logged["status"] == "resolved" and logged["alerts"][0]["reason"] == "resolved"
    assert [b["status"] for b in hook.bodies] == ["firing", "resolved"]
    assert len(set(hook.delivery_ids)) == 2

    status = drifthound("status", "-c", str(config), env=env)
    assert "notifications: 0 queued, 4 delivered, 0 dead" in status.stdout


def test_killed_between_queueing_and_delivery_nothing_is_lost_or_doubled(tmp_path, demo_data, httpserver):
    hook = Receiver(httpserver, "/hook", secret=SECRET)
    hook.hold = threading.Event()
    config = alert_config(tmp_path, demo_data, hook.url)
    text = (
        config.read_text()
        .replace('channels = ["log", "hook"]', 'channels = ["hook"]')
        .replace("for_runs = 2", "for_runs = 1")
    )
    config.write_text(text)
    env = {"HOOK_SECRET": SECRET}
    process = start("check", "-c", str(config), env=env, stdout=-1, stderr=-1)
    try:
        assert hook.arrived.wait(120), "the notification reached the receiver"
        process.send_signal(signal.SIGKILL)  # the receiver has it; the sender never hears back
        process.wait(30)
    finally:
        hook.hold.set()
    hook.hold = None
    restarted = drifthound("check", "-c", str(config), env=env)
    assert restarted.returncode == 0, restarted.stderr
    assert "already evaluated (ok)" in restarted.stdout, "the window is not evaluated twice"
    assert "notifications: all delivered" in restarted.stdout
    assert len(hook.requests) == 2, "at least once: sent again after the crash"
    assert len(set(hook.delivery_ids)) == 1, "under the same delivery id, so the receiver drops the duplicate"
    status = drifthound("status", "-c", str(config), env=env)
    assert "notifications: 0 queued, 1 delivered, 0 dead" in status.stdout


def test_alerts_test_sends_through_one_channel(tmp_path, demo_data, httpserver):
    hook = Receiver(httpserver, "/hook", secret=SECRET)
    slack = Receiver(httpserver, "/slack")
    config = alert_config(tmp_path, demo_data, hook.url, slack.url)
    env = {"HOOK_SECRET": SECRET}
    ok = drifthound("alerts", "test", "--channel", "hook", "-c", str(config), env=env)
    assert ok.returncode == 0 and 'channel "hook" (webhook): delivered' in ok.stdout
    assert hook.bodies[0]["test"] is True and hook.bad_signatures == 0
    slack.answer(SLACK_ANSWERS["channel_is_archived"])
    refused = drifthound("alerts", "test", "--channel", "slack", "-c", str(config), env=env)
    assert refused.returncode == 1 and "refused" in refused.stdout and "channel_is_archived" in refused.stdout
    assert slack.bodies[0]["text"].startswith("[TEST] FIRING")
    logged = drifthound("alerts", "test", "--channel", "log", "-c", str(config), env=env)
    assert logged.returncode == 0 and len(log_notifications(logged.stderr)) == 1
    unknown = drifthound("alerts", "test", "--channel", "pager", "-c", str(config), env=env)
    assert unknown.returncode == 2 and 'no channel named "pager"' in unknown.stderr


def test_silence_and_unsilence(tmp_path, demo_data, httpserver):
    hook = Receiver(httpserver, "/hook", secret=SECRET)
    config = alert_config(tmp_path, demo_data, hook.url)
    config.write_text(config.read_text().replace("for_runs = 2", "for_runs = 1"))
    env = {"HOOK_SECRET": SECRET}
    silenced = drifthound(
        "alerts", "silence", "-m", "credit-scoring", "--for", "2h", "--reason", "retraining", "-c", str(config), env=env
    )
    assert silenced.returncode == 0 and 'silenced every rule of monitor "credit-scoring" until' in silenced.stdout
    checked = drifthound("check", "-c", str(config), env=env)
    assert checked.returncode == 0 and hook.requests == [] and log_notifications(checked.stderr) == []
    status = drifthound("status", "-c", str(config), env=env).stdout
    assert "FIRING   credit-scoring: dataset drift (critical): drift.share" in status
    assert "SILENCED credit-scoring: every rule until" in status and "retraining" in status
    ended = drifthound("alerts", "unsilence", "-m", "credit-scoring", "-c", str(config), env=env)
    assert ended.returncode == 0 and "ended 1 silence" in ended.stdout
    bad = drifthound(
        "alerts",
        "silence",
        "-m",
        "credit-scoring",
        "--rule",
        "nope",
        "--for",
        "1h",
        "--reason",
        "x",
        "-c",
        str(config),
        env=env,
    )
    assert bad.returncode == 2 and 'has no rule named "nope"' in bad.stderr
