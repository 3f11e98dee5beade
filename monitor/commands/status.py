"""`drifthound status`: monitors, their last runs, what drifted."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import TextIO

from monitor.commands.context import open_context
from monitor.commands.summary import summary_lines
from monitor.store import history
from monitor.times import iso, utc_now


def status(config_file: str | None, *, out: TextIO = sys.stdout) -> int:
    context = open_context(config_file)
    now = utc_now()
    reports_dir = context.config.service.reports_dir
    with context.store.session() as session:
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
                f"{last.status}" + (f" ({last.reason})" if last.reason else ""),
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
    return 0


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
