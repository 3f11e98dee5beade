"""Hourly upkeep: runs whose owner died are failed, old results and reports purged, and notifications for
channels nobody has any more marked dead once they are past their give-up time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from alerts.outbox import expire_unknown_channels
from monitor.config import Config
from monitor.service.housekeeping import housekeep
from monitor.service.periodic import Periodic
from monitor.store import Store
from monitor.store.runs import expire_abandoned

log = structlog.get_logger("drifthound.daemon")

EVERY = timedelta(hours=1)
FIRST_AFTER = timedelta(minutes=1)


class Housekeeper:
    def __init__(self, store: Store, config: Callable[[], Config], clock: Callable[[], datetime]) -> None:
        self.store, self.config, self.clock = store, config, clock
        self._loop = Periodic(
            "housekeeping", self._step, interval=EVERY.total_seconds(), first_delay=FIRST_AFTER.total_seconds()
        )

    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop(timeout=5)

    def _step(self) -> bool:
        self.run(self.clock())
        return False

    def run(self, now: datetime) -> None:
        config = self.config()
        with self.store.session() as session:
            expire_abandoned(session, now=now)
        with self.store.session() as session:
            dead = expire_unknown_channels(session, channels=config.channels.keys(), now=now)
        if dead:
            log.error("notification.dead", count=dead, reason="channel no longer configured")
        purged = housekeep(self.store, config.service.reports_dir, before=now - config.service.report_retention)
        if purged.runs or purged.reports or purged.notifications or purged.scripts:
            log.info(
                "housekeeping.purged",
                runs=purged.runs,
                reports=purged.reports,
                notifications=purged.notifications,
                scripts=purged.scripts,
            )
