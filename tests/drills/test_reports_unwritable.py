"""Reports not writable: the daemon keeps storing figures and sending alerts, and records why each report
is missing; once the folder is usable again, reports come back by themselves."""

from __future__ import annotations

import shutil

import pytest
from pytest_httpserver import HTTPServer

from tests.e2e.daemon import Daemon, free_port, live_config, write_live_log
from tests.receivers import Receiver

pytestmark = pytest.mark.e2e

RULE_AND_HOOK = """
[[monitors.rules]]
name = "busy"
metric = "rows"
above = 10
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{url}"
"""


def run_rows(store_url: str) -> list[dict]:
    import sqlalchemy as sa

    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT r.window_end, r.status, r.report_path, r.report_error, "
                    "(SELECT count(*) FROM metric_values m WHERE m.run_id = r.id) AS figures "
                    "FROM runs r ORDER BY r.window_end"
                )
            )
            return [dict(row) for row in rows.mappings()]
    except sa.exc.DBAPIError:  # not created yet
        return []
    finally:
        engine.dispose()


def test_reports_that_cannot_be_written_lose_no_figure_and_no_alert(tmp_path, database_url):
    source = f"sqlite:///{tmp_path / 'live.db'}"
    write_live_log(source)
    with HTTPServer(host="127.0.0.1") as server:
        receiver = Receiver(server)
        port = free_port()
        config = live_config(tmp_path, store_url=database_url, source_url=source, port=port, catch_up="30s")
        config.write_text(config.read_text() + RULE_AND_HOOK.format(url=receiver.url))
        reports = tmp_path / "reports"
        reports.write_text("a file where the reports folder should be")
        daemon = Daemon(config, port, "reports")
        try:
            daemon.wait_until(lambda: len([r for r in run_rows(database_url) if r["status"] == "ok"]) >= 3, 120, "runs")
            daemon.wait_until(lambda: receiver.bodies, 60, "the alert, sent all the same")
            unwritten = [r for r in run_rows(database_url) if r["status"] == "ok"]
            assert all(r["report_path"] is None and r["figures"] > 10 for r in unwritten)
            assert all("cannot write the report" in r["report_error"] for r in unwritten)
            assert daemon.events("report.failed")
            assert receiver.bodies[0]["report_url"] is None

            reports.unlink()  # the folder is usable again (DriftHound makes it)
            written_before = len(unwritten)
            daemon.wait_until(
                lambda: any(r["report_path"] for r in run_rows(database_url)[written_before:]), 60, "reports again"
            )
            shutil.rmtree(reports)
            reports.write_text("gone again")  # and the folder disappears under a running daemon
            count = len(run_rows(database_url))
            daemon.wait_until(
                lambda: any(r["report_error"] for r in run_rows(database_url)[count:]), 60, "failure recorded again"
            )
            assert daemon.process.poll() is None
            assert daemon.stop() == 0
        finally:
            if daemon.process.poll() is None:
                daemon.kill()
