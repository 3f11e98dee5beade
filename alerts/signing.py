"""Webhook signatures, two ways:

- `X-DriftHound-Signature: t=<unix>,v1=<hex>`, v1 = HMAC-SHA256(secret, "<t>.<body>"), for any secret;
  `verify_signature` is the receiver's side, for those who write one in Python: it refuses a wrong signature and
  a replay older than five minutes.
- Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`), for a `whsec_<base64>`
  secret, so receivers verify with a maintained library (`standardwebhooks`, `svix`, their TypeScript twins).
"""

from __future__ import annotations

import base64
import binascii
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


STANDARD_PREFIX = "whsec_"


def standard_key(secret: str) -> bytes | None:
    """The key of a Standard Webhooks secret (`whsec_` and base64), None for a secret of another form."""
    if not secret.startswith(STANDARD_PREFIX):
        return None
    encoded = secret.removeprefix(STANDARD_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return key or None


def standard_headers(secret: str, message_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The Standard Webhooks headers for a `whsec_` secret (none for another form): the id is the delivery id,
    the same on every retry, so receivers drop duplicates by it."""
    key = standard_key(secret)
    if key is None:
        return {}
    signed = f"{message_id}.{timestamp}.".encode() + body
    signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": f"v1,{signature}"}
