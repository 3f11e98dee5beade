"""A run's figures -> alert states -> notifications in the outbox, inside the run's own transaction.

Either the run's results, the alert states and the queued notifications are all
committed, or none of them: a crash can neither lose a transition nor send one twice.
States are derived from the stored history in window order (see lifecycle.replay),
and a notification goes out when the state differs from what a channel was told
(see notify.message_plan); it then lists every alert of the monitor firing for that
channel, each marked new, reminder or resolved.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from alerts import outbox, silences
from alerts.history import History, Key, alert_keys, histories, wanted_metrics
from alerts.lifecycle import AlertStatus, State, replay
from alerts.models import Alert, AlertChannel, AlertEvent, OutboxMessage
from alerts.notices import AlertNotice, Notification, TopColumn, ordered
from alerts.notify import AlertView, Reason, Told, plan_messages
from alerts.rules import FAILED_RUNS_RULE, Figures, Rule
from monitor.config.schema import AlertingConfig, MonitorConfig
from monitor.explain.drop import account, explanation
from monitor.figures import MetricRow, column_figures, drifted_columns, multivariate_columns, segment_mapping
from monitor.metric_names import QUALITY_METRICS, reference_names
from monitor.store.history import run_metrics
from monitor.store.models import MetricValue, Run
from monitor.times import iso

_LOCK_SPACE = 0x4448  # "DH": advisory locks of DriftHound's alert evaluation

# How many past runs a state is replayed over: far more than any for_runs or resolve_after.
HISTORY_RUNS = 200


def rules_for(monitor: MonitorConfig, alerting: AlertingConfig, channels: Iterable[str]) -> list[Rule]:
    rules = [
        Rule(
            name=r.name,
            metric=r.metric,
            column=r.column,
            above=r.above,
            below=r.below,
            outside_reference=r.outside_reference,
            for_runs=r.for_runs,
            resolve_after=r.resolve_after,
            severity=r.severity,
            channels=r.channels,
            segment=r.segment,
            runbook_url=r.runbook_url,
        )
        for r in monitor.rules
    ]
    if alerting.failed_runs_after > 0:
        targets = alerting.failed_runs_channels
        if targets is None:
            targets = tuple(dict.fromkeys(c for r in monitor.rules for c in r.channels)) or tuple(channels)
        rules.append(
            Rule(
                name=FAILED_RUNS_RULE,
                metric="monitor.failed_runs",
                above=alerting.failed_runs_after - 0.5,
                severity=alerting.failed_runs_severity,
                channels=tuple(targets),
            )
        )
    return rules


@dataclass(frozen=True)
class RunFacts:
    """What the pipeline needs to know about the run, as plain values."""

    monitor: str
    window_start: datetime
    window_end: datetime
    figures: Figures
    top_columns: tuple[TopColumn, ...] = ()
    report_url: str | None = None
    reports_base_url: str | None = None  # e.g. "http://drifthound:9308/reports/"
    # For alerts on a multivariate figure: the columns that contribute most to the change (score = share).
    multivariate_columns: tuple[TopColumn, ...] = ()
    # Every figure by (metric, column, segment); empty: `figures` are all there is (the whole window's).
    segment_figures: Mapping[tuple[str, str, str], float | None] = field(default_factory=dict)

    def by_segment(self) -> Mapping[tuple[str, str, str], float | None]:
        if self.segment_figures:
            return self.segment_figures
        return {(metric, column, ""): value for (metric, column), value in self.figures.items()}


def process_run(
    session: Session,
    *,
    rules: Sequence[Rule],
    run: RunFacts,
    alerting: AlertingConfig,
    now: datetime,
    notify: bool = True,
) -> list[OutboxMessage]:
    """Re-derives the states this run's figures can change; queues one message per channel. Needs the run's
    figures already flushed to the session."""
    lock_monitor(session, run.monitor)
    existing = {
        (a.rule, a.column_name, a.segment): a
        for a in session.scalars(select(Alert).where(Alert.monitor == run.monitor).with_for_update())
    }
    figures = run.by_segment()
    for rule in rules:
        keys = alert_keys(rule, figures)
        if not keys:
            continue
        by_key = _histories(session, run.monitor, rule, keys)
        for column, segment in keys:
            history = by_key.get((column, segment), [])
            if not history:
                continue
            row = existing.get((rule.name, column, segment))
            if row is None:
                row = _new_alert(session, run.monitor, rule, column, segment, now)
                existing[(rule.name, column, segment)] = row
            status = replay(rule, [(start, value, baseline) for start, _, value, baseline in history])
            newest_baseline = history[-1][3]
            _store_state(session, row, rule, status, history[-1][1], now, rule.bound(status.value, newest_baseline))
    if not notify:
        return []
    return _notify(
        session,
        monitor=run.monitor,
        alerts=list(existing.values()),
        rules=rules,
        alerting=alerting,
        now=now,
        context=lambda: _newest_context(session, run),
    )


def notify_unsent(
    session: Session,
    *,
    monitor: str,
    rules: Sequence[Rule],
    alerting: AlertingConfig,
    now: datetime,
    reports_base_url: str | None = None,
) -> list[OutboxMessage]:
    """Tells receivers what the stored alert states owe them, whatever run set them.

    A catch-up (or a pass of late labels) lets only its first and last run notify, so a burst of windows
    sends one message, not a storm. When its last run has no figures (the log has stopped, the run was
    skipped), nothing would ever tell of an alert a middle run fired: this is called after such a burst, and
    queues the first notifications, resolves and repeats that are due, as one message per channel.
    """
    newest = session.scalars(
        select(Run).where(Run.monitor == monitor, Run.status == "ok").order_by(Run.window_end.desc()).limit(1)
    ).first()
    if newest is None:
        return []
    lock_monitor(session, monitor)
    alerts = list(session.scalars(select(Alert).where(Alert.monitor == monitor).with_for_update()))
    facts = RunFacts(monitor, newest.window_start, newest.window_end, {}, reports_base_url=reports_base_url)
    return _notify(
        session,
        monitor=monitor,
        alerts=alerts,
        rules=rules,
        alerting=alerting,
        now=now,
        context=lambda: _context_of(session, newest, facts),
    )


def _notify(
    session: Session,
    *,
    monitor: str,
    alerts: Sequence[Alert],
    rules: Sequence[Rule],
    alerting: AlertingConfig,
    now: datetime,
    context: Callable[[], RunFacts],
) -> list[OutboxMessage]:
    """Queues, per channel with something due, one message listing every alert of the monitor firing for it
    (see notify.message_plan), and records what each channel was told."""
    by_name = {rule.name: rule for rule in rules}
    ruled = [(row, by_name[row.rule]) for row in alerts if row.rule in by_name]
    told = _told_rows(session, ruled)
    active_silences = silences.active(session, now=now, monitor=monitor)
    views = [
        AlertView(
            key=row.id,
            state=State(row.state),
            channels=rule.channels,
            told={channel: Told(t.notified_firing, t.last_notified_at) for channel, t in told[row.id].items()},
            silenced=silences.is_silenced(active_silences, monitor=monitor, rule=rule.name, now=now),
        )
        for row, rule in ruled
    ]
    plan, told_now = plan_messages(views, repeat_interval=alerting.repeat_interval, now=now)
    if not plan:
        return []
    facts = context()
    by_id = {row.id: (row, rule) for row, rule in ruled}
    references = _references(session, monitor, [by_id[key] for key in {k for listed in plan.values() for k in listed}])
    notices: dict[str, list[AlertNotice]] = {}
    for channel, listed in plan.items():
        notices[channel] = [_notice(*by_id[key], reason, facts, references.get(key)) for key, reason in listed.items()]
        for key in listed:
            _remember(session, told[key], by_id[key][0], channel, told_now[key][channel])
    for row, _ in ruled:
        if told[row.id]:
            row.notified_firing = any(t.notified_firing for t in told[row.id].values())
            row.last_notified_at = max(
                (t.last_notified_at for t in told[row.id].values() if t.last_notified_at), default=None
            )
    return _queue(session, notices, facts, alerting, now)


def _references(
    session: Session, monitor: str, listed: Sequence[tuple[Alert, Rule]]
) -> dict[int, tuple[float, float, float]]:
    """(mean, std, k) of the reference range each `outside_reference` alert was last judged against, read from
    the figures of its newest window, so a reminder shows the usual range as the first notice did."""
    wanted = [(row, rule) for row, rule in listed if rule.outside_reference is not None and row.last_window_end]
    if not wanted:
        return {}
    names = {name for _, rule in wanted for name in reference_names(rule.metric)}
    rows = session.execute(
        select(
            MetricValue.metric, MetricValue.column_name, MetricValue.segment, MetricValue.window_end, MetricValue.value
        ).where(
            MetricValue.monitor == monitor,
            MetricValue.metric.in_(sorted(names)),
            MetricValue.window_end.in_(sorted({row.last_window_end for row, _ in wanted})),
        )
    ).all()
    stored = {(metric, column, segment, end): value for metric, column, segment, end, value in rows}
    references = {}
    for row, rule in wanted:
        mean_name, std_name = reference_names(rule.metric)
        mean = stored.get((mean_name, row.column_name, row.segment, row.last_window_end))
        std = stored.get((std_name, row.column_name, row.segment, row.last_window_end))
        if mean is not None and std is not None and rule.outside_reference is not None:
            references[row.id] = (mean, std, rule.outside_reference)
    return references


def _told_rows(session: Session, ruled: Sequence[tuple[Alert, Rule]]) -> dict[int, dict[str, AlertChannel]]:
    """What each channel was told, by alert and channel.

    An alert told before the store kept this per channel has none: every channel of its rule counts as told
    what the alert row says, and gets its row now, so a channel added from here on is the only one told anew.
    """
    ids = [row.id for row, _ in ruled]
    told: dict[int, dict[str, AlertChannel]] = {alert_id: {} for alert_id in ids}
    if not ids:
        return told
    for record in session.scalars(select(AlertChannel).where(AlertChannel.alert_id.in_(ids)).with_for_update()):
        told[record.alert_id][record.channel] = record
    for row, rule in ruled:
        if row.notified_firing and not told[row.id]:
            for channel in rule.channels:
                record = AlertChannel(
                    alert_id=row.id, channel=channel, notified_firing=True, last_notified_at=row.last_notified_at
                )
                session.add(record)
                told[row.id][channel] = record
    return told


def _remember(session: Session, told: dict[str, AlertChannel], row: Alert, channel: str, after: Told) -> None:
    record = told.get(channel)
    if record is None:
        record = AlertChannel(alert_id=row.id, channel=channel, notified_firing=False, last_notified_at=None)
        session.add(record)
        told[channel] = record
    record.notified_firing, record.last_notified_at = after.notified_firing, after.last_notified_at


def _notice(
    row: Alert, rule: Rule, reason: Reason, facts: RunFacts, reference: tuple[float, float, float] | None
) -> AlertNotice:
    return AlertNotice(
        rule=rule.name,
        severity=rule.severity,
        metric=rule.metric,
        column=row.column_name or None,
        segment=row.segment or None,
        value=row.value,
        threshold=row.threshold,
        op=row.op,
        reference=reference,
        status="resolved" if reason == Reason.RESOLVED else "firing",
        reason=reason.value,
        since=iso(row.since) if row.since else None,
        window_end=iso(row.last_window_end or facts.window_end),
        runbook_url=rule.runbook_url,
        impact=facts.figures.get(("drift.impact", row.column_name)) if row.column_name and not row.segment else None,
    )


def _queue(
    session: Session,
    notices: dict[str, list[AlertNotice]],
    context: RunFacts,
    alerting: AlertingConfig,
    now: datetime,
) -> list[OutboxMessage]:
    queued = []
    for channel, items in notices.items():
        notification = Notification(
            monitor=context.monitor,
            window_start=iso(context.window_start),
            window_end=iso(context.window_end),
            alerts=ordered(
                [
                    replace(item, top_columns=_where_to_look(item, context), explanation=_explained(item, context))
                    for item in items
                ]
            ),
            report_url=context.report_url,
        )
        queued.append(
            outbox.enqueue(
                session, channel=channel, notification=notification, now=now, give_up_after=alerting.give_up_after
            )
        )
    return queued


def _where_to_look(notice: AlertNotice, context: RunFacts) -> tuple[TopColumn, ...]:
    if notice.metric.startswith("multivariate.") and context.multivariate_columns:
        return context.multivariate_columns
    return context.top_columns


def _explained(notice: AlertNotice, context: RunFacts) -> str | None:
    """What accounts for a firing quality alert's drop, in one line (explain/drop.py); None for other alerts, a
    segment's own alert, or when nothing stands out."""
    if notice.status != "firing" or notice.metric not in QUALITY_METRICS or notice.segment:
        return None
    threshold = None if notice.op == "outside_reference" else notice.threshold
    found = account(context.by_segment(), notice.metric, threshold)
    return explanation(found) if found is not None else None


def lock_monitor(session: Session, monitor: str) -> None:
    """One alert evaluation per monitor at a time, across every replica sharing the store.

    Two replicas finishing two windows of one monitor at once would each replay a history
    missing the other's window, and race to create the same alert rows. PostgreSQL: an
    advisory lock held until the transaction ends. SQLite: its write lock already does it.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(monitor.encode()) - 2**31  # the two-int form takes signed 32-bit keys
        session.execute(text("SELECT pg_advisory_xact_lock(:space, :key)"), {"space": _LOCK_SPACE, "key": key})


def _newest_context(session: Session, run: RunFacts) -> RunFacts:
    """What a message shows: the newest evaluated window, which is not this run's after a catch-up."""
    newest = session.scalars(
        select(Run).where(Run.monitor == run.monitor, Run.status == "ok").order_by(Run.window_end.desc()).limit(1)
    ).first()
    if newest is None or newest.window_end <= run.window_end:
        return run
    return _context_of(session, newest, run)


def _context_of(session: Session, newest: Run, run: RunFacts) -> RunFacts:
    """`run`'s facts, told from the stored run `newest`: its window, what drifted, its report."""
    rows = run_metrics(session, newest.id)
    top, where = columns_to_look_at(rows)
    url = f"{run.reports_base_url}{newest.report_path}" if run.reports_base_url and newest.report_path else None
    return replace(
        run,
        window_start=newest.window_start,
        window_end=newest.window_end,
        top_columns=top,
        multivariate_columns=where,
        report_url=url,
        segment_figures=segment_mapping(rows),
    )


def columns_to_look_at(rows: Sequence[MetricRow]) -> tuple[tuple[TopColumn, ...], tuple[TopColumn, ...]]:
    """A run's drifted columns, most telling first (by impact on the model when the run has it), and the
    columns carrying a multivariate change: what notifications name."""
    impacts = column_figures(rows).get("drift.impact", {})
    top = tuple(TopColumn(c, score, method, impacts.get(c)) for c, score, method in drifted_columns(rows))
    where = tuple(TopColumn(c, share, method) for c, share, method in multivariate_columns(rows))
    return top, where


def _histories(session: Session, monitor: str, rule: Rule, keys: list[Key]) -> dict[Key, History]:
    """(window_start, window_end, value, reference range) per alert key over the last HISTORY_RUNS runs, oldest
    first. The reference range is read only for rules relative to it."""
    names = wanted_metrics(rule)
    columns = sorted({column for column, _ in keys})
    segments = sorted({segment for _, segment in keys})
    rows = session.execute(
        stored_figures(monitor, names)
        .where(MetricValue.column_name.in_(columns), MetricValue.segment.in_(segments))
        .order_by(MetricValue.window_end.desc())
        .limit(HISTORY_RUNS * len(columns) * len(segments) * len(names))
    ).all()
    return histories(rule, [tuple(row) for row in rows], keys)


def stored_figures(monitor: str, metrics: Sequence[str]) -> Select[tuple[str, str, datetime, datetime, str, float]]:
    """A monitor's stored rows of `metrics` as histories are built from them (alerts.history.StoredFigure)."""
    return (
        select(
            MetricValue.column_name,
            MetricValue.segment,
            Run.window_start,
            MetricValue.window_end,
            MetricValue.metric,
            MetricValue.value,
        )
        .join(Run, Run.id == MetricValue.run_id)
        .where(MetricValue.monitor == monitor, MetricValue.metric.in_(metrics))
    )


def _new_alert(session: Session, monitor: str, rule: Rule, column: str, segment: str, now: datetime) -> Alert:
    row = Alert(
        monitor=monitor,
        rule=rule.name,
        column_name=column,
        segment=segment,
        state=State.INACTIVE.value,
        severity=rule.severity,
        metric=rule.metric,
        op=rule.op,
        threshold=rule.threshold,
        breaches=0,
        clears=0,
        notified_firing=False,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _store_state(
    session: Session,
    row: Alert,
    rule: Rule,
    status: AlertStatus,
    newest_window: datetime,
    now: datetime,
    threshold: float | None,
) -> None:
    if row.state != status.state.value:
        session.add(
            AlertEvent(
                alert_id=row.id,
                at=now,
                window_end=newest_window,
                from_state=row.state,
                to_state=status.state.value,
                value=status.value,
            )
        )
        if status.state == State.RESOLVED:
            row.resolved_at = now
    row.state, row.breaches, row.clears = status.state.value, status.breaches, status.clears
    row.since, row.value, row.last_window_end, row.updated_at = status.since, status.value, newest_window, now
    row.severity, row.metric, row.op, row.threshold = rule.severity, rule.metric, rule.op, threshold
