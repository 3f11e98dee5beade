"""`drifthound rules test`: the config file's rules replayed on the stored figures; reads, never writes."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy import make_url, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from alerts.history import StoredFigure, wanted_metrics
from alerts.lifecycle import State
from alerts.models import Silence
from alerts.notify import Reason
from alerts.pipeline import HISTORY_RUNS, rules_for, stored_figures
from alerts.rules import Rule
from alerts.trial import Change, Trial, try_rules
from monitor.commands.context import load, monitor_argument, since_argument
from monitor.config import Config
from monitor.config.schema import MonitorConfig
from monitor.errors import UsageError
from monitor.redaction import redact
from monitor.store import Store
from monitor.store.models import MetricValue, Run
from monitor.times import iso, utc_now

DEFAULT_SINCE = "30d"
# Runs whose figures went through the alert pipeline (a skipped run neither fires nor resolves).
EVALUATED = ("ok", "failed")


def rules_test(config_file: str | None, monitor: str | None, since: str | None, *, out: TextIO = sys.stdout) -> int:
    config, path = load(config_file)
    monitors = [monitor_argument(config, monitor)] if monitor else list(config.monitors)
    if not monitors:
        raise UsageError(f"{path}: no [[monitors]] configured")
    start = since_argument(since or DEFAULT_SINCE, "--since", now=utc_now())
    assert start is not None
    store = open_store(config)
    try:
        for number, item in enumerate(monitors):
            if number:
                print(file=out)
            print_replay(replay(config, store, item, start), out)
    finally:
        store.dispose()
    return 0


def open_store(config: Config) -> Store:
    """The store, for reading only: no ensure_schema (a replay never writes, not even a migration), and no
    SQLite file created where there is none."""
    url = make_url(config.service.store_url)
    database = url.database or ""
    on_disk = url.drivername.startswith("sqlite") and database not in ("", ":memory:")
    on_disk = on_disk and not database.startswith("file:")
    if on_disk and not Path(database).exists():
        raise UsageError(f"{_no_results(config)} (no file {database})")
    return Store(config.service.store_url)


@dataclass(frozen=True)
class Replay:
    monitor: str
    rules: list[Rule]
    start: datetime
    windows: list[datetime]  # the ends of the evaluated windows after `start`, oldest first
    trial: Trial
    repeat_interval: timedelta
    silences: list[Silence]


def replay(config: Config, store: Store, item: MonitorConfig, start: datetime) -> Replay:
    """The monitor's stored figures through `config`'s rules for it, reported from `start` on."""
    rules = rules_for(item, config.alerting, config.channels)
    # The state at `start` depends on the windows before it, as far back as the daemon's own replay looks.
    horizon = start - HISTORY_RUNS * item.window
    metrics = sorted({name for rule in rules for name in wanted_metrics(rule)})
    try:
        with store.reading() as session:
            runs = session.execute(
                select(Run.window_end, Run.status).where(Run.monitor == item.name, Run.window_end > horizon)
            ).all()
            rows: list[StoredFigure] = [
                tuple(row)  # type: ignore[misc]
                for row in session.execute(stored_figures(item.name, metrics).where(MetricValue.window_end > horizon))
            ]
            stored_silences = list(
                session.scalars(
                    select(Silence).where(Silence.monitor == item.name, Silence.ends_at > start).order_by(Silence.id)
                )
            )
    except (OperationalError, ProgrammingError) as error:
        if "no such table" in str(error) or "does not exist" in str(error):
            raise UsageError(_no_results(config)) from None
        raise
    evaluated = sorted(end for end, status in runs if status in EVALUATED)
    repeat = config.alerting.repeat_interval
    trial = try_rules(rules, rows, evaluated, repeat_interval=repeat, since=start)
    shown = [end for end in evaluated if end > start]
    return Replay(item.name, rules, start, shown, trial, repeat, stored_silences)


def _no_results(config: Config) -> str:
    return (
        f"the store {redact(config.service.store_url)} holds no DriftHound results yet "
        "([service] store_url); run `drifthound backfill` or the daemon first"
    )


def print_replay(result: Replay, out: TextIO) -> None:
    if not result.windows:
        print(f"{result.monitor}: no evaluated window since {iso(result.start)}; nothing to replay", file=out)
        return
    print(
        f"{result.monitor}: {len(result.windows)} windows ending {iso(result.windows[0])} .. "
        f"{iso(result.windows[-1])}, each as if evaluated when it closed "
        f"(repeat_interval {_duration(result.repeat_interval)})",
        file=out,
    )
    for rule in result.rules:
        print(file=out)
        _print_rule(rule, result.trial, out)
    print(file=out)
    print(f"messages: {_messages(result.trial)}", file=out)
    for row in result.silences:
        ended = min(row.ends_at, row.cancelled_at) if row.cancelled_at else row.ends_at
        target = f'rule "{row.rule}"' if row.rule else "every rule"
        print(
            f"silence of {target} from {iso(row.created_at)} to {iso(ended)} ({row.reason}): not applied above; "
            "the daemon would have told nothing of it meanwhile",
            file=out,
        )


def _print_rule(rule: Rule, trial: Trial, out: TextIO) -> None:
    print(f'rule "{rule.name}": {describe(rule)}', file=out)
    changes = [c for c in trial.changes if c.rule == rule.name]
    keys = list(dict.fromkeys((c.column, c.segment) for c in changes if c.after in (State.FIRING, State.RESOLVED)))
    if not keys:
        print("  would not have fired", file=out)
        return
    for column, segment in keys:
        mine = [c for c in changes if (c.column, c.segment) == (column, segment)]
        notices = trial.notices.get((rule.name, column, segment), Counter())
        print(f"  {_key(column, segment)}: {'; '.join(_episodes(mine))}", file=out)
        print(
            f"    notifications: {notices[Reason.FIRST]} first, {_count(notices[Reason.REPEAT], 'reminder')}, "
            f"{notices[Reason.RESOLVED]} resolved",
            file=out,
        )


def _episodes(changes: list[Change]) -> list[str]:
    """'fired T (breaching since S, value V), resolved T' per streak that fired."""
    episodes: list[str] = []
    open_episode = False
    for change in changes:
        if change.after == State.FIRING:
            since = iso(change.since) if change.since else "?"
            episodes.append(f"fired {iso(change.window_end)} (breaching since {since}, {_value(change.value)})")
            open_episode = True
        elif change.after == State.RESOLVED:
            resolved = f"resolved {iso(change.window_end)}"
            if open_episode:
                episodes[-1] += f", {resolved}"
            else:
                episodes.append(f"firing before the span, {resolved}")
            open_episode = False
    if open_episode:
        episodes[-1] += ", still firing"
    return episodes


def describe(rule: Rule) -> str:
    if rule.outside_reference is not None:
        test = f"outside reference mean +/- {rule.outside_reference:g} std"
    elif rule.above is not None and rule.below is not None:
        test = f"above {rule.above:g} or below {rule.below:g}"
    elif rule.above is not None:
        test = f"above {rule.above:g}"
    else:
        test = f"below {rule.below:g}"
    where = f" of {'every column' if rule.column == '*' else rule.column}" if rule.column else ""
    segment = f", {'every segment' if rule.segment == '*' else rule.segment}" if rule.segment else ""
    return (
        f"{rule.metric}{where}{segment} {test}, for {rule.for_runs} run{'s' if rule.for_runs != 1 else ''}, "
        f"resolved after {rule.resolve_after}; to {', '.join(rule.channels) or 'no channel'}"
    )


def _key(column: str, segment: str) -> str:
    parts = [f"column {column}" if column else "", f"segment {segment}" if segment else ""]
    return ", ".join(p for p in parts if p) or "dataset"


def _value(value: float | None) -> str:
    return "no value" if value is None else f"value {value:.4g}"


def _messages(trial: Trial) -> str:
    if not trial.messages:
        return "none"
    return ", ".join(f"{count} to {channel}" for channel, count in sorted(trial.messages.items()))


def _duration(delta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
