"""`drifthound config check` says when a pooled reference would page on the log's ordinary daily cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.cycles import shop_log, shop_monitor
from tests.e2e.cli import drifthound
from tests.helpers import write_table

pytestmark = pytest.mark.e2e


def _config(tmp_path, url: str, reference: str):
    path = tmp_path / "config.toml"
    path.write_text(f"""
[service]
store_url = "sqlite:///{tmp_path / "store.db"}"

[sources.main]
url = "{url}"

{shop_monitor(reference)}""")
    return path


def test_config_check_warns_of_a_daily_cycle_with_the_fix(tmp_path):
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    write_table(url, "predictions", shop_log(days=8, start=now - timedelta(days=7), scale=0.3), timestamps="text")

    pooled = drifthound("config", "check", "-c", str(_config(tmp_path, url, '{ last = "5d", offset = "1d" }')))
    assert pooled.returncode == 0, pooled.stdout + pooled.stderr
    [warning] = [line for line in pooled.stdout.splitlines() if line.startswith("  WARN")]
    assert 'monitor "shop"' in warning
    assert all(column in warning for column in ("amount", "age", "channel")) and "vary with the hour of day" in warning
    assert 'of 24 hours would breach "dataset drift"' in warning
    assert warning.endswith('use reference = { last = "7d", offset = "1d", seasonality = "hour_of_day" }')

    seasonal = '{ last = "7d", offset = "1d", seasonality = "hour_of_day" }'
    fixed = drifthound("config", "check", "-c", str(_config(tmp_path, url, seasonal)))
    assert fixed.returncode == 0 and "WARN" not in fixed.stdout, fixed.stdout
