"""A demo run's report on disk and over HTTP: small, its Evidently scripts shared beside it, gzipped when asked."""

from __future__ import annotations

import gzip
import re
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

import pytest

from monitor.reports import served_report

pytestmark = pytest.mark.e2e

MAX_REPORT = 600 * 1024


def script_of(report: Path) -> str:
    sources = re.findall(r'<script src="([^"]+)"', report.read_text())
    assert len(sources) == 1, sources
    return sources[0]


def fetch(url: str, accept_encoding: str | None) -> tuple[dict[str, str], bytes]:
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
        return dict(response.headers), response.read()


def test_a_demo_report_is_small_and_finds_its_scripts_by_a_relative_path(served_demo):
    for report in served_demo.reports:
        assert report.stat().st_size <= MAX_REPORT, f"{report.name}: {report.stat().st_size:,} bytes"
        source = script_of(report)
        assert not source.startswith(("/", "http:", "https:")), "a relative path: the report opens from the folder"
        script = (report.parent / source).resolve()
        assert script.is_file() and script.is_relative_to(served_demo.directory / "reports" / "_static")
        assert script.stat().st_size > 1_000_000, "Evidently's scripts, whole"
    assert {script_of(r) for r in served_demo.reports} == {script_of(served_demo.reports[0])}, "one copy for all"


def test_the_daemon_serves_report_and_script_gzipped_when_asked(served_demo):
    report = served_demo.reports[1]
    report_url = f"{served_demo.base}/reports/credit-scoring/{report.name}"
    script_url = urljoin(report_url, script_of(report))
    script = (report.parent / script_of(report)).resolve()
    # A report is served with its neighbours' links filled in (monitor.report_nav); the script as it is.
    for url, file, expected in ((report_url, report, served_report(report)), (script_url, script, script.read_bytes())):
        plain_headers, plain = fetch(url, None)
        assert "Content-Encoding" not in plain_headers and plain == expected, url
        headers, body = fetch(url, "gzip, deflate, br")
        assert headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding", url
        assert int(headers["Content-Length"]) == len(body) < file.stat().st_size * 0.7, url
        assert gzip.decompress(body) == expected, url
