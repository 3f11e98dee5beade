"""What every channel does."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from alerts.notices import Notification
from alerts.retry import Answer


class Channel(Protocol):
    name: str
    type: str
    timeout: float  # seconds one send may take

    def send(self, notification: Notification, delivery_id: str, *, now: datetime) -> Answer:
        """One attempt; never raises for the receiver's or the network's faults (they are Answers)."""
        ...

    def close(self) -> None: ...
