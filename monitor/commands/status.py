"""`drifthound status`: monitors, their last runs, what drifted."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TextIO

from monitor.commands.context import open_context
from monitor.commands.summary import summary_lines
from monitor.redaction import redact
from monitor.store import history
from monitor.store.dropped import dropped_in
from monitor.times import iso, utc_now


def status(config_file: str | None, *, out: TextIO = sys.stdout) -> int:
    context = open_context(config_file)
    now = utc_now()
    reports_dir = context.config.service.reports_dir
    with context.store.reading() as session:
        for monitor in context.config.monitors:
            runs = history.recent_runs(session, monitor.name, limit=1)
            counts = history.status_counts(session, monitor.name, now - timedelta(days=1))
            shown = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"
            print(f"{monitor.name}  (every {_period(monitor)}, window {_duration(monitor.window)})", file=out)
            if not runs:
                print("  no runs yet: `drifthound check` evaluates the latest window now", file=out)
                continue
            last = runs[0]
            print(
                f"  last run: window ending {iso(last.window_end)} ({_ago(now - last.window_end)}): "
                f"{last.status}" + (f" ({redact(last.reason)})" if last.reason else ""),
                file=out,
            )
            ok = last if last.status == "ok" else history.last_run_with_status(session, monitor.name, "ok")
            if ok is not None:
                if ok is not last:
                    print(f"  last ok run: window ending {iso(ok.window_end)} ({_ago(now - ok.window_end)})", file=out)
                for line in summary_lines(history.run_metrics(session, ok.id)):
                    print(f"  {line}", file=out)
                if ok.report_path:
                    print(f"  report: {reports_dir / ok.report_path}", file=out)
            print(f"  runs in the last 24h: {shown}", file=out)
            for line in _dropped_lines(session, monitor.name, now):
                print(line, file=out)
        _alert_lines(session, [monitor.name for monitor in context.config.monitors], now, out)
        _delivery_lines(session, now, out)
    return 0


def _dropped_lines(session, monitor: str, now) -> list[str]:
    count, newest = dropped_in(session, monitor, since=now - timedelta(days=1))
    if not count:
        return []
    return [
        f"  windows dropped in the last 24h: {count}, newest ending {iso(newest)} (aged past catch_up unevaluated: "
        "the workers do not keep up; `drifthound config check` estimates the load)"
    ]


def _alert_lines(session, monitors: list[str], now, out: TextIO) -> None:
    """Firing and pending alerts of every monitor in one list, most severe first, then silences."""
    from sqlalchemy import select

    from alerts import silences
    from alerts.models import Alert

    alerts = session.scalars(
        select(Alert).where(Alert.monitor.in_(monitors), Alert.state.in_(("firing", "pending")))
    ).all()
    active = [item for monitor in monitors for item in silences.active(session, now=now, monitor=monitor)]
    if not alerts and not active:
        return
    print("alerts, most severe first:", file=out)
    for alert in most_severe_first(alerts):
        column = f" [{alert.column_name}]" if alert.column_name else ""
        column += f" in {alert.segment}" if alert.segment else ""
        since = f" since {iso(alert.since)}" if alert.since else ""
        print(
            f"  {alert.state.upper():8} {alert.monitor}: {alert.rule}{column} ({alert.severity}): {alert.metric} = "
            f"{_number(alert.value)} ({alert.op} {_number(alert.threshold)}){since}",
            file=out,
        )
    for item in active:
        target = f'rule "{item.rule}"' if item.rule else "every rule"
        by = f" (set by {item.created_by})" if item.created_by else ""
        print(f"  SILENCED {item.monitor}: {target} until {iso(item.ends_at)}{by}: {item.reason}", file=out)


def most_severe_first(alerts: Sequence[Any]) -> list[Any]:
    """Critical, warning, info; firing before pending; then by monitor, rule, column and segment."""
    from alerts.notices import SEVERITY_ORDER

    return sorted(
        alerts,
        key=lambda a: (
            SEVERITY_ORDER.get(a.severity, len(SEVERITY_ORDER)),
            a.state != "firing",
            a.monitor,
            a.rule,
            a.column_name or "",
            a.segment or "",
        ),
    )


def _delivery_lines(session, now, out: TextIO) -> None:
    """Answers are masked when stored; masked again here for rows an older version stored, before secrets
    such as a webhook URL's query were registered."""
    from alerts import health, outbox

    backlog = outbox.backlog(session)
    broken = health.broken_channels(session)
    if not (backlog.queued or backlog.dead or broken or backlog.delivered):
        return
    oldest = f", oldest queued {_ago(now - backlog.oldest_queued)}" if backlog.oldest_queued else ""
    print(
        f"notifications: {backlog.queued} queued{oldest}, {backlog.delivered} delivered, {backlog.dead} dead", file=out
    )
    for message in outbox.recent_dead(session):
        error = redact(message.last_error or "")
        print(f"  DEAD     {message.channel} ({message.monitor}, {message.delivery_id}): {error}", file=out)
    for channel in broken:
        reason = redact(channel.reason or "")
        print(f"  BROKEN   channel {channel.channel} since {iso(channel.broken_since)}: {reason}", file=out)


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def _period(monitor) -> str:
    return monitor.schedule if monitor.schedule else _duration(monitor.every)


def _duration(delta: timedelta) -> str:
    from monitor.times import format_duration

    return format_duration(delta)


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "in the future"
    if seconds < 120:
        return f"{seconds}s ago"
    if seconds < 7200:
        return f"{seconds // 60}m ago"
    if seconds < 172800:
        return f"{seconds // 3600}h ago"
    return f"{seconds // 86400}d ago"
