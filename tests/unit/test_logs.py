"""Structured logs: secrets masked wherever they sit in an event."""

from __future__ import annotations

import io
import json
import logging

import structlog

from monitor import logs, redaction

SECRET = "s3cr3t-value"


def test_a_secret_is_masked_at_every_depth_of_an_event():
    redaction.register(SECRET)
    stream = io.StringIO()
    logs.configure("json", stream=stream)
    alerts = [{"rule": "drift", "note": f"token={SECRET}", "tags": ("a", SECRET), "more": [[{"deep": SECRET}]]}]
    log = structlog.get_logger("test")
    log.warning("alert.notification", alerts=alerts, window={"end": {"url": f"/x?token={SECRET}"}}, count=3)
    log.warning("send.failed", error=ValueError(f"refused {SECRET}"))
    try:
        raise RuntimeError(f"boom {SECRET}")
    except RuntimeError:
        log.exception("crashed")
    logging.getLogger("a.library").warning("connecting with %s", SECRET)
    text = stream.getvalue()
    assert SECRET not in text
    first = json.loads(text.splitlines()[0])
    masked = {"rule": "drift", "note": "token=***", "tags": ["a", "***"], "more": [[{"deep": "***"}]]}
    assert first["alerts"] == [masked]
    assert first["window"] == {"end": {"url": "/x?token=***"}} and first["count"] == 3
    assert alerts[0]["note"] == f"token={SECRET}", "the caller's own data is left as it was"
    assert all(masked in text for masked in ("refused ***", "RuntimeError: boom ***", "connecting with ***"))


def test_the_console_format_masks_nested_secrets_too():
    redaction.register(SECRET)
    stream = io.StringIO()
    logs.configure("console", stream=stream)
    structlog.get_logger("test").warning("alert.notification", alerts=[{"note": SECRET}])
    assert SECRET not in stream.getvalue() and "***" in stream.getvalue()
