"""Security drill: every `${ENV}` value of a config, and every credential written in it literally (a webhook
URL's query, a header's token), is searched for in everything a daemon produces (its logs, the store's rows,
reports, pages, notification bodies, `status` and errors), on SQLite and PostgreSQL stores. (Path traversal:
tests/integration/test_http.py; tokens and roles: tests/integration/test_roles.py, tests/e2e/test_daemon.py;
a read-only query source: tests/integration/test_sources.py; signatures and replays:
tests/unit/test_notifications.py.)"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from tests.e2e.cli import drifthound
from tests.e2e.daemon import Daemon, free_port, live_config, write_live_log
from tests.receivers import Echo, Receiver

pytestmark = pytest.mark.e2e

SECRETS = {
    "DH_TOKEN": "tok-9f2c1e7a-http",
    "DH_OPERATOR": "op-4a1f9c2e-operator-token",
    "HOOK_SECRET": "hmac-51d0c3b8-hook",
    "SLACK_PATH": "T000-B000-slk7e4a2c9",
    "BROKEN_PW": "pw-77b3e1d4-broken",
}
# Written in the config file itself, on a channel whose receiver refuses and quotes the request back.
LITERAL_SECRETS = {"QUERY_TOKEN": "qt-3e8d0a7f-query", "HEADER_TOKEN": "ht-5c2b9e1a-bearer"}


def everything_in_the_store(store_url: str) -> str:
    """Every value of every row of every table, as text."""
    engine = sa.create_engine(store_url)
    parts = []
    try:
        with engine.connect() as connection:
            for table in sa.inspect(engine).get_table_names():
                for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
                    parts.append(" ".join(str(value) for value in row))
    finally:
        engine.dispose()
    return "\n".join(parts)


def silence_as_operator(url: str, token: str) -> str:
    body = json.dumps({"monitor": "live-0", "for": "1h", "reason": "drill"}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with urllib.request.urlopen(urllib.request.Request(url, body, headers, method="POST"), timeout=10) as answer:
        assert answer.status == 201
        return answer.read().decode()


def test_no_secret_reaches_logs_rows_reports_pages_or_payloads(tmp_path, database_url):
    source = f"sqlite:///{tmp_path / 'live.db'}"
    write_live_log(source)
    with HTTPServer(host="127.0.0.1") as server:
        hook = Receiver(server, secret=SECRETS["HOOK_SECRET"])
        slack = Receiver(server, path=f"/services/{SECRETS['SLACK_PATH']}")
        Echo(server, "/echo")
        port = free_port()
        config = live_config(
            tmp_path,
            store_url=database_url,
            source_url=source,
            port=port,
            catch_up="30s",
            extra_service='http_token = "${DH_TOKEN}"\n'
            '[service.tokens]\noncall = { token = "${DH_OPERATOR}", role = "operator" }',
        )
        broken_source = "postgresql+psycopg://app:${BROKEN_PW}@127.0.0.1:1/nowhere"
        config.write_text(
            config.read_text()
            + f"""
[[monitors.rules]]
name = "busy"
metric = "rows"
above = 10
channels = ["hook", "slack", "echo"]

[sources.broken]
url = "{broken_source}"

[[monitors]]
name = "unreachable"
source = "broken"
table = "predictions"
timestamp_column = "ts"
numerical_features = ["age"]
every = "10s"
window = "10s"
reference = {{ last = "5m" }}

[channels.hook]
type = "webhook"
url = "{hook.url}"
secret = "${{HOOK_SECRET}}"

[channels.slack]
type = "slack"
webhook_url = "{server.url_for("/services/")}${{SLACK_PATH}}"

[channels.echo]
type = "webhook"
url = "{server.url_for("/echo")}?token={LITERAL_SECRETS["QUERY_TOKEN"]}&x=1"
headers = {{ Authorization = "Bearer {LITERAL_SECRETS["HEADER_TOKEN"]}" }}
"""
        )
        daemon = Daemon(config, port, "security", env=SECRETS)
        auth = {"Authorization": f"Bearer {SECRETS['DH_TOKEN']}"}
        try:
            daemon.wait_until(lambda: hook.bodies and slack.bodies, 120, "notifications on both channels")
            daemon.wait_until(
                lambda: "cannot connect" in daemon.get("/reports/unreachable/", auth)[1],
                60,
                "the broken source failing",
            )
            time.sleep(2)
            pages = [daemon.get(path, auth)[1] for path in ("/healthz", "/readyz", "/metrics", "/reports/")]
            pages += [daemon.get(f"/reports/{m}/", auth)[1] for m in ("live-0", "unreachable")]
            api = daemon.get("/api/monitors", auth)[1]
            pages.append(api)
            pages.append(silence_as_operator(daemon.url("/api/silences"), SECRETS["DH_OPERATOR"]))
            operator = {"Authorization": f"Bearer {SECRETS['DH_OPERATOR']}"}
            pages += [daemon.get(path, operator)[1] for path in ("/reports/live-0/", "/api/silences")]
            status = drifthound("status", "-c", str(config), env=SECRETS)
            check = drifthound("check", "-c", str(config), "-m", "unreachable", "-v", env=SECRETS)
            assert daemon.stop() == 0
        finally:
            if daemon.process.poll() is None:
                daemon.kill()
    produced = {
        "daemon log": daemon.log_text(),
        "store rows": everything_in_the_store(database_url),
        "reports": "\n".join(p.read_text(errors="replace") for p in (tmp_path / "reports").rglob("*") if p.is_file()),
        "pages": "\n".join(pages),
        "webhook bodies": json.dumps(hook.bodies),
        "slack bodies": json.dumps(slack.bodies),
        "status": status.stdout + status.stderr,
        "check errors": check.stdout + check.stderr,
    }
    assert "cannot connect" in produced["check errors"] and "unreachable" in produced["store rows"]
    assert "POST /echo?token=***&x=1" in produced["status"], "the echoing receiver's refusal, masked"
    assert hook.bad_signatures == 0 and len(produced["reports"]) > 10_000
    assert '"created_by": "oncall"' in produced["pages"], "the silence names its token, not the token itself"
    for where, text in produced.items():
        for name, secret in {**SECRETS, **LITERAL_SECRETS}.items():
            assert secret not in text, f"{name} found in {where}"
