"""`drifthound check` and `drifthound backfill`: evaluate windows now, in the foreground."""

from __future__ import annotations

import sys
from typing import TextIO

from monitor.commands.context import Context, monitor_argument, open_context, time_argument
from monitor.commands.summary import summary_lines
from monitor.errors import UsageError
from monitor.runner import Runner, RunResult
from monitor.times import utc_now
from monitor.windows import Schedule, backfill_windows, latest_complete_window, window_ending


def check(
    config_file: str | None,
    monitor: str | None,
    at: str | None,
    *,
    force: bool = False,
    verbose: bool = False,
    out: TextIO = sys.stdout,
) -> int:
    context = open_context(config_file, verbose=verbose)
    monitors = [monitor_argument(context.config, monitor)] if monitor else list(context.config.monitors)
    if not monitors:
        raise UsageError(f"{context.config_file}: no [[monitors]] configured")
    end = time_argument(at, "--at")
    runner = Runner(context.config, context.store)
    results = []
    for item in monitors:
        if end is not None:
            window = window_ending(end, item.window)
        else:
            window = latest_complete_window(Schedule(item.schedule, item.every), item.window, utc_now())
        result = runner.run(item, window, force=force)
        results.append(result)
        print_result(result, context.config.service.reports_dir, out)
    if end is None:
        results += label_passes(context, runner, monitors, out)
    deliver_queued(context, runner.owner, out)
    return 1 if any(result.status == "failed" for result in results) else 0


def label_passes(context: Context, runner: Runner, monitors, out: TextIO) -> list[RunResult]:
    """Windows evaluated before their labels were due get their model quality once the labels are due."""
    from monitor.store.runs import labels_due

    results = []
    for item in monitors:
        if item.labels is None:
            continue
        with context.store.session() as session:
            due = labels_due(session, monitor=item.name, now=utc_now())
        for window in due:
            result = runner.run(item, window, force=True)
            results.append(result)
            print(f"labels due: {result.describe()}", file=out)
    return results


# How long `check` waits for its notifications; what is left the daemon delivers.
DELIVERY_WAIT_SECONDS = 30.0


def deliver_queued(context: Context, owner: str, out: TextIO, wait: float = DELIVERY_WAIT_SECONDS) -> None:
    from alerts.channels import build_channels
    from alerts.delivery import Deliverer

    deliverer = Deliverer(
        context.store, build_channels(context.config.channels, context.config.alerting.repeat_interval), owner=owner
    )
    try:
        if deliverer.pending() == 0:
            return
        remaining = deliverer.drain(wait)
    finally:
        deliverer.close()
    if remaining:
        print(
            f"notifications: {remaining} still queued (retrying with backoff; `drifthound run` delivers them, "
            "`drifthound status` shows them)",
            file=out,
        )
    else:
        print("notifications: all delivered", file=out)


def backfill(
    config_file: str | None,
    monitor: str,
    start: str,
    end: str,
    *,
    force: bool = False,
    notify: bool = True,
    verbose: bool = False,
    out: TextIO = sys.stdout,
    progress: TextIO = sys.stderr,
) -> int:
    context = open_context(config_file, verbose=verbose)
    item = monitor_argument(context.config, monitor)
    begin, finish = time_argument(start, "--start"), time_argument(end, "--end")
    try:
        windows = backfill_windows(begin, finish, item.window)
    except ValueError as error:
        raise UsageError(f"--start/--end: {error}") from None
    if not windows:
        raise UsageError(f"no whole window of {item.window} fits between --start and --end")
    runner = Runner(context.config, context.store)
    bar = _Progress(len(windows), progress)
    counts: dict[str, int] = {}
    for window in windows:
        result = runner.run(item, window, force=force, notify=notify)
        counts[result.status] = counts.get(result.status, 0) + 1
        if bar.interactive:
            bar.advance(result)
        else:
            print(result.describe(), file=out, flush=True)
    bar.close()
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    print(f"{item.name}: {len(windows)} windows: {summary}", file=out)
    if notify:
        deliver_queued(context, runner.owner, out)
    return 1 if counts.get("failed") else 0


def print_result(result: RunResult, reports_dir, out: TextIO) -> None:
    print(result.describe(), file=out)
    if result.status == "ok":
        for line in summary_lines(result.metrics):
            print(f"  {line}", file=out)
        if result.report_path:
            print(f"  report: {reports_dir / result.report_path}", file=out)
    out.flush()


class _Progress:
    """A one-line progress bar on a terminal; nothing otherwise (plain lines are printed instead)."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.failed = 0
        self.interactive = bool(getattr(stream, "isatty", lambda: False)())

    def advance(self, result: RunResult) -> None:
        self.done += 1
        self.failed += result.status == "failed"
        width = 30
        filled = int(width * self.done / self.total)
        failed = f", {self.failed} failed" if self.failed else ""
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} windows{failed} ")
        self.stream.flush()

    def close(self) -> None:
        if self.interactive:
            self.stream.write("\n")
            self.stream.flush()
