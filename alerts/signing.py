"""Webhook signatures: `X-DriftHound-Signature: t=<unix>,v1=<hex>`, v1 = HMAC-SHA256(secret, "<t>.<body>").

`verify_signature` is the receiver's side, for those who write one in Python: it
refuses a wrong signature and a replay older than five minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import time

REPLAY_TOLERANCE_SECONDS = 300


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: str, header: str, body: bytes, *, now: float | None = None, tolerance: int = REPLAY_TOLERANCE_SECONDS
) -> bool:
    """True when `header` signs `body` with `secret` and is no older (or newer) than `tolerance` seconds."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature_header(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
