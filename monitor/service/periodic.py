"""A background thread that does one thing every so often, until stopped: the daemon's small loops."""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from monitor import redaction

log = structlog.get_logger("drifthound.daemon")


class Periodic:
    """Calls `step` every `interval` seconds (after `first_delay`), or at once when woken. `step` returns True
    when it did work and should be called again straight away (a backlog)."""

    def __init__(
        self, name: str, step: Callable[[], bool], *, interval: float, first_delay: float = 0.0, threads: int = 1
    ) -> None:
        self.name = name
        self._step = step
        self._interval = interval
        self._first_delay = first_delay
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, name=f"{name}-{i}" if threads > 1 else name, daemon=True)
            for i in range(threads)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=timeout)

    def wake(self) -> None:
        self._wake.set()

    @property
    def alive(self) -> bool:
        return all(thread.is_alive() for thread in self._threads) and not self._stopping.is_set()

    def _loop(self) -> None:
        if self._first_delay and self._stopping.wait(self._first_delay):
            return
        while not self._stopping.is_set():
            try:
                busy = self._step()
            except Exception as error:  # the store may be away; try again at the next turn
                log.error(f"{self.name}.error", error=redaction.redact(str(error)))
                busy = False
            if not busy:
                self._wake.wait(self._interval)
                self._wake.clear()
