"""Named tokens with roles at the listener's edge, and silences over HTTP (SQLite and PostgreSQL stores)."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from alerts.models import Silence
from monitor import redaction
from monitor.config import load_config, parse_config
from monitor.service.prom import DaemonMetrics
from monitor.store import Store
from monitor.times import utc_now
from monitor.web.http import HttpContext, HttpServer
from tests.e2e.cli import drifthound
from tests.integration.test_http import NOW

VIEWER = "viewer-token-0123456789"
OPERATOR = "operator-token-0123456789"
LEGACY = "legacy-http-token"


def config_for(store_url: str, service: str = ""):
    return parse_config(config_text(store_url, service))


def config_text(store_url: str, service: str = "") -> str:
    return f"""
[service]
store_url = "{store_url}"
http_token = "{LEGACY}"
{service}
[service.tokens]
grafana = {{ token = "{VIEWER}", role = "viewer" }}
oncall = {{ token = "{OPERATOR}", role = "operator" }}
[sources.main]
url = "sqlite://"
[[monitors]]
name = "credit"
source = "main"
table = "p"
timestamp_column = "ts"
every = "1h"
window = "1h"
reference = {{ last = "1d" }}
[[monitors.rules]]
name = "drift"
metric = "drift.share"
above = 0.3
"""


@contextmanager
def listening(config, clock=lambda: NOW) -> Iterator[tuple[str, Store]]:
    store = Store(config.service.store_url)
    store.ensure_schema()
    server = HttpServer(
        "127.0.0.1:0",
        HttpContext(
            config=lambda: config,
            store=store,
            registry=DaemonMetrics(store, lambda: config, lambda: NOW).registry,
            healthy=lambda: (True, "fine"),
            clock=clock,
        ),
        timeout=2.0,
    )
    server.start()
    try:
        yield server.address, store
    finally:
        server.stop()
        store.dispose()


def call(address: str, method: str, path: str, *, token: str | None = None, body=None, headers=None):
    """(status, parsed JSON or text, headers) of one request."""
    host, port = address.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    payload = body
    if body is not None and not isinstance(body, (bytes, str)):
        payload = json.dumps(body)
        sent.setdefault("Content-Type", "application/json")
    connection.request(method, path, body=payload, headers=sent)
    response = connection.getresponse()
    raw = response.read().decode()
    connection.close()
    kind = response.headers.get("Content-Type", "")
    return response.status, (json.loads(raw) if raw and kind == "application/json" else raw), response.headers


@pytest.fixture
def site(database_url):
    with listening(config_for(database_url)) as served:
        yield served


SILENCE = {"monitor": "credit", "rule": "drift", "for": "2h", "reason": "retraining"}


def test_viewers_read_operators_also_silence_and_the_silence_names_its_token(site):
    address, store = site
    for token in (VIEWER, LEGACY, OPERATOR):
        assert call(address, "GET", "/reports/", token=token)[0] == 200
        assert call(address, "GET", "/api/monitors", token=token)[0] == 200
        assert call(address, "GET", "/api/silences", token=token)[:2] == (200, [])
        status, page, _ = call(address, "GET", "/reports/credit/columns/age", token=token)
        assert status == 404 and "no figures of a column named age" in page, "past the guard: nothing stored yet"
    status, refusal, _ = call(address, "POST", "/api/silences", token=VIEWER, body=SILENCE)
    assert (status, refusal) == (403, {"error": 'token "grafana" is a viewer: only an operator token may do this'})
    assert call(address, "POST", "/api/silences", token=LEGACY, body=SILENCE)[0] == 403, "http_token is one viewer"
    status, made, headers = call(address, "POST", "/api/silences", token=OPERATOR, body=SILENCE)
    assert status == 201, made
    assert made["created_by"] == "oncall" and made["rule"] == "drift" and made["reason"] == "retraining"
    assert made["ends_at"] == "2026-11-22T14:00:00Z" and headers["Location"] == f"/api/silences/{made['id']}"
    assert call(address, "GET", "/api/silences", token=VIEWER)[1] == [made]
    with store.reading() as session:
        (row,) = session.query(Silence).all()
        assert (row.created_by, row.ends_at - row.created_at) == ("oncall", timedelta(hours=2))
    assert call(address, "DELETE", f"/api/silences/{made['id']}", token=VIEWER)[0] == 403
    assert call(address, "DELETE", f"/api/silences/{made['id']}", token=OPERATOR)[0] == 204
    assert call(address, "GET", "/api/silences", token=VIEWER)[1] == [], "ended"
    status, gone, _ = call(address, "DELETE", f"/api/silences/{made['id']}", token=OPERATOR)
    assert status == 404 and "no active silence" in gone["error"]


def test_without_a_known_token_only_health_and_metrics_answer(site):
    address, _ = site
    for path in ("/healthz", "/readyz", "/metrics"):
        assert call(address, "GET", path)[0] == 200, path
    for token in (None, "not-a-token-at-all-0123", OPERATOR + "x", OPERATOR[:-1]):
        for path in ("/reports/", "/reports/credit/", "/reports/credit/columns/age", "/api/monitors", "/api/silences"):
            status, _, headers = call(address, "GET", path, token=token)
            assert status == 401 and headers["WWW-Authenticate"] == 'Bearer realm="drifthound"', (path, token)
        assert call(address, "POST", "/api/silences", token=token, body=SILENCE)[0] == 401
        assert call(address, "DELETE", "/api/silences/1", token=token)[0] == 401


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "the body is not JSON"),
        (b"[1]", "the body must be a JSON object"),
        ({"monitor": "nope", "for": "1h", "reason": "x"}, '"monitor": "nope" is not a monitor (monitors: credit)'),
        ({"monitor": "credit", "rule": "r", "for": "1h", "reason": "x"}, '"rule": "r" is not a rule of "credit"'),
        ({"monitor": "credit", "for": "soon", "reason": "x"}, "\"for\": 'soon' is not a duration"),
        ({"monitor": "credit", "for": "1h"}, '"reason": say why'),
        ({"monitor": "credit", "for": "1h", "reason": "x", "until": "x"}, 'unknown field "until"'),
    ],
)
def test_a_bad_silence_is_one_clear_400(tmp_path, body, message):
    with listening(config_for(f"sqlite:///{tmp_path / 'store.db'}")) as (address, store):
        headers = {"Content-Type": "application/json"}
        status, answer, _ = call(address, "POST", "/api/silences", token=OPERATOR, body=body, headers=headers)
        assert status == 400 and list(answer) == ["error"] and message in answer["error"], answer
        with store.reading() as session:
            assert session.query(Silence).count() == 0


def test_a_browser_signs_in_once_and_other_sites_cannot_use_its_cookie(tmp_path):
    with listening(config_for(f"sqlite:///{tmp_path / 'store.db'}")) as (address, _):
        status, page, _ = call(address, "GET", "/reports/credit/")
        assert status == 401 and 'action="/login"' in page and 'name="next" value="/reports/credit/"' in page
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        wrong = urlencode({"token": "guess-guess-guess-guess", "next": "/reports/credit/"})
        assert call(address, "POST", "/login", body=wrong, headers=form)[0] == 401
        right = urlencode({"token": OPERATOR, "next": "//evil.example/"})
        status, _, headers = call(address, "POST", "/login", body=right, headers=form)
        assert status == 303 and headers["Location"] == "/reports/", "never sent to another host"
        cookie = headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie, "plain HTTP here"
        jar = {"Cookie": cookie.split(";")[0]}
        status, page, headers = call(address, "GET", "/reports/credit/", headers=jar)
        assert status == 200 and 'id="silence-form"' in page and '<script src="/_site/silences.js"' in page
        assert "script-src 'self'" in headers["Content-Security-Policy"] and "unsafe-inline'; img" not in page
        assert call(address, "GET", "/_site/silences.js")[0] == 200
        made = call(address, "POST", "/api/silences", body=SILENCE, headers={**jar, "Origin": f"http://{address}"})
        assert made[0] == 201 and made[1]["created_by"] == "oncall"
        for origin in ("https://evil.example", "null"):
            elsewhere = {**jar, "Origin": origin}
            assert call(address, "POST", "/api/silences", body=SILENCE, headers=elsewhere)[0] == 403, origin
        as_form = {**jar, "Content-Type": "application/x-www-form-urlencoded"}
        assert call(address, "POST", "/api/silences", body="monitor=credit", headers=as_form)[0] == 415
        viewer = call(address, "POST", "/login", body=urlencode({"token": VIEWER}), headers=form)[2]["Set-Cookie"]
        status, page, _ = call(address, "GET", "/reports/credit/", headers={"Cookie": viewer.split(";")[0]})
        assert status == 200 and "silence-form" not in page and "<script" not in page, "no panel for a viewer"


def test_tokens_are_checked_at_load_and_kept_out_of_logs(tmp_path):
    config = config_for(f"sqlite:///{tmp_path / 'store.db'}")
    assert redaction.redact(f"Bearer {OPERATOR} {VIEWER} {LEGACY}") == "Bearer *** *** ***"
    assert {name: t.role for name, t in config.service.tokens.items()} == {"grafana": "viewer", "oncall": "operator"}
    from monitor.errors import ConfigError

    short = 'x = { token = "short", role = "operator" }'
    with pytest.raises(ConfigError, match=r"service.tokens.x.token: shorter than 16 characters") as caught:
        parse_config(f'[service]\n[service.tokens]\n{short}\n[sources.main]\nurl = "sqlite://"\n')
    assert "short" not in str(caught.value).replace("shorter", "")
    twice = f'a = {{ token = "{VIEWER}", role = "viewer" }}\nb = {{ token = "{VIEWER}", role = "operator" }}'
    with pytest.raises(ConfigError, match=r"tokens\.b: the same token as a; each name needs its own token"):
        parse_config(f'[service]\n[service.tokens]\n{twice}\n[sources.main]\nurl = "sqlite://"\n')
    role = f'a = {{ token = "{VIEWER}", role = "admin" }}'
    with pytest.raises(ConfigError, match="role"):
        parse_config(f'[service]\n[service.tokens]\n{role}\n[sources.main]\nurl = "sqlite://"\n')


def test_without_tokens_pages_stay_open_but_nobody_silences(tmp_path):
    config = config_for(f"sqlite:///{tmp_path / 'store.db'}")
    open_config = config.model_copy(
        update={"service": config.service.model_copy(update={"http_token": None, "tokens": {}})}
    )
    with listening(open_config) as (address, _):
        assert call(address, "GET", "/reports/credit/")[0] == 200
        assert "silence-form" not in call(address, "GET", "/reports/credit/")[1]
        status, refusal, _ = call(address, "POST", "/api/silences", body=SILENCE)
        assert status == 401 and "needs an operator token; add one under [service.tokens]" in refusal["error"]


def test_status_says_which_token_set_a_silence(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(config_text(f"sqlite:///{tmp_path / 'store.db'}"))
    with listening(load_config(path), clock=utc_now) as (address, _):
        assert call(address, "POST", "/api/silences", token=OPERATOR, body=SILENCE)[0] == 201
    status = drifthound("status", "-c", str(path))
    assert status.returncode == 0, status.stderr
    assert re.search(r'SILENCED credit: rule "drift" until \S+ \(set by oncall\): retraining', status.stdout), (
        status.stdout
    )


def test_behind_a_proxy_a_page_at_public_url_may_write(tmp_path):
    config = config_for(f"sqlite:///{tmp_path / 'store.db'}", 'public_url = "https://dh.example"')
    with listening(config) as (address, _):
        proxied = {"Origin": "https://dh.example", "Host": "127.0.0.1:1"}
        assert call(address, "POST", "/api/silences", token=OPERATOR, body=SILENCE, headers=proxied)[0] == 201
        elsewhere = {"Origin": "https://other.example", "Host": "127.0.0.1:1"}
        assert call(address, "POST", "/api/silences", token=OPERATOR, body=SILENCE, headers=elsewhere)[0] == 403
