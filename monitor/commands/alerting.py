"""`drifthound alerts test|silence|unsilence`."""

from __future__ import annotations

import sys
from typing import TextIO

from alerts import silences
from alerts.channels import build_channels
from alerts.notices import AlertNotice, Notification
from alerts.rules import FAILED_RUNS_RULE
from monitor.commands.context import load, monitor_argument, open_context
from monitor.errors import UsageError
from monitor.redaction import redact
from monitor.times import iso, parse_duration, utc_now


def test_channel(config_file: str | None, channel: str, *, out: TextIO = sys.stdout) -> int:
    """One real message through one channel, outside the outbox: the answer is shown as it came."""
    config, _ = load(config_file)
    if channel not in config.channels:
        known = ", ".join(config.channels) or "none"
        raise UsageError(f'no channel named "{channel}" (configured: {known})')
    now = utc_now()
    notification = Notification(
        monitor="drifthound-test",
        window_start=iso(now),
        window_end=iso(now),
        test=True,
        report_url=f"{config.service.base_url}/reports/",
        alerts=(
            AlertNotice(
                rule="test notification",
                severity="info",
                metric="drift.share",
                column=None,
                value=0.0,
                threshold=0.0,
                op="above",
                status="firing",
                reason="first_notification",
                since=iso(now),
                window_end=iso(now),
            ),
        ),
    )
    sender = build_channels({channel: config.channels[channel]})[channel]
    delivery_id = f"test-{now.strftime('%Y%m%dT%H%M%S')}"
    try:
        answer = sender.send(notification, delivery_id, now=now)
    finally:
        sender.close()
    verdict = {
        "delivered": "delivered",
        "retry": "not delivered (a retryable failure)",
        "permanent": "refused (the channel's configuration is wrong)",
    }[answer.kind]
    print(redact(f'channel "{channel}" ({sender.type}): {verdict}: {answer.detail}'), file=out)
    return 0 if answer.kind == "delivered" else 1


def silence(
    config_file: str | None, monitor: str, rule: str | None, duration: str, reason: str, *, out: TextIO = sys.stdout
) -> int:
    context = open_context(config_file)
    item = monitor_argument(context.config, monitor)
    _check_rule(item, rule)
    try:
        length = parse_duration(duration)
    except ValueError as error:
        raise UsageError(f"--for: {error}") from None
    if not reason.strip():
        raise UsageError('--reason: say why, e.g. --reason "retraining, drift expected"')
    now = utc_now()
    with context.store.transaction() as session:
        row = silences.silence(session, monitor=item.name, rule=rule, until=now + length, reason=reason, now=now)
        ends = row.ends_at
    target = f'rule "{rule}" of ' if rule else "every rule of "
    print(f'silenced {target}monitor "{item.name}" until {iso(ends)}: {reason}', file=out)
    return 0


def unsilence(config_file: str | None, monitor: str, rule: str | None, *, out: TextIO = sys.stdout) -> int:
    context = open_context(config_file)
    item = monitor_argument(context.config, monitor)
    with context.store.transaction() as session:
        ended = silences.unsilence(session, monitor=item.name, rule=rule, now=utc_now())
    print(f'ended {ended} silence{"s" if ended != 1 else ""} of monitor "{item.name}"', file=out)
    return 0


def _check_rule(monitor, rule: str | None) -> None:
    if rule is None:
        return
    names = [r.name for r in monitor.rules] + [FAILED_RUNS_RULE]
    if rule not in names:
        raise UsageError(f'monitor "{monitor.name}" has no rule named "{rule}" (rules: {", ".join(names)})')
