"""systemd's watchdog: pinged while the daemon is healthy, so a hung daemon is restarted."""

from __future__ import annotations

from collections.abc import Callable

from monitor.service import systemd
from monitor.service.periodic import Periodic


class Watchdog:
    def __init__(self, healthy: Callable[[], tuple[bool, str]]) -> None:
        self._healthy = healthy
        interval = systemd.watchdog_interval()
        self._loop = Periodic("watchdog", self._ping, interval=interval) if interval is not None else None

    def _ping(self) -> bool:
        ok, _ = self._healthy()
        if ok:
            systemd.notify("WATCHDOG=1")
        return False

    def start(self) -> None:
        if self._loop is not None:
            self._loop.start()

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.stop(timeout=5)
