"""The listener: /healthz, /readyz, /metrics, /reports/, /api/ (figures as JSON, silences), /login.

Standard library only: a threading server, so a slow client never blocks the others; HTTPS only when a
certificate is configured (monitor.web.tls). Who may do what is decided at the edge, before any route
(monitor.web.auth): with tokens configured, pages, reports and /api need a viewer's, silencing an operator's;
/healthz, /readyz and /metrics stay open. Answers go gzip-compressed to clients that accept it. Report files are
served only from inside reports_dir: no "..", no encoded tricks, no absolute paths, no symlinks out.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from alerts import silences
from monitor import redaction
from monitor.config import Config
from monitor.report_scripts import STATIC_DIR
from monitor.reports import served_report
from monitor.store import Store
from monitor.store.history import newest_figures
from monitor.times import iso, parse_time
from monitor.web import auth, login, pages, site
from monitor.web.column_page import column_page
from monitor.web.column_site import column_view
from monitor.web.compression import accepts_gzip, compressible, gzipped
from monitor.web.silence_api import EXAMPLE, parse_silence_request, silence_json
from monitor.web.silence_panel import silence_panel
from monitor.web.tls import TlsHttpServer

log = structlog.get_logger("drifthound.http")

# Seconds a connection may stay silent (reading a request, or taking a response) before it is closed:
# each connection holds a thread, so one that sends nothing must not hold it forever.
CLIENT_TIMEOUT = 30.0
# A response goes out in pieces: the timeout bounds each (socket.sendall's covers all it sends), so a
# slow but steady reader still gets a large Evidently report.
SEND_CHUNK = 64 * 1024
# Rows of figures one API answer holds at most (and by default): older ones are a Link away.
MAX_ROWS = 10_000

# Pages run no inline script: the monitor page's one script is a file from this site (auth.SCRIPT_PATH).
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; script-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SCRIPT = Path(__file__).with_name("static") / "silences.js"
# A write's body is a small JSON object or a login form.
MAX_BODY = 16 * 1024
# Evidently's reports carry their data and styles inline and load their scripts from /reports/_static/;
# they may fetch nothing else.
REPORT_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src data:"
)
# The shared scripts' names change with their content: a browser may keep them for good.
STATIC_CACHE = "public, max-age=31536000, immutable"


@dataclass
class HttpContext:
    config: Callable[[], Config]
    store: Store
    registry: Any
    healthy: Callable[[], tuple[bool, str]]
    clock: Callable[[], datetime]


def safe_report_path(reports_dir: Path, raw: str) -> Path | None:
    """The file under reports_dir that `raw` (the part after /reports/) names, or None if it may not be served."""
    text = unquote(raw)
    if "\0" in text or "\\" in text or text.startswith("/") or "%" in text:
        return None
    parts = text.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts) or len(parts) != 2:
        return None
    if not parts[1].endswith((".html", ".json")):
        return None
    root = reports_dir.resolve()
    candidate = (root / parts[0] / parts[1]).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def safe_static_path(reports_dir: Path, raw: str) -> Path | None:
    """The shared script under reports_dir/_static/ that `raw` names, or None if it may not be served."""
    text = unquote(raw)
    parts = text.split("/")
    if "\0" in text or "\\" in text or "%" in text or len(parts) != 3 or parts[0] != STATIC_DIR:
        return None
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts[1:]) or not parts[2].endswith(".js"):
        return None
    root = (reports_dir / STATIC_DIR).resolve()
    candidate = (root / parts[1] / parts[2]).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


class _Handler(BaseHTTPRequestHandler):
    context: HttpContext
    caller: auth.Caller | None = None  # who sent this request, decided at the edge (_allowed)
    timeout = CLIENT_TIMEOUT
    server_version = "drifthound"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests are not logged one by one; errors are

    def do_GET(self) -> None:
        self._handle(self._route)

    do_HEAD = do_GET  # the same status and headers; _send leaves the body out

    def do_POST(self) -> None:
        self._handle(self._route_write)

    do_DELETE = do_POST

    def _handle(self, route: Callable[[str, dict[str, list[str]]], None]) -> None:
        try:
            url = urlsplit(self.path)
            if self._allowed(url.path):
                route(url.path, parse_qs(url.query))
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True  # the client left or stalled mid-response: nothing more to tell it
        except Exception as error:
            log.error("http.error", path=redaction.redact(self.path), error=redaction.redact(repr(error)))
            self._send(500, "internal error\n", "text/plain; charset=utf-8")

    def _allowed(self, path: str) -> bool:
        """Decides at the edge whether this caller may go on; if not, answers 401 or 403 and says so."""
        service = self.context.config().service
        known = auth.known_tokens(service)
        token = auth.presented_token(self.headers.get("Authorization"), self.headers.get("Cookie"))
        self.caller = auth.identify(token, known)
        verdict = auth.access(auth.need_of(self.command, path), self.caller, guarded=bool(known))
        if verdict is auth.Access.ALLOWED:
            return True
        if verdict is auth.Access.NOT_OPERATOR:
            self._json({"error": f'token "{self.caller.name}" is a viewer: only an operator token may do this'}, 403)
            return False
        why = "send Authorization: Bearer <token>" + ("" if token is None else " with a known token")
        if not known:
            why = "silencing over HTTP needs an operator token; add one under [service.tokens]"
        challenge = {"WWW-Authenticate": 'Bearer realm="drifthound"'}
        if path.startswith("/reports") or path == "/":
            self._html(login.login_page(f"{path}", "unknown token" if token else None), 401, challenge)
        elif path.startswith("/api/"):
            self._json({"error": f"unauthorised: {why}"}, 401, challenge)
        else:
            self._send(401, f"unauthorised: {why}\n", "text/plain; charset=utf-8", challenge)
        return False

    def _route(self, path: str, query: dict[str, list[str]]) -> None:
        if path == "/favicon.ico":  # browsers ask; an empty answer keeps their consoles clean
            self._send(204, b"", "image/x-icon")
        elif path == "/healthz":
            ok, why = self.context.healthy()
            self._send(200 if ok else 503, f"{'ok' if ok else 'unhealthy'}: {why}\n", "text/plain; charset=utf-8")
        elif path == "/readyz":
            self._ready()
        elif path == "/metrics":
            self._send(200, generate_latest(self.context.registry), CONTENT_TYPE_LATEST)
        elif path == auth.SCRIPT_PATH:
            self._send(200, SCRIPT.read_bytes(), "text/javascript; charset=utf-8", {"Cache-Control": "no-cache"})
        elif path == "/login":
            self._html(login.login_page(_next_of(query), None))
        elif path in ("/", "/reports"):
            self._redirect("/reports/")
        elif path == "/reports/":
            self._index()
        elif path.startswith("/reports/"):
            self._reports(path[len("/reports/") :])
        elif path == "/api/silences":
            self._list_silences()
        elif path.startswith("/api/"):
            self._api(path[len("/api/") :], query)
        else:
            self._send(404, "not found\n", "text/plain; charset=utf-8")

    def _route_write(self, path: str, query: dict[str, list[str]]) -> None:
        if self.command == "POST" and path == "/login":
            self._login()
        elif self.command == "POST" and path == "/logout":
            self._redirect("/login", {"Set-Cookie": login.cookie("", secure=self._secure(), clear=True)}, 303)
        elif self.command == "POST" and path == "/api/silences":
            self._silence()
        elif self.command == "DELETE" and path.startswith("/api/silences/"):
            self._unsilence(path[len("/api/silences/") :])
        else:
            self._json({"error": f"{self.command} is not allowed on {path}"}, 405)

    def _secure(self) -> bool:
        return isinstance(self.connection, ssl.SSLSocket)

    def _body(self) -> bytes | None:
        """The request's body, or None after answering 411/413 when it has no length or too much of one."""
        raw = self.headers.get("Content-Length", "")
        if not (raw.isascii() and raw.isdigit()):
            self._json({"error": "send the body with a Content-Length"}, 411)
            return None
        if int(raw) > MAX_BODY:
            self._json({"error": f"the body is larger than {MAX_BODY} bytes"}, 413)
            return None
        return self.rfile.read(int(raw))

    def _cross_site(self) -> bool:
        """A browser's request from another site's page (its Origin is neither the Host nor public_url's, or is
        "null"): refused with 403. Our pages' policy (same-origin) makes a browser send their real Origin."""
        origin = self.headers.get("Origin")
        public = self.context.config().service.public_url  # behind a proxy, the Host may be the inner one
        ours = {self.headers.get("Host", ""), urlsplit(public or "").netloc} - {""}
        if origin is None or urlsplit(origin).netloc in ours:
            return False
        self._json({"error": "refused: a request from another site's page"}, 403)
        return True

    def _login(self) -> None:
        body = self._body()
        if body is None or self._cross_site():
            return
        form = parse_qs(body.decode("utf-8", "replace"))
        token, where = form.get("token", [""])[0], login.safe_next(form.get("next", [None])[0])
        caller = auth.identify(token, auth.known_tokens(self.context.config().service))
        if caller is None:
            self._html(login.login_page(where, "unknown token"), 401)
            return
        log.info("http.signed_in", token_name=caller.name, role=caller.role)
        self._redirect(where, {"Set-Cookie": login.cookie(token, secure=self._secure())}, 303)

    def _list_silences(self) -> None:
        with self.context.store.reading() as session:
            rows = silences.active(session, now=self.context.clock())
            self._json([silence_json(row) for row in rows])

    def _silence(self) -> None:
        if self.headers.get_content_type() != "application/json":
            self._json({"error": f"send the silence as JSON (Content-Type: application/json), e.g. {EXAMPLE}"}, 415)
            return
        body = self._body()
        if body is None or self._cross_site():
            return
        try:
            wanted = parse_silence_request(body, self.context.config())
        except ValueError as error:
            self._json({"error": str(error)}, 400)
            return
        now = self.context.clock()
        with self.context.store.transaction() as session:
            row = silences.silence(
                session,
                monitor=wanted.monitor,
                rule=wanted.rule,
                until=now + wanted.length,
                reason=wanted.reason,
                now=now,
                created_by=self.caller.name,
            )
            answer = silence_json(row)
        log.info("silence.set", monitor=wanted.monitor, rule=wanted.rule, until=answer["ends_at"], by=self.caller.name)
        self._json(answer, 201, {"Location": f"/api/silences/{answer['id']}"})

    def _unsilence(self, raw: str) -> None:
        if self._cross_site():
            return
        if not (raw.isascii() and raw.isdigit()):
            self._json({"error": f"{raw!r} is not a silence id; GET /api/silences lists them"}, 404)
            return
        with self.context.store.transaction() as session:
            row = silences.end(session, int(raw), now=self.context.clock())
            monitor = row.monitor if row is not None else None
        if monitor is None:
            self._json({"error": f"no active silence {raw}; GET /api/silences lists them"}, 404)
            return
        log.info("silence.ended", id=int(raw), monitor=monitor, by=self.caller.name)
        self._send(204, b"", "application/json")

    def _ready(self) -> None:
        ok, why = self.context.healthy()
        if not ok:  # starting or stopping: not a target for traffic yet (or any more)
            self._send(503, f"not ready: {why}\n", "text/plain; charset=utf-8")
            return
        try:
            self.context.store.ping()
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", error)).strip().splitlines()[0] if str(error).strip() else "error"
            self._send(
                503, redaction.redact(f"not ready: the store does not answer ({reason})\n"), "text/plain; charset=utf-8"
            )
            return
        self._send(200, "ready\n", "text/plain; charset=utf-8")

    def _index(self) -> None:
        config, now = self.context.config(), self.context.clock()
        with self.context.store.reading() as session:
            views = site.all_views(session, config, now)
        self._html(pages.index_page(views, now))

    def _reports(self, rest: str) -> None:
        config, now = self.context.config(), self.context.clock()
        parts = rest.split("/")
        if len(parts) == 3 and parts[1] == "columns":
            self._column(config, unquote(parts[0]), unquote(parts[2]), now)
            return
        name = unquote(rest[:-1]) if rest.endswith("/") and rest.count("/") == 1 else None
        if name is not None:
            monitor = next((m for m in config.monitors if m.name == name), None)
            if monitor is None:
                self._html(pages.not_found_page(f"no monitor named {name}"), 404)
                return
            operator = self.caller is not None and self.caller.role == "operator"
            with self.context.store.reading() as session:
                view = site.monitor_view(session, monitor, now, reports_dir=config.service.reports_dir)
                held = silences.active(session, now=now, monitor=monitor.name) if operator else []
                panel = silence_panel(monitor.name, [r.name for r in monitor.rules], held) if operator else ""
            self._html(pages.monitor_page(view, now, panel=panel, script=auth.SCRIPT_PATH if operator else None))
            return
        if rest.startswith(f"{STATIC_DIR}/"):
            self._static(rest)
            return
        file = safe_report_path(config.service.reports_dir, rest)
        if file is None:
            self._html(pages.not_found_page("no such report"), 404)
            return
        if file.suffix == ".html":
            # Its neighbours' links are those of now (see monitor.report_nav): a cached copy would keep stale ones.
            body, kind, cache = served_report(file), "text/html; charset=utf-8", "no-cache"
        else:
            body, kind, cache = file.read_bytes(), "application/json", "max-age=3600"
        self._send(200, body, kind, {"Content-Security-Policy": REPORT_POLICY, "Cache-Control": cache})

    def _column(self, config: Config, name: str, column: str, now: datetime) -> None:
        monitor = next((m for m in config.monitors if m.name == name), None)
        if monitor is None:
            self._html(pages.not_found_page(f"no monitor named {name}"), 404)
            return
        with self.context.store.reading() as session:
            view = column_view(session, monitor, column, reports_dir=config.service.reports_dir)
        if view is None:
            self._html(pages.not_found_page(f"monitor {name} has no figures of a column named {column}"), 404)
            return
        self._html(column_page(view, now))

    def _static(self, rest: str) -> None:
        file = safe_static_path(self.context.config().service.reports_dir, rest)
        if file is None:
            self._send(404, "not found\n", "text/plain; charset=utf-8")
            return
        self._send(200, file.read_bytes(), "text/javascript; charset=utf-8", {"Cache-Control": STATIC_CACHE})

    def _api(self, rest: str, query: dict[str, list[str]]) -> None:
        config = self.context.config()
        parts = [unquote(p) for p in rest.strip("/").split("/")]
        if parts == ["monitors"]:
            self._json(
                [
                    {
                        "name": m.name,
                        "window": m.window.total_seconds(),
                        "schedule": m.schedule,
                        "every": m.every.total_seconds() if m.every else None,
                    }
                    for m in config.monitors
                ]
            )
            return
        if len(parts) == 3 and parts[0] == "monitors" and parts[2] == "metrics":
            monitor = next((m for m in config.monitors if m.name == parts[1]), None)
            if monitor is None:
                self._json({"error": f"no monitor named {parts[1]}"}, 404)
                return
            self._figures(monitor.name, query)
            return
        self._json({"error": "not found"}, 404)

    def _figures(self, monitor: str, query: dict[str, list[str]]) -> None:
        """The newest figures, at most `limit` rows in whole windows; the Link header's next page has older ones."""
        try:
            since, until = _time_parameter(query, "since"), _time_parameter(query, "until")
            limit = _limit(query)
        except ValueError as error:
            self._json({"error": str(error)}, 400)
            return
        with self.context.store.reading() as session:
            page = newest_figures(
                session,
                monitor,
                limit=limit,
                since=since,
                until=until,
                metric=query.get("metric", [None])[0],
                column=query.get("column", [None])[0],
                segment=query.get("segment", [None])[0],
            )
        headers = {"X-DriftHound-Truncated": "false" if page.older is None else "true"}
        if page.older is not None:
            older = urlencode({**query, "until": [iso(page.older)]}, doseq=True)
            headers["Link"] = f'<{urlsplit(self.path).path}?{older}>; rel="next"'
        rows = [
            {
                "window_start": iso(r.window_start),
                "window_end": iso(r.window_end),
                "metric": r.metric,
                "column": r.column,
                "segment": r.segment,
                "value": r.value,
            }
            for r in page.rows
        ]
        self._json(rows, headers=headers)

    def _redirect(self, where: str, headers: dict[str, str] | None = None, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()

    def _html(self, text: str, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self._send(
            status, text, "text/html; charset=utf-8", {"Content-Security-Policy": PAGE_POLICY, **(headers or {})}
        )

    def _json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data), "application/json", headers)

    def _send(self, status: int, body: str | bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        payload = body.encode() if isinstance(body, str) else body
        headers = dict(headers or {})
        if compressible(kind, len(payload)):
            headers["Vary"] = "Accept-Encoding"
            if accepts_gzip(self.headers.get("Accept-Encoding", "")):
                payload = gzipped(payload)
                headers["Content-Encoding"] = "gzip"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Content-Type-Options", "nosniff")
        # Nothing goes to other sites; our own pages' writes carry their Origin, which _cross_site checks.
        self.send_header("Referrer-Policy", "same-origin")
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        view = memoryview(payload)
        for start in range(0, len(view), SEND_CHUNK):
            self.wfile.write(view[start : start + SEND_CHUNK])


def _next_of(query: dict[str, list[str]]) -> str:
    return login.safe_next(query.get("next", [None])[0])


def _time_parameter(query: dict[str, list[str]], name: str) -> datetime | None:
    try:
        return parse_time(query[name][0]) if name in query else None
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None


def _limit(query: dict[str, list[str]]) -> int:
    raw = query.get("limit", [str(MAX_ROWS)])[0]
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_ROWS):
        raise ValueError(f"limit: {raw!r} is not a whole number from 1 to {MAX_ROWS}; page with the Link header")
    return int(raw)


class HttpServer:
    """The listener; with `tls` (a server context, see monitor.web.tls) it speaks HTTPS only."""

    def __init__(
        self, listen: str, context: HttpContext, *, timeout: float = CLIENT_TIMEOUT, tls: ssl.SSLContext | None = None
    ) -> None:
        host, _, port = listen.rpartition(":")
        handler = type("Handler", (_Handler,), {"context": context, "timeout": timeout})
        address = (host.strip("[]"), int(port))
        if tls is None:
            self._server: ThreadingHTTPServer = ThreadingHTTPServer(address, handler)
        else:
            self._server = TlsHttpServer(address, handler)
            self._server.tls, self._server.handshake_timeout = tls, timeout
        self.scheme = "http" if tls is None else "https"
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="http", daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def renew_tls(self, tls: ssl.SSLContext) -> None:
        """Connections accepted from now on present this context's certificate (a renewed one, after SIGHUP)."""
        if isinstance(self._server, TlsHttpServer):
            self._server.tls = tls

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.address}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
