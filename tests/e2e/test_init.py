"""`drifthound init` through the installed command: on the demo's table, on a log with identifiers, free text and
a JSON vector (SQLite and PostgreSQL), and on a shop log with a daily cycle. What it writes, `config check`
accepts and `check` evaluates; on the cycle it proposes a seasonal reference. And the monitor page shows the
cycle warning `config check` gives, from what the run stored."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.cycles import shop_log, shop_monitor
from tests.e2e.cli import drifthound
from tests.e2e.daemon import Daemon, free_port
from tests.e2e.test_real_logs import END, HOURS, PER_HOUR, newcomers_log
from tests.helpers import write_table

pytestmark = pytest.mark.e2e


def _init(*args: str, env: dict[str, str] | None = None):
    result = drifthound("init", *args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _checked(config, env: dict[str, str] | None = None) -> str:
    result = drifthound("config", "check", "-c", str(config), env=env)
    assert result.returncode == 0 and "FAIL" not in result.stdout, result.stdout + result.stderr
    return result.stdout


def _monitor(config) -> dict:
    [monitor] = tomllib.loads(config.read_text())["monitors"]
    return monitor


def test_init_on_the_demo_table_writes_a_monitor_that_runs(demo_data, tmp_path):
    config = tmp_path / "monitor.toml"
    done = _init("--source", f"sqlite:///{demo_data / 'predictions.db'}", "--table", "predictions", "-o", str(config))
    assert f"wrote {config}" in done.stderr and "next: drifthound config check" in done.stderr
    text = config.read_text()
    monitor = _monitor(config)
    assert monitor["timestamp_column"] == "ts" and monitor["prediction_column"] == "score"
    assert set(monitor["numerical_features"]) == {
        "age",
        "income",
        "credit_score",
        "debt_ratio",
        "tenure_months",
        "num_accounts",
    }
    assert {"region", "channel", "product"} <= set(monitor["categorical_features"])
    # The key and the model's decision are no features; each role says why.
    assert "#   id: identifier, the table's primary key" in text
    assert "approved" not in monitor["numerical_features"] + monitor["categorical_features"]
    assert re.search(r'"income",\s+# numbers \([\d,]+ distinct values in the sample\)', text)
    # About 2,000 rows an hour: hourly windows; the demo has no daily cycle: a pooled reference.
    assert (monitor["window"], monitor["schedule"]) == ("1h", "0 * * * *")
    assert monitor["reference"] == {"last": "7d", "offset": "1d"}
    assert {rule["metric"] for rule in monitor["rules"]} >= {"drift.share", "drift.ratio", "missing.share"}

    _checked(config)
    run = drifthound("check", "-c", str(config))
    assert run.returncode == 0, run.stdout + run.stderr
    assert ": ok" in run.stdout and "drift: 3 of 10 columns" in run.stdout, run.stdout


def _newcomer_roles(text: str, monitor: dict) -> None:
    assert monitor["text_features"] == ["comment"] and monitor["embedding_features"] == ["embedding"]
    assert monitor["numerical_features"] == ["amount"] and monitor["categorical_features"] == ["country"]
    assert "#   request_id: identifier, 100 % unique in the sample (UUIDs)" in text
    assert "#   customer_id: identifier, 100 % unique in the sample (" in text  # increasing where rows come in order
    assert re.search(r'"embedding",\s+# vectors of 8 numbers', text)
    # 60 rows an hour: daily windows hold enough.
    assert monitor["window"] == "1d" and monitor["min_rows"] == 200


def test_init_on_a_log_with_identifiers_text_and_a_vector(tmp_path):
    url = f"sqlite:///{tmp_path / 'log.db'}"
    write_table(url, "predictions", newcomers_log(), timestamps="naive")
    config = tmp_path / "monitor.toml"
    _init("--source", url, "--table", "predictions", "-o", str(config))
    _newcomer_roles(config.read_text(), _monitor(config))
    assert 'url = "sqlite:///log.db"' in config.read_text()  # beside the file: relative, as config paths are

    checked = _checked(config)
    assert "1 numerical, 1 categorical, 1 text and 1 embedding features" in checked
    run = drifthound("check", "-c", str(config), "--at", END.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert run.returncode == 0 and ": ok" in run.stdout, run.stdout + run.stderr


def test_init_on_postgresql_writes_no_password(pg_url, tmp_path):
    write_table(pg_url, "predictions", newcomers_log(), timestamps="aware")
    # The test server trusts local users: any password connects, and none may be written or printed.
    password = "s3cret-pw"
    with_password = make_url(pg_url).set(password=password).render_as_string(hide_password=False)
    result = _init("--source", with_password, "--table", "predictions")
    assert password not in result.stdout + result.stderr
    assert "${PREDICTIONS_DB_PASSWORD}" in result.stdout and "export PREDICTIONS_DB_PASSWORD" in result.stderr
    config = tmp_path / "monitor.toml"
    config.write_text(result.stdout)
    _newcomer_roles(result.stdout, _monitor(config))
    env = {"PREDICTIONS_DB_PASSWORD": password}
    _checked(config, env)
    run = drifthound("check", "-c", str(config), "--at", END.strftime("%Y-%m-%dT%H:%M:%SZ"), env=env)
    assert run.returncode == 0 and ": ok" in run.stdout, run.stdout + run.stderr
    assert password not in run.stdout + run.stderr


def test_init_refuses_a_table_without_timestamps_and_an_existing_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'log.db'}"
    # "ts" is there, but holds row numbers: no time in any unit.
    untimed = newcomers_log().assign(ts=range(HOURS * PER_HOUR))
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        untimed.to_sql("predictions", connection, index=False)
    engine.dispose()
    result = drifthound("init", "--source", url, "--table", "predictions")
    assert result.returncode == 2 and result.stdout == ""
    assert 'no timestamp column found in table "predictions" (columns: ts, request_id' in result.stderr
    assert "--timestamp COL" in result.stderr and "Traceback" not in result.stderr

    written = tmp_path / "mine.toml"
    written.write_text("# edited by hand\n")
    again = drifthound("init", "--source", url, "--table", "predictions", "--timestamp", "ts", "-o", str(written))
    assert again.returncode == 2 and "exists; init never overwrites a file" in again.stderr
    assert written.read_text() == "# edited by hand\n"


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """Eight days of the shop's log, 600 rows an hour with a daily cycle, ending at the current hour."""
    directory = tmp_path_factory.mktemp("shop")
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    url = f"sqlite:///{directory / 'shop.db'}"
    write_table(url, "predictions", shop_log(days=8, start=now - timedelta(days=8), scale=0.6), timestamps="text")
    return directory, url


def _cycle_columns(text: str, after: str = "") -> set[str]:
    """The columns a cycle warning names (their order follows how strongly each varies, which the sample decides)."""
    found = re.search(r"(\w+), (\w+) and (\w+) vary with the hour of day" + after, text)
    assert found is not None, text
    return set(found.groups())


def test_init_proposes_a_seasonal_reference_on_a_daily_cycle(shop, tmp_path):
    _, url = shop
    config = tmp_path / "monitor.toml"
    _init("--source", url, "--table", "predictions", "-o", str(config))
    monitor = _monitor(config)
    assert monitor["reference"] == {"last": "7d", "offset": "1d", "seasonality": "hour_of_day"}
    comment = " ".join(line[2:] for line in config.read_text().splitlines() if line.startswith("# "))
    assert _cycle_columns(comment, r": \d+ of 24 hours would breach") == {"age", "amount", "channel"}
    assert monitor["window"] == "1h"
    assert "WARN" not in _checked(config)


def test_the_monitor_page_shows_the_cycle_warning_of_a_pooled_reference(shop, tmp_path):
    _, url = shop
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(f"""
[service]
store_url = "sqlite:///{tmp_path / "store.db"}"
reports_dir = "{tmp_path / "reports"}"
http_listen = "127.0.0.1:{port}"
catch_up = "1h"

[sources.main]
url = "{url}"
{shop_monitor('{ last = "5d", offset = "1d" }')}""")
    warned = _checked(config)
    [warning] = [line for line in warned.splitlines() if line.startswith('  WARN  monitor "shop"')]
    assert _cycle_columns(warning) == {"age", "amount", "channel"}
    run = drifthound("check", "-c", str(config))
    assert run.returncode == 0, run.stdout + run.stderr
    daemon = Daemon(config, port)
    try:
        daemon.wait_ready()
        status, page = daemon.get("/reports/shop/")
    finally:
        daemon.stop()
    assert status == 200
    shown = re.search(r"<p class='pending cycle'>([^<]*)</p>", page)
    assert shown is not None, page[:2000]
    # The run measured its own reference, the check a sample of it: the same columns and fix, if not the same count.
    shown_text = shown.group(1).replace("&quot;", '"')
    assert _cycle_columns(shown_text) == {"age", "amount", "channel"}
    assert re.fullmatch(
        r'\w+, \w+ and \w+ vary with the hour of day: \d+ of 24 hours would breach "dataset drift"; '
        r'use reference = \{ last = "7d", offset = "1d", seasonality = "hour_of_day" \}',
        shown_text,
    ), shown_text
