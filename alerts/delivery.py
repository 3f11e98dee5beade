"""The delivery worker: sends due outbox rows through their channels and writes down each answer.

It claims one row at a time with a lease (another worker takes it over if this one
dies), sends outside any transaction, and records the answer: delivered, retry later
(backoff, Retry-After), or dead (refused outright, or past give_up_after), loudly.
Several threads may run it at once: each claim is one conditional UPDATE.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import structlog

from alerts import health, outbox
from alerts.channels.base import Channel
from alerts.retry import Answer
from monitor import redaction
from monitor.store import Store
from monitor.times import utc_now

log = structlog.get_logger("drifthound.delivery")


def lease_for(channels: Mapping[str, Channel]) -> timedelta:
    """Long enough for any send to finish (or time out); short enough that a dead worker's rows move on soon."""
    longest = max((channel.timeout for channel in channels.values()), default=1.0)
    return timedelta(seconds=3 * longest + 10)


class Deliverer:
    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel],
        *,
        owner: str,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.channels = dict(channels)
        self.owner = owner
        self.clock = clock
        self.rng = rng or random.Random()
        self.lease = lease_for(self.channels)
        self._lock = threading.Lock()
        self._sending = 0  # sends in progress, across threads
        self._retired: list[Channel] = []  # replaced channels, closed once no send uses them

    def replace_channels(self, channels: Mapping[str, Channel]) -> None:
        """After a reload: new rows go through the new channels; a send in progress finishes on the old one."""
        with self._lock:
            old = list(self.channels.values())
            self.channels = dict(channels)
            self.lease = lease_for(self.channels)
            self._retired += old
            idle = self._sending == 0
        if idle:
            self._close_retired()

    def run_once(self, limit: int = 20) -> int:
        """Sends what is due now, one row at a time (claimed, sent, recorded), at most `limit`; returns how many
        attempts were made."""
        attempts = 0
        while attempts < limit:
            with self._lock:
                channels, lease = dict(self.channels), self.lease
                self._sending += 1
            try:
                with self.store.session() as session:
                    message = outbox.claim_next(
                        session, owner=self.owner, now=self.clock(), lease=lease, channels=channels.keys()
                    )
                if message is None:
                    return attempts
                self._deliver(message, channels[message.channel])
                attempts += 1
            finally:
                with self._lock:
                    self._sending -= 1
                    idle = self._sending == 0
                if idle:
                    self._close_retired()
        return attempts

    def _close_retired(self) -> None:
        with self._lock:
            retired, self._retired = self._retired, []
        for channel in retired:
            channel.close()

    def _deliver(self, message: outbox.Claimed, channel: Channel) -> None:
        try:
            answer = channel.send(message.notification, message.delivery_id, now=self.clock())
        except Exception as error:  # a channel bug must not take the worker down
            answer = Answer("retry", f"internal error: {error.__class__.__name__}: {error}")
        now = self.clock()
        with self.store.session() as session:
            status = outbox.record_answer(
                session, message_id=message.id, owner=self.owner, answer=answer, now=now, rng=self.rng
            )
        with self.store.session() as session:
            if answer.kind == "delivered":
                health.mark_working(session, message.channel, now)
            elif answer.kind == "permanent" and health.mark_broken(session, message.channel, answer.detail, now):
                log.error("channel.broken", channel=message.channel, reason=redaction.redact(answer.detail))
        fields = {
            "delivery_id": message.delivery_id,
            "channel": message.channel,
            "monitor": message.monitor,
            "attempt": message.attempts + 1,
            "answer": redaction.redact(answer.detail),
        }
        if status == "delivered":
            log.info("notification.delivered", **fields)
        elif status == "dead":
            log.error("notification.dead", **fields)
        elif status == "lost":
            log.warning(
                "notification.lease_lost",
                **fields,
                hint="the send outlasted its lease and another worker took the row over; the receiver may see "
                "this delivery id twice and should drop the duplicate",
            )
        else:
            log.warning("notification.retry", **fields)

    def pending(self) -> int:
        with self.store.session() as session:
            return outbox.backlog(session).queued

    def drain(self, timeout: float, *, poll: float = 0.2) -> int:
        """Delivers until nothing is queued or `timeout` seconds pass; returns what is still queued."""
        deadline = time.monotonic() + timeout
        while True:
            self.run_once()
            remaining = self.pending()
            if remaining == 0 or time.monotonic() >= deadline:
                return remaining
            time.sleep(poll)

    def close(self) -> None:
        with self._lock:
            self._retired += list(self.channels.values())
        self._close_retired()
