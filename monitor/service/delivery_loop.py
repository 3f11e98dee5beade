"""The daemon's delivery side: a few sender threads that send whatever the outbox holds, as soon as it is due."""

from __future__ import annotations

from collections.abc import Mapping

from alerts.channels import Channel
from alerts.delivery import Deliverer
from monitor.service.periodic import Periodic

# Sends to slow receivers overlap (one row per thread at a time); rows of one monitor and channel still go out in
# order, since only the oldest of them can be claimed.
SENDERS = 4
# How often the outbox is looked at when nobody says there is something new (retries come due by themselves).
POLL_SECONDS = 1.0


class DeliveryLoop:
    def __init__(self, deliverer: Deliverer, *, senders: int = SENDERS) -> None:
        self.deliverer = deliverer
        self._loop = Periodic("delivery", self._step, interval=POLL_SECONDS, threads=senders)

    def _step(self) -> bool:
        return self.deliverer.run_once(limit=1) > 0

    def start(self) -> None:
        self._loop.start()

    def wake(self) -> None:
        self._loop.wake()

    def replace_channels(self, channels: Mapping[str, Channel]) -> None:
        self.deliverer.replace_channels(channels)

    @property
    def alive(self) -> bool:
        return self._loop.alive

    def stop(self) -> None:
        self._loop.stop(timeout=30)
        self.deliverer.close()
