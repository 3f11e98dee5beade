"""HTTPS on the listener: a client trusting the test's CA gets the pages; plain HTTP is refused unanswered."""

from __future__ import annotations

import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from monitor.config import parse_config
from monitor.errors import ConfigError
from monitor.figures import MetricRow
from monitor.service.prom import DaemonMetrics
from monitor.store import Store
from monitor.web.http import HttpContext, HttpServer
from monitor.web.tls import server_context
from tests.certificates import make_certificates
from tests.e2e.cli import drifthound
from tests.integration.test_http import NOW, one_monitor_config, record_hours


@contextmanager
def https_site(tmp_path) -> Iterator[tuple[str, object]]:
    certificates = make_certificates(tmp_path / "tls")
    config = one_monitor_config(tmp_path, "credit")
    store = Store(config.service.store_url)
    store.ensure_schema()
    record_hours(store, "credit", lambda hour: [MetricRow("drift.share", "", hour / 4)])
    server = HttpServer(
        "127.0.0.1:0",
        HttpContext(
            config=lambda: config,
            store=store,
            registry=DaemonMetrics(store, lambda: config, lambda: NOW).registry,
            healthy=lambda: (True, "fine"),
            clock=lambda: NOW,
        ),
        timeout=2.0,
        tls=server_context(certificates.cert_file, certificates.key_file),
    )
    server.start()
    try:
        yield server, certificates
    finally:
        server.stop()
        store.dispose()


def curl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["curl", "--silent", "--show-error", "--max-time", "5", *args], capture_output=True, text=True
    )


def test_curl_trusting_the_ca_gets_the_pages_over_https(tmp_path):
    with https_site(tmp_path) as (server, certificates):
        assert server.url.startswith("https://")
        page = curl("--cacert", str(certificates.ca_file), "--write-out", "%{http_code}", f"{server.url}/reports/")
        assert page.returncode == 0, page.stderr
        assert page.stdout.endswith("200") and "credit" in page.stdout
        health = curl("--cacert", str(certificates.ca_file), f"{server.url}/healthz")
        assert health.stdout == "ok: fine\n"
        untrusted = curl(f"{server.url}/healthz")
        assert untrusted.returncode == 60, "without the CA, curl refuses the certificate: it is real TLS"
        with httpx.Client(verify=ssl.create_default_context(cafile=certificates.ca_file)) as client:
            assert client.get(f"{server.url}/reports/credit/").status_code == 200


def test_plain_http_on_the_https_listener_is_refused_not_answered(tmp_path):
    with https_site(tmp_path) as (server, _):
        plain = curl(f"http://{server.address}/healthz")
        assert plain.returncode != 0 and plain.stdout == "", "no HTTP answer at all"
        host, port = server.address.rsplit(":", 1)
        with socket.create_connection((host, int(port))) as raw:
            raw.settimeout(5)
            raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                answer = raw.recv(4096)
            except ConnectionResetError:
                answer = b""
        assert b"HTTP/" not in answer and b"ok" not in answer, answer


def test_a_client_that_never_shakes_hands_does_not_hold_up_the_others(tmp_path):
    with https_site(tmp_path) as (server, certificates):
        host, port = server.address.rsplit(":", 1)
        with socket.create_connection((host, int(port))):
            started = time.monotonic()
            answer = curl("--cacert", str(certificates.ca_file), f"{server.url}/healthz")
            assert answer.stdout == "ok: fine\n", answer.stderr
            assert time.monotonic() - started < 1.5, "served while the silent handshake waits in its own thread"


def service_with(tmp_path, lines: str):
    return parse_config(f"""
[service]
store_url = "sqlite:///{tmp_path / "store.db"}"
{lines}
[sources.main]
url = "sqlite://"
""")


def test_tls_needs_both_files(tmp_path):
    with pytest.raises(ConfigError, match="tls_cert_file is set but tls_key_file is not: set both"):
        service_with(tmp_path, 'tls_cert_file = "server.crt"')
    with pytest.raises(ConfigError, match="tls_key_file is set but tls_cert_file is not"):
        service_with(tmp_path, 'tls_key_file = "server.key"')
    both = service_with(tmp_path, 'tls_cert_file = "a.crt"\ntls_key_file = "a.key"\npublic_url = "https://dh.example"')
    assert both.service.tls and both.service.base_url == "https://dh.example", "links follow public_url"
    assert service_with(tmp_path, 'tls_cert_file = "a.crt"\ntls_key_file = "a.key"').service.base_url.startswith(
        "https://127.0.0.1:"
    )


def test_config_check_loads_the_certificate_and_key(tmp_path):
    certificates = make_certificates(tmp_path / "tls")
    config = tmp_path / "config.toml"
    base = f'[service]\nstore_url = "sqlite:///{tmp_path / "store.db"}"\ntls_cert_file = "tls/server.crt"\n'
    config.write_text(base + 'tls_key_file = "tls/server.key"\n[sources.main]\nurl = "sqlite://"\n')
    good = drifthound("config", "check", "-c", str(config))
    assert good.returncode == 0, good.stdout + good.stderr
    assert f"ok    TLS: {certificates.cert_file} and {certificates.key_file} load" in good.stdout
    config.write_text(base + 'tls_key_file = "tls/ca.crt"\n[sources.main]\nurl = "sqlite://"\n')
    wrong = drifthound("config", "check", "-c", str(config))
    assert wrong.returncode == 1 and "FAIL  TLS: [service] tls_cert_file, tls_key_file: cannot load" in wrong.stdout
    key = serialization.load_pem_private_key(certificates.key_file.read_bytes(), password=None)
    locked = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    )
    (tmp_path / "tls" / "locked.key").write_bytes(locked)
    config.write_text(base + 'tls_key_file = "tls/locked.key"\n[sources.main]\nurl = "sqlite://"\n')
    encrypted = drifthound("config", "check", "-c", str(config), timeout=60)
    assert encrypted.returncode == 1 and "unencrypted" in encrypted.stdout, "refused, never asking for a passphrase"
    config.write_text(base + 'tls_key_file = "tls/missing.key"\n[sources.main]\nurl = "sqlite://"\n')
    missing = drifthound("config", "check", "-c", str(config))
    assert missing.returncode == 1 and "missing.key: no such file" in missing.stdout, missing.stdout
