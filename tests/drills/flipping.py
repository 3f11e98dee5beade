"""A prediction log whose rate doubles every other block of seconds, and monitors whose `rows` rule therefore
fires and resolves in turn, all at the same moments: what the crash and replica drills evaluate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

PERIOD = timedelta(seconds=10)  # every monitor's schedule and window
BLOCK_SECONDS = 30  # by default the rate doubles every other 30 s


def write_flipping_log(url: str, *, back: timedelta, ahead: timedelta, block_seconds: int = BLOCK_SECONDS) -> None:
    """10 predictions a second, 20 in every other block of `block_seconds` (naive UTC timestamps): a 10-second
    window holds 100 or 200 rows, so `rows above 150` fires in one block and resolves in the next."""
    now = datetime.now(UTC).replace(microsecond=0)
    start, end = now - back, now + ahead
    seconds = np.arange(int(start.timestamp()), int(end.timestamp()))
    rate = np.where((seconds // block_seconds) % 2 == 1, 20, 10)
    stamps = np.concatenate([s + np.arange(r) / r for s, r in zip(seconds, rate, strict=True)])
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(
        {
            "ts": pd.to_datetime(stamps, unit="s"),
            "age": rng.normal(40, 10, len(stamps)),
            "region": rng.choice(["north", "south"], len(stamps)),
        }
    )
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        frame.to_sql("predictions", connection, index=False, if_exists="replace")
        connection.execute(sa.text("CREATE INDEX ix_predictions_ts ON predictions (ts)"))
    engine.dispose()


def end_log(source_url: str, after: datetime) -> datetime:
    """Deletes the predictions from the first window boundary after `after`; returns that boundary. Later
    windows are skipped (too few rows: no figures, so no transitions), so a drill's last daemons can finish
    everything that is owed."""
    seconds = int(PERIOD.total_seconds())
    cutoff = datetime.fromtimestamp((int(after.timestamp()) // seconds + 1) * seconds, UTC)
    engine = sa.create_engine(source_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text("DELETE FROM predictions WHERE ts >= :cutoff"), {"cutoff": cutoff.replace(tzinfo=None)}
        )
    engine.dispose()
    return cutoff


def monitor_names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{index}" for index in range(count)]


def drill_config(
    directory: Path,
    *,
    store_url: str,
    source_url: str,
    hook_url: str,
    port: int,
    catch_up: timedelta,
    monitors: list[str],
    hook_timeout: timedelta | None = None,
) -> Path:
    """`directory/config.toml`: the monitors on a 10-second schedule, each with the `rows` rule to one webhook."""
    blocks = "".join(
        f"""
[[monitors]]
name = "{name}"
source = "main"
table = "predictions"
timestamp_column = "ts"
numerical_features = ["age"]
categorical_features = ["region"]
every = "10s"
window = "10s"
reference = {{ last = "2m" }}
min_rows = 20

[[monitors.rules]]
name = "busy"
metric = "rows"
above = 150
severity = "warning"
channels = ["hook"]
"""
        for name in monitors
    )
    timeout = f'timeout = "{int(hook_timeout.total_seconds())}s"' if hook_timeout is not None else ""
    path = directory / "config.toml"
    path.write_text(f"""
[service]
store_url = "{store_url}"
reports_dir = "{directory / "reports"}"
http_listen = "127.0.0.1:{port}"
catch_up = "{int(catch_up.total_seconds())}s"
workers = 2
shutdown_grace = "20s"
log_format = "json"

[alerting]
repeat_interval = "24h"

[sources.main]
url = "{source_url}"

[channels.hook]
type = "webhook"
url = "{hook_url}"
{timeout}
{blocks}""")
    return path
