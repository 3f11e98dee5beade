"""An in-process DriftHound for alerting tests: a store, a config and a clock; runs are recorded as the runner
records them, with the figures given (no Evidently), and a deliverer on the same clock."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from alerts.channels import build_channels
from alerts.delivery import Deliverer
from alerts.models import Alert, OutboxMessage
from alerts.pipeline import RunFacts, columns_to_look_at, process_run, rules_for
from monitor.config import parse_config
from monitor.figures import MetricRow
from monitor.store import Store
from monitor.store.runs import RunOutcome, claim_window, finish_run
from monitor.windows import Window

T0 = datetime(2026, 11, 22, 0, tzinfo=UTC)
SECRET = "whsec-0123456789"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def config_for(store_url: str, **parts: str) -> object:
    return parse_config(config_text(store_url, **parts), environ={"HOOK_SECRET": SECRET})


def config_text(
    store_url: str,
    *,
    hook: str = "http://127.0.0.1:9/none",
    slack: str = "http://127.0.0.1:9/slack",
    extra_rules: str = "",
    alerting: str = "",
    accuracy_channels: str = '["hook"]',
    extra_channels: str = "",
) -> str:
    """The alerting tests' config, as a file would hold it (`${HOOK_SECRET}` unresolved)."""
    return f"""
[service]
store_url = "{store_url}"
public_url = "http://drifthound.test:9308"
[sources.main]
url = "sqlite://"
[[monitors]]
name = "credit"
source = "main"
table = "predictions"
timestamp_column = "ts"
every = "1h"
window = "1h"
reference = {{ last = "1d" }}
[[monitors.rules]]
name = "dataset drift"
metric = "drift.share"
above = 0.3
for_runs = 2
severity = "critical"
channels = ["hook", "slack"]
[[monitors.rules]]
name = "accuracy low"
metric = "accuracy"
below = 0.7
severity = "warning"
channels = {accuracy_channels}
{extra_rules}
[channels.hook]
type = "webhook"
url = "{hook}"
secret = "${{HOOK_SECRET}}"
headers = {{ "X-Team" = "ml-platform" }}
timeout = "2s"
[channels.slack]
type = "slack"
webhook_url = "{slack}"
timeout = "2s"
{extra_channels}
[alerting]
repeat_interval = "4h"
give_up_after = "1h"
{alerting}
"""


class World:
    """A store, a config and a clock; runs are recorded as the runner records them (figures given)."""

    def __init__(self, store_url: str, config) -> None:
        self.store = Store(store_url)
        self.store.ensure_schema()
        self.config = config
        self.monitor = config.monitors[0]
        self.clock = Clock(T0 + timedelta(hours=1, minutes=1))

    def run(
        self, hour: int, notify: bool = True, rows: tuple[MetricRow, ...] = (), **figures: float | None
    ) -> list[OutboxMessage]:
        """`figures` by short name; `rows` any others (per column), whose drifted columns messages name."""
        window = Window(T0 + timedelta(hours=hour), T0 + timedelta(hours=hour + 1))
        names = {
            "share": ("drift.share", ""),
            "accuracy": ("accuracy", ""),
            "failed": ("monitor.failed_runs", ""),
            "income": ("drift.score", "income"),
            "age": ("drift.score", "age"),
            "accuracy_mean": ("accuracy.reference_mean", ""),
            "accuracy_std": ("accuracy.reference_std", ""),
        }
        rows = [*(MetricRow(*names[k], v) for k, v in figures.items()), *rows]
        now = self.clock()
        with self.store.session() as session:
            claim = claim_window(session, monitor="credit", window=window, owner="t", now=now)
        with self.store.transaction() as session:
            finish_run(
                session,
                run_id=claim.run_id,
                owner="t",
                outcome=RunOutcome("ok", report_path=f"credit/{hour}.html"),
                metrics=rows,
                now=now,
            )
            facts = RunFacts(
                "credit",
                window.start,
                window.end,
                {(r.metric, r.column): r.value for r in rows},
                top_columns=columns_to_look_at(rows)[0],
                report_url=f"http://drifthound.test:9308/reports/credit/{hour}.html",
                reports_base_url="http://drifthound.test:9308/reports/",
            )
            return process_run(
                session,
                rules=rules_for(self.monitor, self.config.alerting, self.config.channels),
                run=facts,
                alerting=self.config.alerting,
                now=now,
                notify=notify,
            )

    def deliverer(self, rng_seed: int = 1) -> Deliverer:
        return Deliverer(
            self.store,
            build_channels(self.config.channels, self.config.alerting.repeat_interval),
            owner="worker",
            clock=self.clock,
            rng=random.Random(rng_seed),
        )

    def queued(self) -> list[OutboxMessage]:
        with self.store.session() as session:
            return list(session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))

    def alert(self, rule: str, column: str = "") -> Alert:
        with self.store.session() as session:
            return session.scalars(sa.select(Alert).where(Alert.rule == rule, Alert.column_name == column)).one()
