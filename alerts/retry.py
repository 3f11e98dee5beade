"""What an answer means for a delivery, and when to try again. Pure: time and randomness passed in."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

BASE_DELAY = timedelta(seconds=5)
MAX_DELAY = timedelta(minutes=15)
# Retrying these can succeed; other 4xx mean the request or the channel is wrong (Slack's
# invalid_payload, channel_not_found, channel_is_archived, no_service): retrying only repeats it.
_RETRYABLE_4XX = {408, 425, 429}


@dataclass(frozen=True)
class Answer:
    kind: str  # delivered | retry | permanent
    detail: str
    retry_after: float | None = None  # seconds the receiver asked us to wait


def classify_http(status: int, body: str, retry_after_header: str | None, *, now: datetime) -> Answer:
    """`body` is the receiver's answer with secrets already masked: it is cut to length here."""
    text = " ".join(body.split())[:200]
    detail = f"HTTP {status}" + (f": {text}" if text else "")
    if 200 <= status < 300:
        return Answer("delivered", detail)
    wait = parse_retry_after(retry_after_header, now=now) if status in (429, 503) else None
    if status >= 500 or status in _RETRYABLE_4XX:
        return Answer("retry", detail, wait)
    return Answer("permanent", detail)


def classify_error(description: str) -> Answer:
    """A send that got no answer (refused, timed out): `description` is the error, secrets already masked."""
    return Answer("retry", description[:300])


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds, or an HTTP date, as RFC 9110 allows."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - now).total_seconds())


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """Exponential with equal jitter: half the step fixed, half random, so retries spread out."""
    step = min(MAX_DELAY, BASE_DELAY * (2 ** max(0, attempts - 1)))
    return step / 2 + step / 2 * rng.random()


def next_attempt_at(
    attempts: int, *, now: datetime, retry_after: float | None, give_up_at: datetime, rng: random.Random
) -> datetime | None:
    """When to try again after `attempts` failures; None when that would be past `give_up_at`."""
    delay = backoff(attempts, rng)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    moment = now + delay
    if now >= give_up_at:
        return None
    return min(moment, give_up_at)
