"""One run of one monitor on one window: claim -> read -> evaluate -> report -> store.

Whatever goes wrong inside a run ends that run as "failed" with a reason naming the
monitor, the window and what to do; it never escapes to stop other monitors.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

import structlog

from alerts.pipeline import RunFacts, columns_to_look_at, process_run, rules_for
from monitor import redaction
from monitor.config import Config, MonitorConfig
from monitor.errors import DriftHoundError
from monitor.evaluation.window import evaluate_window
from monitor.figures import MetricRow, as_mapping, segment_mapping
from monitor.sources.inputs import MonitorInputs
from monitor.sources.kept_references import ReferenceCache, cache_folder
from monitor.store import Store
from monitor.store.dropped import dropped_since_previous_run
from monitor.store.history import score_history
from monitor.store.owners import new_owner_id
from monitor.store.runs import (
    HEARTBEAT_EVERY,
    ClaimLost,
    RunOutcome,
    claim_window,
    consecutive_failures_before,
    finish_run,
    heartbeat,
)
from monitor.times import iso, utc_now
from monitor.windows import Window

log = structlog.get_logger("drifthound.run")


@dataclass
class RunResult:
    monitor: str
    window: Window
    status: str  # ok | skipped | failed | done-before | busy
    reason: str | None = None
    run_id: int | None = None
    report_path: str | None = None
    duration_seconds: float = 0.0
    metrics: list[MetricRow] = field(default_factory=list)
    notifications: int = 0  # outbox rows this run queued or folded into
    recorded: bool = True  # False: the store was away, the run is still claimed (see Daemon._fail_unfinished)

    def describe(self) -> str:
        where = f"{self.monitor} [{iso(self.window.start)} .. {iso(self.window.end)})"
        return f"{where}: {self.status}" + (f" ({self.reason})" if self.reason else "")


def how_it_went(status: str | None, reason: str | None) -> str:
    """What `check` says of a window evaluated before: "ok", or "skipped: <why>" / "failed: <why>"."""
    if status in ("failed", "skipped") and reason:
        return f"{status}: {redaction.redact(reason)}"
    return str(status)


# How much reference data a process keeps between runs: cells (rows x columns) of the references as read, of
# the most recently run monitors. Fifty monitors' 100,000-row references of about 20 columns (1e8 cells) took
# 3.4 GB held at once (bench/README.md): this keeps about 700 MB's worth, ten such monitors, or a hundred of
# 5,000-row references. A monitor not kept has its reference read and fitted again at its next run (0.25 s of
# CPU for a small one, 50 times a warm 150-row run's own work): with a count of monitors instead, a hundred
# small monitors were all refitted at every run.
CACHED_REFERENCE_CELLS = 20_000_000


class Runner:
    """Runs windows of the configured monitors against one store."""

    def __init__(
        self, config: Config, store: Store, *, owner: str | None = None, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.config = config
        self.store = store
        self.owner = owner or new_owner_id()
        self.clock = clock
        self._inputs: OrderedDict[str, MonitorInputs] = OrderedDict()
        self._inputs_lock = threading.Lock()
        self.reference_cache = _reference_cache(config)

    def inputs(self, monitor: MonitorConfig) -> MonitorInputs:
        with self._inputs_lock:
            inputs = self._inputs.get(monitor.name)
            if inputs is None or inputs.monitor != monitor:
                url = self.config.sources[monitor.source].url
                inputs = MonitorInputs(monitor, url, cache=self.reference_cache)
                self._inputs[monitor.name] = inputs
            self._inputs.move_to_end(monitor.name)
            # Each holds its monitor's reference in memory: keep the most recently used that fit the budget.
            held = sum(kept.reference_cells() for kept in self._inputs.values())
            while held > CACHED_REFERENCE_CELLS and len(self._inputs) > 1:
                _, dropped = self._inputs.popitem(last=False)
                held -= dropped.reference_cells()
            return inputs

    def _keep_reference(self, monitor: str) -> None:
        with self._inputs_lock:
            inputs = self._inputs.get(monitor)
        if inputs is not None:
            inputs.keep_reference()

    def forget_inputs(self, monitor: str) -> None:
        """After a failure the source may have changed (schema, types): look again next time."""
        with self._inputs_lock:
            self._inputs.pop(monitor, None)

    def run(self, monitor: MonitorConfig, window: Window, *, force: bool = False, notify: bool = True) -> RunResult:
        started = time.monotonic()
        with self.store.session() as session:
            claim = claim_window(
                session, monitor=monitor.name, window=window, owner=self.owner, now=self.clock(), force=force
            )
        if not claim.held:
            status = "busy" if claim.existing_status == "running" else "done-before"
            reason = (
                f"being evaluated by {claim.owner}"
                if status == "busy"
                else f"already evaluated ({how_it_went(claim.existing_status, claim.existing_reason)}); "
                "use --force to evaluate it again"
            )
            return RunResult(monitor.name, window, status, reason)
        assert claim.run_id is not None
        if claim.replaced:
            log.info("run.retaken", monitor=monitor.name, window_end=iso(window.end), previous=claim.existing_status)
        with _Heartbeat(self.store, claim.run_id, self.owner, self.clock):
            result = self._evaluate(monitor, window, claim.run_id, started, notify)
        if result.status != "failed":  # recorded: now keep the fitted reference for the next process
            self._keep_reference(monitor.name)
        log.info(
            "run.finished",
            monitor=monitor.name,
            window_start=iso(window.start),
            window_end=iso(window.end),
            status=result.status,
            rows=_metric(result.metrics, "rows"),
            duration_s=round(result.duration_seconds, 3),
            reason=result.reason,
            report=result.report_path,
        )
        return result

    def _evaluate(self, monitor: MonitorConfig, window: Window, run_id: int, started: float, notify: bool) -> RunResult:
        try:
            outcome, metrics = evaluate_window(
                monitor,
                self.inputs(monitor),
                window,
                now=self.clock(),
                reports_dir=self.config.service.reports_dir,
                history=self._multivariate_history(monitor, window),
            )
        except DriftHoundError as error:
            self.forget_inputs(monitor.name)
            outcome, metrics = RunOutcome("failed", redaction.redact(str(error))), []
        except Exception as error:  # a bug or an unforeseen input: record it, keep the process
            self.forget_inputs(monitor.name)
            log.error(
                "run.crashed",
                monitor=monitor.name,
                window_end=iso(window.end),
                traceback=redaction.redact(traceback.format_exc()),
            )
            outcome = RunOutcome("failed", redaction.redact(f"internal error: {error.__class__.__name__}: {error}"))
            metrics = []
        outcome = _with_duration(outcome, time.monotonic() - started)
        try:
            with self.store.transaction() as session:
                metrics = [*metrics, *self._failure_count(session, monitor, window, outcome)]
                metrics += _dropped_count(session, monitor.name, run_id, outcome)
                now = self.clock()
                finish_run(session, run_id=run_id, owner=self.owner, outcome=outcome, metrics=metrics, now=now)
                queued = []
                if outcome.status != "skipped":  # too little data neither fires nor resolves
                    queued = process_run(
                        session,
                        rules=self.rules(monitor),
                        run=self._facts(monitor, window, outcome, metrics),
                        alerting=self.config.alerting,
                        now=now,
                        notify=notify,
                    )
        except ClaimLost as error:
            return RunResult(monitor.name, window, "busy", str(error), run_id)
        except Exception as error:  # the store failed us (or a bug): nothing of this run was committed
            reason = redaction.redact(f"could not record the results: {_short(error)}")
            log.error(
                "run.not_recorded",
                monitor=monitor.name,
                window_end=iso(window.end),
                error=reason,
                traceback=redaction.redact(traceback.format_exc()),
            )
            recorded = self._record_failure(monitor, window, run_id, reason)
            return RunResult(monitor.name, window, "failed", reason, run_id, recorded=recorded)
        return RunResult(
            monitor.name,
            window,
            outcome.status,
            outcome.reason,
            run_id,
            outcome.report_path,
            outcome.duration_seconds or 0.0,
            metrics,
            len(queued),
        )

    def _multivariate_history(self, monitor: MonitorConfig, window: Window) -> list:
        """Earlier windows' multivariate scores, for the report's chart (none if the store does not answer)."""
        if monitor.multivariate_drift == "off":
            return []
        try:
            with self.store.reading() as session:
                return score_history(
                    session,
                    monitor.name,
                    score="multivariate.drift.score",
                    threshold="multivariate.drift.threshold",
                    before=window.end,
                )
        except Exception:  # a chart is not worth failing a run for; the store's state is recorded below
            return []

    def _record_failure(self, monitor: MonitorConfig, window: Window, run_id: int, reason: str) -> bool:
        """Best effort: a failed run is retried like any other; if the store is away, the claim goes stale."""
        try:
            with self.store.transaction() as session:
                count = self._failure_count(session, monitor, window, RunOutcome("failed"))
                count += _dropped_count(session, monitor.name, run_id, RunOutcome("failed"))
                finish_run(
                    session,
                    run_id=run_id,
                    owner=self.owner,
                    outcome=RunOutcome("failed", reason),
                    metrics=count,
                    now=self.clock(),
                )
            return True
        except Exception as error:
            log.error(
                "run.not_recorded",
                monitor=monitor.name,
                window_end=iso(window.end),
                error=redaction.redact(str(error)),
                hint="the claim will go stale and the window be retried",
            )
            return False

    def rules(self, monitor: MonitorConfig):
        return rules_for(monitor, self.config.alerting, self.config.channels)

    def _facts(self, monitor: MonitorConfig, window: Window, outcome: RunOutcome, metrics: list[MetricRow]) -> RunFacts:
        report_url = f"{self.config.service.base_url}/reports/{outcome.report_path}" if outcome.report_path else None
        top, where = columns_to_look_at(metrics)
        return RunFacts(
            monitor.name,
            window.start,
            window.end,
            as_mapping(metrics),
            top_columns=top,
            report_url=report_url,
            reports_base_url=f"{self.config.service.base_url}/reports/",
            multivariate_columns=where,
            segment_figures=segment_mapping(metrics),
        )

    def _failure_count(self, session, monitor: MonitorConfig, window: Window, outcome: RunOutcome) -> list[MetricRow]:
        if outcome.status == "skipped":
            return []
        if outcome.status == "ok":
            return [MetricRow("monitor.failed_runs", "", 0.0)]
        before = consecutive_failures_before(session, monitor=monitor.name, window_end=window.end)
        return [MetricRow("monitor.failed_runs", "", float(before + 1))]


def _reference_cache(config: Config) -> ReferenceCache | None:
    """The folder of references kept across processes, pruned of monitors no longer configured."""
    folder = cache_folder(config.service)
    if folder is None:
        return None
    cache = ReferenceCache(folder, config.service.reference_cache_mb * 1024 * 1024)
    cache.prune_unused(monitor.name for monitor in config.monitors)
    return cache


def _dropped_count(session, monitor: str, run_id: int, outcome: RunOutcome) -> list[MetricRow]:
    """`windows.dropped`: windows that aged past catch_up unevaluated since the previous run (see store.dropped).
    A skipped run (too few rows) neither fires nor resolves, so it carries none."""
    if outcome.status == "skipped":
        return []
    return [MetricRow("windows.dropped", "", float(dropped_since_previous_run(session, monitor, run_id=run_id)))]


def _short(error: Exception) -> str:
    """One line about an error: a database's own message, not SQLAlchemy's statement and parameters."""
    original = getattr(error, "orig", None)
    text = str(original if original is not None else error).strip()
    line = text.splitlines()[0] if text else ""
    return f"{error.__class__.__name__}: {line}"[:300]


def _with_duration(outcome: RunOutcome, seconds: float) -> RunOutcome:
    return replace(outcome, duration_seconds=seconds)


def _metric(metrics: list[MetricRow], name: str) -> float | None:
    return next((row.value for row in metrics if row.metric == name and not row.column and not row.segment), None)


class _Heartbeat:
    """Keeps our claim alive from a thread while the run works (reads and reports can take minutes)."""

    def __init__(self, store: Store, run_id: int, owner: str, clock: Callable[[], datetime]) -> None:
        self.store, self.run_id, self.owner, self.clock = store, run_id, owner, clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{run_id}", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_EVERY.total_seconds()):
            try:
                with self.store.session() as session:
                    if not heartbeat(session, run_id=self.run_id, owner=self.owner, now=self.clock()):
                        return
            except Exception as error:  # the store may be briefly away; the claim just ages
                log.warning("heartbeat.failed", run_id=self.run_id, error=redaction.redact(str(error)))
