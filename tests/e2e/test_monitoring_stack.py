"""DriftHound with the monitoring stack people already run: real Alertmanager and Prometheus (Debian's),
promtool's checks, and every Grafana panel's query answered from a real scrape of a real daemon."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.alert_world import World, config_for
from tests.e2e.daemon import Daemon, free_port, live_config, write_live_log
from tests.e2e.stack import PROMTOOL, get_json, post_json, query, require, start_alertmanager, start_prometheus
from tests.receivers import Receiver

pytestmark = pytest.mark.e2e

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_promtool_accepts_the_rules_their_tests_and_the_scrape_config():
    promtool = require(PROMTOOL, "prometheus")
    for args in (
        ["check", "rules", "drifthound-rules.yml"],
        ["test", "rules", "drifthound-rules.test.yml"],
        ["check", "config", "prometheus.yml"],
    ):
        result = subprocess.run(
            [promtool, *args], cwd=DEPLOY / "prometheus", capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, (args, result.stdout, result.stderr)


@pytest.fixture
def alertmanager(tmp_path, httpserver):
    receiver = Receiver(httpserver, "/am")
    service = start_alertmanager(tmp_path / "alertmanager", receiver.url)
    yield service, receiver
    service.stop()


def am_alerts(service, **filters) -> list[dict]:
    params = "&".join(f"{k}={str(v).lower()}" for k, v in filters.items())
    return get_json(f"{service.url}/api/v2/alerts?{params}")  # type: ignore[return-value]


def test_alertmanager_shows_resolves_and_silences_drifthounds_alerts(tmp_path, alertmanager):
    service, receiver = alertmanager
    url = f"sqlite:///{tmp_path / 'store.db'}"
    channel = f'[channels.am]\ntype = "alertmanager"\nurl = "{service.url}"\ntimeout = "5s"\n'
    world = World(url, config_for(url, accuracy_channels='["am"]', extra_channels=channel))
    world.clock.now = datetime.now(UTC)  # Alertmanager judges endsAt by its own clock
    deliverer = world.deliverer()

    world.run(1, accuracy=0.5)
    assert deliverer.drain(10) == 0
    [alert] = am_alerts(service, active=True)
    assert alert["labels"] == {
        "alertname": "accuracy low",
        "monitor": "credit",
        "rule": "accuracy low",
        "severity": "warning",
    }
    assert alert["annotations"]["value"] == "0.5" and alert["annotations"]["threshold"] == "0.7"
    assert alert["generatorURL"] == "http://drifthound.test:9308/reports/credit/1.html"
    assert datetime.fromisoformat(alert["endsAt"].replace("Z", "+00:00")) > datetime.now(UTC) + timedelta(hours=1)
    sent = receiver.arrived.wait(20)
    assert sent and receiver.bodies[0]["status"] == "firing"
    assert receiver.bodies[0]["alerts"][0]["labels"]["monitor"] == "credit"

    world.run(2, accuracy=0.9)
    assert deliverer.drain(10) == 0
    time.sleep(3)
    assert am_alerts(service, active=True) == [], "resolved in Alertmanager"
    assert any(body["status"] == "resolved" for body in receiver.bodies), "and its receiver was told"

    post_json(
        f"{service.url}/api/v2/silences",
        {
            "matchers": [{"name": "monitor", "value": "credit", "isRegex": False, "isEqual": True}],
            "startsAt": datetime.now(UTC).isoformat(),
            "endsAt": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
            "createdBy": "test",
            "comment": "retraining",
        },
    )
    pages_before = len(receiver.bodies)
    world.run(3, accuracy=0.4)
    assert deliverer.drain(10) == 0
    time.sleep(3)
    [silenced] = am_alerts(service, silenced=True, active=False)
    assert silenced["status"]["state"] == "suppressed" and silenced["labels"]["monitor"] == "credit"
    assert len(receiver.bodies) == pages_before, "the silence keeps the page from the receiver"


def test_prometheus_scrapes_the_daemon_and_answers_every_dashboard_query(tmp_path):
    source = f"sqlite:///{tmp_path / 'live.db'}"
    write_live_log(source)
    port = free_port()
    rule = '[[monitors.rules]]\nname = "column drift"\nmetric = "drift.score"\ncolumn = "age"\nabove = 5.0\n'
    config = live_config(
        tmp_path,
        store_url=f"sqlite:///{tmp_path / 'store.db'}",
        source_url=source,
        port=port,
        every="10s",
        extra=rule,
    )
    # Segments and a protected attribute, for the dashboard's panels of them (50 rows a group in 10 s).
    config.write_text(
        config.read_text().replace(
            "min_rows = 20", 'min_rows = 20\nsegments = ["region"]\nprotected_attributes = ["region"]', 1
        )
    )
    daemon = Daemon(config, port)
    prometheus = None
    try:
        daemon.wait_ready()
        prometheus = start_prometheus(
            tmp_path / "prometheus", f"127.0.0.1:{port}", rules=DEPLOY / "prometheus" / "drifthound-rules.yml"
        )
        daemon.wait_until(lambda: query(prometheus, "drifthound_runs_total"), 60, "a scrape with runs")
        time.sleep(12)  # rate() and increase() need a few scrapes
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            scraped = response.read()
        checked = subprocess.run(
            [require(PROMTOOL, "prometheus"), "check", "metrics"], input=scraped, capture_output=True, check=False
        )
        assert checked.returncode == 0, checked.stderr.decode() + checked.stdout.decode()
        dashboard = json.loads((DEPLOY / "grafana" / "drifthound-dashboard.json").read_text())
        assert dashboard["panels"] and dashboard["templating"]["list"][1]["name"] == "monitor"
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                expr = target["expr"].replace("$monitor", ".*").replace("$segment", ".*")
                assert query(prometheus, expr), f"panel {panel['title']!r}: no data for {expr}"
        assert query(prometheus, 'drifthound_latest_column_drift_score{column="age"}'), "the column a rule names"
        assert not query(prometheus, 'drifthound_latest_column_drift_score{column="income"}'), "and only that one"
        rules = get_json(prometheus.url + "/api/v1/rules")
        assert {r["name"] for g in rules["data"]["groups"] for r in g["rules"]} >= {"DriftHoundMonitorStale"}
    finally:
        if prometheus is not None:
            prometheus.stop()
        daemon.stop()
