"""The daemon's HTTP side in-process: health, the reports site, path safety, escaping, the API."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import socket
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.models import Alert
from monitor.config import parse_config
from monitor.figures import MetricRow
from monitor.service.prom import DaemonMetrics
from monitor.store import Store
from monitor.store.runs import RunOutcome, claim_window, finish_run
from monitor.web.compression import accepts_gzip
from monitor.web.http import HttpContext, HttpServer, safe_report_path, safe_static_path
from monitor.windows import Window

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
EVIL = '<img src=x onerror="alert(1)">'


def one_monitor_config(tmp_path, monitor: str, rules: str = ""):
    """A store in `tmp_path`, reports in `tmp_path / "reports"`, and one hourly monitor (with `rules`, TOML)."""
    return parse_config(f"""
[service]
store_url = "sqlite:///{tmp_path / "store.db"}"
reports_dir = "{tmp_path / "reports"}"
http_listen = "127.0.0.1:9999"
[sources.main]
url = "sqlite://"
[[monitors]]
name = "{monitor}"
source = "main"
table = "p"
timestamp_column = "ts"
every = "1h"
window = "1h"
reference = {{ last = "1d" }}
{rules}""")


@pytest.fixture
def site(tmp_path):
    reports = tmp_path / "reports"
    (reports / "credit").mkdir(parents=True)
    (reports / "credit" / "20261122T110000Z.html").write_text("<html>the report</html>")
    (reports / "credit" / "20261122T120000Z.html").write_text("<html>the newest report</html>")
    (reports / "credit" / "20261122T110000Z.json").write_text("{}")
    (reports / "_static" / "evidently-1-abc").mkdir(parents=True)
    (reports / "_static" / "evidently-1-abc" / "index.js").write_text("window.drawDashboard = () => 1;\n" * 100)
    (tmp_path / "secret.html").write_text("outside")
    os.symlink(tmp_path / "secret.html", reports / "credit" / "20261122T100000Z.html")
    config = one_monitor_config(tmp_path, "credit")
    store = Store(config.service.store_url)
    store.ensure_schema()
    record_hours(
        store,
        "credit",
        lambda hour: [
            MetricRow("drift.share", "", hour / 4),
            MetricRow("accuracy", "", 0.9 - hour / 10),
            MetricRow("accuracy", "", 0.123, segment="region=north"),
            MetricRow("drift.score", EVIL, 0.5),
        ],
    )
    with store.transaction() as session:
        session.add(
            Alert(
                monitor="credit",
                rule="column drift",
                column_name=EVIL,
                state="firing",
                severity="warning",
                metric="drift.score",
                value=0.5,
                threshold=0.2,
                op="above",
                breaches=1,
                clears=0,
                notified_firing=True,
                updated_at=NOW,
                since=NOW - timedelta(hours=1),
            )
        )
    with serving(config, store) as base:
        yield base, reports


def record_hours(
    store: Store, monitor: str, metrics_of: Callable[[int], list[MetricRow]], reports_dir: Path | None = None
) -> None:
    """Three ok runs, the hours before NOW, each with a report path and `metrics_of(hour)` (0 the oldest); with
    `reports_dir`, the report files too (the site links only reports that exist)."""
    for hour in range(3):
        window = Window(NOW - timedelta(hours=3 - hour), NOW - timedelta(hours=2 - hour))
        with store.session() as session:
            claim = claim_window(session, monitor=monitor, window=window, owner="t", now=NOW)
        with store.transaction() as session:
            finish_run(
                session,
                run_id=claim.run_id,
                owner="t",
                now=NOW,
                outcome=RunOutcome("ok", rows=100, report_path=f"{monitor}/{window.end:%Y%m%dT%H%M%SZ}.html"),
                metrics=metrics_of(hour),
            )
        if reports_dir is not None:
            (reports_dir / monitor).mkdir(parents=True, exist_ok=True)
            (reports_dir / monitor / f"{window.end:%Y%m%dT%H%M%SZ}.html").write_text("<html>a report</html>")


@contextmanager
def serving(config, store: Store) -> Iterator[str]:
    metrics = DaemonMetrics(store, lambda: config, lambda: NOW)
    server = HttpServer(
        "127.0.0.1:0",
        HttpContext(
            config=lambda: config,
            store=store,
            registry=metrics.registry,
            healthy=lambda: (True, "fine"),
            clock=lambda: NOW,
        ),
        timeout=1.0,
    )
    server.start()
    try:
        yield f"http://{server.address}"
    finally:
        server.stop()
        store.dispose()


def get(url: str) -> tuple[int, str, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def test_the_index_lists_monitors_with_trend_charts(site):
    base, _ = site
    status, body, headers = get(base + "/reports/")
    assert status == 200 and "text/html" in headers["Content-Type"]
    assert 'href="/reports/credit/"' in body and "<svg" in body and "drift share" in body
    assert "1 firing" in body and 'href="/reports/credit/20261122T120000Z.html"' in body
    assert "script" not in body.lower(), "our pages need no JavaScript"
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_the_monitor_page_charts_the_whole_window_not_a_segment(site):
    base, _ = site
    status, body, _ = get(base + "/reports/credit/")
    assert status == 200 and "0.9" in body and "0.123" not in body, "a segment's accuracy is not the window's"


@pytest.fixture
def quality_site(tmp_path):
    """A model with realized accuracy and f1, an estimated roc_auc with its band (realized once), and a rule with a
    fixed threshold on accuracy."""
    config = one_monitor_config(
        tmp_path, "model", '[[monitors.rules]]\nname = "accuracy floor"\nmetric = "accuracy"\nbelow = 0.75\n'
    )
    store = Store(config.service.store_url)
    store.ensure_schema()
    record_hours(
        store,
        "model",
        lambda hour: [
            MetricRow("drift.share", "", 0.1),
            MetricRow("accuracy", "", 0.9 - hour / 10),
            MetricRow("f1", "", 0.5 + hour / 10),
            MetricRow("estimated.roc_auc", "", 0.86 - hour / 20),
            MetricRow("estimated.roc_auc.reference_mean", "", 0.85),
            MetricRow("estimated.roc_auc.reference_std", "", 0.01),
            *([MetricRow("roc_auc", "", 0.87)] if hour == 0 else []),
        ],
        config.service.reports_dir,
    )
    with serving(config, store) as base:
        yield base


def charts_of(page: str) -> dict[str, str]:
    """Each chart on a page by its title (the aria-label a screen reader says)."""
    charts = re.findall(r'<svg class="chart[^"]*"[^>]*aria-label="([^"]*)".*?</svg>', page, re.S)
    bodies = re.findall(r'<svg class="chart.*?</svg>', page, re.S)
    return dict(zip(charts, bodies, strict=True))


def test_the_monitor_page_charts_every_quality_figure_with_its_rule_and_runs(quality_site):
    """One chart per quality figure stored (its estimate drawn with it, not apart), the fixed threshold of a rule on
    it as a labelled line, red points where the rule breaches, and each point opening its run's report."""
    status, body, _ = get(quality_site + "/reports/model/")
    assert status == 200
    charts = charts_of(body)
    quality = {title.split(":")[0]: svg for title, svg in charts.items() if ":" in title}
    assert sorted(quality) == ["accuracy", "f1", "roc_auc"], list(charts)
    assert not any(title.startswith("estimated.") for title in charts), "an estimate is drawn on its figure's chart"
    accuracy = quality["accuracy"]
    assert "rule: accuracy &lt; 0.75" in accuracy and "accuracy floor" in accuracy, "the rule's line, labelled"
    assert "rule:" not in quality["f1"] and "rule:" not in quality["roc_auc"], "a rule is drawn on its figure only"
    for name, svg in quality.items():
        points = re.findall(r'<a href="(/reports/model/\d+T\d+Z\.html)"><circle', svg)
        assert len(points) == len(set(points)) == 3, f"{name}: a point linking to each run"
    breaching = re.findall(r'class="hit"><title>[^<]*· ([\d.]+)</title>', accuracy)
    assert breaching and all(float(v) < 0.75 for v in breaching), "red where the rule breaches, and only there"
    roc_auc = quality["roc_auc"]
    assert "estimated" in next(t for t in charts if t.startswith("roc_auc:")) and 'class="band"' in roc_auc
    assert 'class="hit"' in roc_auc, "the estimate that left its band"
    assert re.search(r'<a href="/reports/model/[^"]+"><rect[^>]*class="realized"', roc_auc), "realized, linked"


def test_the_monitor_page_escapes_names_from_the_data(site):
    base, _ = site
    status, body, _ = get(base + "/reports/credit/")
    assert status == 200
    assert EVIL not in body and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in body
    linked = set(re.findall(r"/reports/credit/2026112\d+T\d+Z\.html", body))
    # The third run's report is a symlink out of reports_dir, never served: not linked either.
    assert len(linked) == 2, "a link to each served report (from its row, its chart points and heat map cells)"


def test_reports_are_served_and_nothing_else(site):
    base, _ = site
    status, body, headers = get(base + "/reports/credit/20261122T110000Z.html")
    assert (status, body) == (200, "<html>the report</html>")
    assert (
        "connect-src" not in headers["Content-Security-Policy"]
        and "default-src 'none'" in headers["Content-Security-Policy"]
    )
    assert get(base + "/reports/credit/20261122T110000Z.json")[0] == 200
    for path in (
        "/reports/../secret.html",
        "/reports/credit/../../secret.html",
        "/reports/%2e%2e/secret.html",
        "/reports/credit/%2e%2e%2f%2e%2e%2fsecret.html",
        "/reports//etc/passwd",
        "/reports/credit/20261122T100000Z.html",
        "/reports/credit/nope.html",
        "/reports/credit/x.txt",
        "/reports/%252e%252e/secret.html",
        "/reports/credit/..%5c..%5csecret.html",
    ):
        status, body, _ = get(base + path)
        assert status == 404 and "outside" not in body, path


def test_the_shared_scripts_are_served_for_good_and_nothing_beside_them(site):
    base, reports = site
    status, body, headers = get(base + "/reports/_static/evidently-1-abc/index.js")
    assert status == 200 and body == (reports / "_static" / "evidently-1-abc" / "index.js").read_text()
    assert headers["Content-Type"].startswith("text/javascript") and "immutable" in headers["Cache-Control"]
    (reports / "_static" / "notes.js").write_text("x")
    for path in (
        "/reports/_static/notes.js",
        "/reports/_static/evidently-1-abc/nope.js",
        "/reports/_static/evidently-1-abc/../../credit/20261122T110000Z.html",
        "/reports/_static/%2e%2e/credit/20261122T110000Z.json",
        "/reports/_static/evidently-1-abc/index.js/x.js",
        "/reports/_static/",
    ):
        assert get(base + path)[0] == 404, path


def test_safe_static_path_refuses_every_escape(tmp_path):
    root = tmp_path / "reports"
    (root / "_static" / "v").mkdir(parents=True)
    (root / "_static" / "v" / "index.js").write_text("x")
    (root / "m").mkdir()
    (root / "m" / "a.js").write_text("x")
    assert safe_static_path(root, "_static/v/index.js") == (root / "_static" / "v" / "index.js").resolve()
    for raw in ("m/a.js", "_static/../m/a.js", "_static/v/../../m/a.js", "_static/.v/index.js", "_static/v/a.html"):
        assert safe_static_path(root, raw) is None, raw


def test_answers_are_gzipped_only_for_clients_that_accept_it(site):
    base, reports = site
    script = (reports / "_static" / "evidently-1-abc" / "index.js").read_bytes()
    for path, expected in (("/reports/_static/evidently-1-abc/index.js", script), ("/reports/credit/", None)):
        plain = urllib.request.urlopen(urllib.request.Request(base + path), timeout=5)
        assert plain.headers["Vary"] == "Accept-Encoding" and plain.headers["Content-Encoding"] is None, path
        request = urllib.request.Request(base + path, headers={"Accept-Encoding": "br;q=1, gzip;q=0.5"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.headers["Content-Encoding"] == "gzip" and response.headers["Vary"] == "Accept-Encoding"
            body = gzip.decompress(response.read())
        assert body == (expected if expected is not None else plain.read()), path
    refused = urllib.request.Request(base + "/reports/credit/", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert urllib.request.urlopen(refused, timeout=5).headers["Content-Encoding"] is None


@pytest.mark.parametrize(
    ("header", "gzip_ok"),
    [
        ("gzip", True),
        ("GZIP, deflate", True),
        ("x-gzip", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip;q=0.0, *", False),
        ("*;q=0", False),
        ("br, deflate", False),
        ("", False),
        ("identity", False),
    ],
)
def test_accept_encoding_is_read_as_rfc_9110_says(header, gzip_ok):
    assert accepts_gzip(header) is gzip_ok


def test_safe_report_path_refuses_every_escape(tmp_path):
    root = tmp_path / "reports"
    (root / "m").mkdir(parents=True)
    (root / "m" / "a.html").write_text("x")
    assert safe_report_path(root, "m/a.html") == (root / "m" / "a.html").resolve()
    for raw in ("../m/a.html", "m/../m/a.html", "/m/a.html", "m%2f..%2fa.html", ".m/a.html", "m/a.html\0", "m\\a.html"):
        assert safe_report_path(root, raw) is None, raw


def test_health_readiness_metrics_and_the_api(site):
    base, _ = site
    assert get(base + "/healthz")[:2] == (200, "ok: fine\n")
    assert get(base + "/readyz")[:2] == (200, "ready\n")
    status, body, _ = get(base + "/metrics")
    assert status == 200 and 'drifthound_alerts{monitor="credit",state="firing"} 1.0' in body
    status, body, _ = get(base + "/api/monitors/credit/metrics?metric=drift.share")
    assert status == 200 and body.count('"drift.share"') == 3
    assert get(base + "/api/monitors/nope/metrics")[0] == 404
    assert get(base + "/api/monitors/credit/metrics?since=yesterday")[0] == 400
    assert get(base + "/reports/nope/")[0] == 404
    assert get(base + "/nothing")[0] == 404


def test_readers_do_not_wait_for_a_writer_holding_the_sqlite_write_lock(site, tmp_path):
    base, _ = site
    writer = sqlite3.connect(tmp_path / "store.db", timeout=0, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # what a finishing run holds; WAL lets readers go on beside it
    try:
        for path in ("/readyz", "/metrics", "/api/monitors/credit/metrics", "/reports/", "/reports/credit/"):
            started = time.monotonic()
            status = get(base + path)[0]
            assert status == 200 and time.monotonic() - started < 2, path
        assert "drifthound_store_up 1.0" in get(base + "/metrics")[1]
    finally:
        writer.rollback()
        writer.close()


def test_readyz_says_not_ready_when_the_store_is_gone(tmp_path):
    config = parse_config(f'[service]\nstore_url = "sqlite:///{tmp_path / "gone" / "s.db"}"\n')
    store = Store(config.service.store_url)
    (tmp_path / "gone").rmdir()
    server = HttpServer(
        "127.0.0.1:0",
        HttpContext(
            config=lambda: config, store=store, registry=None, healthy=lambda: (True, "fine"), clock=lambda: NOW
        ),
    )
    server.start()
    try:
        status, body, _ = get(f"http://{server.address}/readyz")
        assert status == 503 and body.startswith("not ready: the store does not answer")
    finally:
        server.stop()


def test_a_client_that_sends_nothing_more_is_cut_off_while_others_are_served(tmp_path):
    config = parse_config(f'[service]\nstore_url = "sqlite:///{tmp_path / "s.db"}"\n')
    context = HttpContext(
        config=lambda: config,
        store=Store(config.service.store_url),
        registry=None,
        healthy=lambda: (True, "fine"),
        clock=lambda: NOW,
    )
    server = HttpServer("127.0.0.1:0", context, timeout=0.5)
    server.start()
    host, port = server.address.split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=5) as idle:
            idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the blank line that ends it
            assert get(f"http://{server.address}/healthz")[0] == 200, "others are served meanwhile"
            started = time.monotonic()
            assert idle.recv(1024) == b"", "the server hung up"
            assert time.monotonic() - started < 3
        assert get(f"http://{server.address}/healthz")[0] == 200
    finally:
        server.stop()
        context.store.dispose()


def test_a_slow_reader_still_gets_a_large_report_whole(site):
    """The timeout bounds a stall, not the time a large Evidently report takes to download."""
    base, reports = site
    (reports / "credit" / "20261122T090000Z.html").write_bytes(b"x" * 6_000_000)
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as client:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        client.sendall(b"GET /reports/credit/20261122T090000Z.html HTTP/1.0\r\n\r\n")
        received = 0
        started = time.monotonic()
        while chunk := client.recv(65536):
            received += len(chunk)
            time.sleep(0.05)  # at most 1.3 MB/s: beyond what the kernel buffers, seconds
    assert received > 6_000_000 and time.monotonic() - started > 1.5, "longer than the server's 1 s timeout"


def test_head_answers_every_get_route_without_a_body(site):
    base, _ = site
    host, port = base.removeprefix("http://").split(":")

    def ask(method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(host, int(port), timeout=5)
        try:
            connection.request(method, path, headers=headers)
            response = connection.getresponse()
            headers = {k: v for k, v in response.getheaders() if k != "Date"}
            return response.status, headers, response.read()
        finally:
            connection.close()

    for path in (
        "/healthz",
        "/readyz",
        "/metrics",
        "/",
        "/reports/",
        "/reports/credit/",
        "/reports/credit/20261122T110000Z.html",
        "/reports/credit/nope.html",
        "/reports/_static/evidently-1-abc/index.js",
        "/api/monitors",
        "/api/monitors/credit/metrics?metric=drift.share",
        "/api/monitors/nope/metrics",
        "/nothing",
    ):
        for headers in ({}, {"Accept-Encoding": "gzip"}):
            got, head = ask("GET", path, headers), ask("HEAD", path, headers)
            assert head[:2] == got[:2], (path, headers)
            assert head[2] == b"", (path, headers)


def test_the_metrics_api_keeps_the_newest_whole_windows_within_its_limit_and_says_what_it_left_out(site):
    base, _ = site
    status, body, headers = get(base + "/api/monitors/credit/metrics")
    everything = json.loads(body)
    assert status == 200 and len(everything) == 12 and headers["X-DriftHound-Truncated"] == "false"
    assert "Link" not in headers
    pages, url = [], base + "/api/monitors/credit/metrics?limit=4"
    while url:
        status, body, headers = get(url)
        assert status == 200
        pages.append(json.loads(body))
        link = headers.get("Link")
        assert headers["X-DriftHound-Truncated"] == ("true" if link else "false")
        url = base + link[1 : link.index(">")] if link else ""
    assert [len(page) for page in pages] == [4, 4, 4], "whole windows, newest first, 4 figures each (one a segment's)"
    assert [row for page in reversed(pages) for row in page] == everything, "following the links, nothing is missed"
    assert pages[0][0]["window_end"] == "2026-11-22T12:00:00Z"
    status, body, headers = get(base + "/api/monitors/credit/metrics?limit=2&metric=drift.share")
    assert [row["window_end"] for row in json.loads(body)] == ["2026-11-22T11:00:00Z", "2026-11-22T12:00:00Z"]
    assert headers["X-DriftHound-Truncated"] == "true" and "metric=drift.share" in headers["Link"]
    status, body, _ = get(base + "/api/monitors/credit/metrics?limit=2")
    assert len(json.loads(body)) == 2, "a window larger than the limit is cut rather than left out"
    for bad in ("0", "-1", "ten", "1.5", "10001"):
        status, body, _ = get(base + f"/api/monitors/credit/metrics?limit={bad}")
        assert status == 400 and "limit" in json.loads(body)["error"], bad
    assert get(base + "/api/monitors/credit/metrics?until=soon")[0] == 400
