"""Prometheus and Alertmanager from Debian's packages, started on loopback for a test, with their own folders."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.e2e.daemon import free_port

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")


def require(binary: str | None, package: str) -> str:
    if binary is None:
        message = f"{package} is not installed (apt-get install {package})"
        if IN_CI:
            pytest.fail(message + "; CI must run these tests", pytrace=False)
        pytest.skip(message)
    return binary


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def post_json(url: str, body: object) -> object:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        text = response.read()
        return json.loads(text) if text else None


def wait_for(check, timeout: float, what: str, process: subprocess.Popen | None = None, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the process exited\n{log.read_text()[-2000:] if log else ''}")
        try:
            result = check()
            if result:
                return result
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}\n{log.read_text()[-2000:] if log else ''}")


class Service:
    def __init__(self, args: list[str], directory: Path, port: int, name: str) -> None:
        self.port, self.directory = port, directory
        self.log = directory / f"{name}.log"
        self._log = self.log.open("w")
        self.process = subprocess.Popen(args, stdout=self._log, stderr=self._log, cwd=directory)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()


def start_alertmanager(directory: Path, receiver_url: str) -> Service:
    binary = require(ALERTMANAGER, "prometheus-alertmanager")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "alertmanager.yml").write_text(f"""
route:
  receiver: hook
  group_by: [alertname, monitor]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: {receiver_url}
        send_resolved: true
""")
    port = free_port()
    service = Service(
        [
            binary,
            f"--config.file={directory / 'alertmanager.yml'}",
            f"--storage.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        directory,
        port,
        "alertmanager",
    )
    wait_for(lambda: get_json(service.url + "/api/v2/status"), 30, "Alertmanager", service.process, service.log)
    return service


def start_prometheus(directory: Path, target: str, rules: Path | None = None) -> Service:
    binary = require(PROMETHEUS, "prometheus")
    directory.mkdir(parents=True, exist_ok=True)
    rule_files = f"rule_files: ['{rules}']" if rules else ""
    (directory / "prometheus.yml").write_text(f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
{rule_files}
scrape_configs:
  - job_name: drifthound
    static_configs:
      - targets: ['{target}']
""")
    port = free_port()
    service = Service(
        [
            binary,
            f"--config.file={directory / 'prometheus.yml'}",
            f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        directory,
        port,
        "prometheus",
    )
    wait_for(
        lambda: (
            get_json(service.url + "/-/ready")
            if False
            else urllib.request.urlopen(service.url + "/-/ready", timeout=2).status == 200
        ),
        60,
        "Prometheus",
        service.process,
        service.log,
    )
    return service


def query(prometheus: Service, expr: str) -> list[dict]:
    url = prometheus.url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    answer = get_json(url)
    assert answer["status"] == "success", answer  # type: ignore[index]
    return answer["data"]["result"]  # type: ignore[index]
