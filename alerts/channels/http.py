"""Channels that POST over HTTP: Slack incoming webhooks, generic webhooks, Alertmanager."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Any

import httpx

from alerts.notices import AlertNotice, Notification
from alerts.payload import webhook_body
from alerts.retry import Answer, classify_error, classify_http
from alerts.signing import signature_header, standard_headers
from alerts.slack import slack_message
from alerts.wording import duration, how_bad
from monitor import __version__, redaction

USER_AGENT = f"drifthound/{__version__}"


class _HttpChannel:
    type = "http"

    def __init__(self, name: str, url: str, *, timeout: float) -> None:
        self.name = name
        self.url = url
        self.timeout = timeout
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT})

    def _post(self, body: bytes, headers: dict[str, str], *, now: datetime, url: str | None = None) -> Answer:
        try:
            response = self._client.post(
                url or self.url, content=body, headers={"Content-Type": "application/json", **headers}
            )
        except httpx.HTTPError as error:
            return classify_error(redaction.redact(f"{error.__class__.__name__}: {error}"))
        # Masked before it is cut to length: a cut through a secret leaves a piece that no mask matches.
        text = redaction.redact(response.text)
        return classify_http(response.status_code, text, response.headers.get("Retry-After"), now=now)

    def close(self) -> None:
        self._client.close()


class SlackChannel(_HttpChannel):
    type = "slack"

    def send(self, notification: Notification, delivery_id: str, *, now: datetime) -> Answer:
        body = json.dumps(slack_message(notification)).encode()
        return self._post(body, {}, now=now)


class WebhookChannel(_HttpChannel):
    type = "webhook"

    def __init__(self, name: str, url: str, *, secret: str | None, headers: dict[str, str], timeout: float) -> None:
        super().__init__(name, url, timeout=timeout)
        self.secret = secret
        self.headers = dict(headers)

    def send(self, notification: Notification, delivery_id: str, *, now: datetime) -> Answer:
        body = json.dumps(webhook_body(notification, delivery_id), separators=(",", ":")).encode()
        headers = {**self.headers, "X-DriftHound-Delivery": delivery_id}
        if self.secret:
            signed_at = int(time.time())
            headers["X-DriftHound-Signature"] = signature_header(self.secret, body, signed_at)
            headers |= standard_headers(self.secret, delivery_id, body, signed_at)
        return self._post(body, headers, now=now)


class AlertmanagerChannel(_HttpChannel):
    """Pushes alerts to Alertmanager's API; its own grouping, silences and routing then apply."""

    type = "alertmanager"

    def __init__(self, name: str, url: str, *, timeout: float, validity: timedelta = timedelta(hours=12)) -> None:
        super().__init__(name, url, timeout=timeout)
        # Alertmanager resolves an alert by itself when endsAt passes; firing alerts are re-posted before that.
        self.validity = validity

    def send(self, notification: Notification, delivery_id: str, *, now: datetime) -> Answer:
        body = json.dumps(alertmanager_alerts(notification, now=now, validity=self.validity)).encode()
        return self._post(body, {}, now=now, url=self.url.rstrip("/") + "/api/v2/alerts")


def alertmanager_alerts(notification: Notification, *, now: datetime, validity: timedelta) -> list[dict[str, Any]]:
    alerts = []
    for alert in notification.alerts:
        labels = {
            "alertname": alert.rule,
            "monitor": notification.monitor,
            "rule": alert.rule,
            "severity": alert.severity,
        }
        if alert.column:
            labels["column"] = alert.column
        if alert.segment:
            labels["segment"] = alert.segment
        ends = now + validity if alert.status == "firing" else now
        alerts.append(
            {
                "labels": labels,
                "annotations": _annotations(notification, alert),
                "startsAt": alert.since or notification.window_start,
                "endsAt": ends.isoformat().replace("+00:00", "Z"),
                "generatorURL": notification.report_url or "",
            }
        )
    return alerts


def _annotations(notification: Notification, alert: AlertNotice) -> dict[str, str]:
    """What Alertmanager shows and templates; runbook_url is the name its own conventions use."""
    top = ", ".join(
        f"{c.column} {c.score:.3g}" + (f" (impact {c.impact:.2g})" if c.impact is not None else "")
        for c in alert.top_columns[:5]
        if c.score is not None
    )
    annotations = {
        "summary": how_bad(alert),
        "duration": duration(alert.since, alert.window_end) or "",
        "value": "" if alert.value is None else f"{alert.value:g}",
        "threshold": "" if alert.threshold is None else f"{alert.threshold:g}",
        "window": f"{notification.window_start} .. {notification.window_end}",
        "top_columns": top,
    }
    if alert.runbook_url:
        annotations["runbook_url"] = alert.runbook_url
    if alert.explanation:
        annotations["explanation"] = alert.explanation
    return annotations
