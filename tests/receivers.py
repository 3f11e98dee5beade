"""Real local HTTP receivers for notifications: one answers as Slack does, one is a generic webhook receiver."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from alerts.signing import verify_signature

# What Slack's incoming webhooks answer (status, body); see api.slack.com/messaging/webhooks.
SLACK_ANSWERS = {
    "ok": (200, "ok"),
    "invalid_payload": (400, "invalid_payload"),
    "action_prohibited": (403, "action_prohibited"),
    "channel_not_found": (404, "channel_not_found"),
    "no_service": (404, "no_service"),
    "channel_is_archived": (410, "channel_is_archived"),
    "rate_limited": (429, "rate_limited"),
    "rollup_error": (500, "rollup_error"),
}


@dataclass
class Receiver:
    """Records what arrives; answers from a script (then `default`), holding a request if asked to."""

    server: HTTPServer
    path: str = "/hook"
    secret: str | None = None
    default: tuple[int, str, dict[str, str]] = (200, "ok", {})
    script: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    bad_signatures: int = 0
    hold: threading.Event | None = None
    delay: float = 0.0  # seconds every answer takes (a slow receiver)
    arrived: threading.Event = field(default_factory=threading.Event)
    judge: Callable[[dict], tuple[int, str]] | None = None  # answers from the body, as Slack does (scripts first)

    def __post_init__(self) -> None:
        self.server.expect_request(self.path, method="POST").respond_with_handler(self._handle)

    @property
    def url(self) -> str:
        return self.server.url_for(self.path)

    def answer(self, *answers: tuple[int, str] | tuple[int, str, dict[str, str]]) -> None:
        self.script.extend((a[0], a[1], a[2] if len(a) > 2 else {}) for a in answers)

    def _handle(self, request: Request) -> Response:
        body = request.get_data()
        if self.secret is not None:
            header = request.headers.get("X-DriftHound-Signature", "")
            if not verify_signature(self.secret, header, body):
                self.bad_signatures += 1
                return Response("bad signature", status=401)
        self.requests.append(
            {
                "headers": dict(request.headers),
                "body": json.loads(body),
                "raw": body,  # as sent, for verifying signatures
                "at": time.time(),  # wall clock: comparable with the times the daemon stores
                "path": self.path,
            }
        )
        self.arrived.set()
        if self.hold is not None:
            self.hold.wait(60)
        if self.delay:
            time.sleep(self.delay)
        if self.script:
            status, text, headers = self.script.pop(0)
        elif self.judge is not None:
            (status, text), headers = self.judge(json.loads(body)), {}
        else:
            status, text, headers = self.default
        return Response(text, status=status, headers=headers)

    @property
    def delivery_ids(self) -> list[str]:
        return [r["headers"].get("X-Drifthound-Delivery") or r["body"].get("delivery_id") for r in self.requests]

    @property
    def bodies(self) -> list[dict]:
        return [r["body"] for r in self.requests]


@dataclass
class Echo:
    """Refuses every request and quotes it back, request line and Authorization header, as some proxies do."""

    server: HTTPServer
    path: str
    status: int = 400
    prefix: str = "bad request: "

    def __post_init__(self) -> None:
        self.server.expect_request(self.path, method="POST").respond_with_handler(self._handle)

    def _handle(self, request: Request) -> Response:
        line = f"{request.method} {request.full_path.rstrip('?')} HTTP/1.1"
        auth = request.headers.get("Authorization")
        return Response(self.prefix + line + (f" Authorization: {auth}" if auth else ""), status=self.status)
