"""A `drifthound run` subprocess on a live prediction log, and ways to watch it from outside."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from tests.e2e.cli import BIN


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_utc(value) -> datetime:
    """A time read back from a store (SQLite gives naive text, PostgreSQL aware datetimes), as aware UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def write_live_log(
    url: str, *, back: timedelta = timedelta(minutes=30), ahead: timedelta = timedelta(minutes=20), per_second: int = 10
) -> None:
    """Predictions from `back` ago to `ahead` from now, `per_second` a second, naive UTC timestamps."""
    now = datetime.now(UTC).replace(microsecond=0)
    count = int((back + ahead).total_seconds() * per_second)
    rng = np.random.default_rng(5)
    start = now - back
    ts = [(start + timedelta(seconds=i / per_second)).replace(tzinfo=None) for i in range(count)]
    age = rng.normal(40, 10, count)
    score = 1 / (1 + np.exp(-(age - 40) / 10))
    frame = pd.DataFrame(
        {
            "ts": ts,
            "age": age,
            "income": rng.lognormal(10, 0.5, count),
            "region": rng.choice(["north", "south"], count),
            "score": score,
            "label": (rng.random(count) < score).astype(int),
        }
    )
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        frame.to_sql(
            "predictions", connection, index=False, if_exists="replace", dtype={"ts": sa.DateTime(timezone=False)}
        )
        connection.execute(sa.text("CREATE INDEX ix_predictions_ts ON predictions (ts)"))
    engine.dispose()


def live_config(
    directory: Path,
    *,
    store_url: str,
    source_url: str,
    port: int,
    monitors: int = 1,
    extra_service: str = "",
    extra: str = "",
    every: str = "10s",
    catch_up: str = "1m",
) -> Path:
    blocks = []
    for index in range(monitors):
        blocks.append(f"""
[[monitors]]
name = "live-{index}"
source = "main"
table = "predictions"
timestamp_column = "ts"
numerical_features = ["age", "income"]
categorical_features = ["region"]
prediction_column = "score"
target_column = "label"
task = "binary_classification"
every = "{every}"
window = "{every}"
reference = {{ last = "5m" }}
min_rows = 20
""")
    text = f"""
[service]
store_url = "{store_url}"
reports_dir = "{directory / "reports"}"
http_listen = "127.0.0.1:{port}"
catch_up = "{catch_up}"
workers = 2
shutdown_grace = "20s"
log_format = "json"
{extra_service}

[sources.main]
url = "{source_url}"
{"".join(blocks)}
{extra}
"""
    path = directory / "config.toml"
    path.write_text(text)
    return path


class Daemon:
    def __init__(self, config: Path, port: int, log_name: str = "daemon", env: dict[str, str] | None = None):
        self.config, self.port = config, port
        self.log_path = config.parent / f"{log_name}.log"
        self._log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [str(BIN), "run", "-c", str(config)], stdout=self._log, stderr=self._log, env={**os.environ, **(env or {})}
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        request = urllib.request.Request(self.url(path), headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def wait_until(self, check, timeout: float = 120, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the daemon exited ({self.process.returncode}):\n{self.log_text()[-3000:]}")
            try:
                if check():
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}:\n{self.log_text()[-3000:]}")

    def wait_ready(self) -> None:
        self.wait_until(lambda: self.get("/readyz")[0] == 200, 60, "/readyz")

    def signal(self, sig: int) -> None:
        self.process.send_signal(sig)

    def stop(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        self._log.close()
        return code

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(30)
        self._log.close()

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    def events(self, name: str) -> list[dict]:
        found = []
        for line in self.log_text().splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == name:
                found.append(event)
        return found


def runs(store_url: str) -> list[dict]:
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.text(
                        "SELECT monitor, window_start, window_end, status, attempts, owner, reason FROM runs "
                        "ORDER BY monitor, window_end"
                    )
                )
                .mappings()
                .all()
            )
    except sa.exc.OperationalError:
        return []
    finally:
        engine.dispose()
    return [dict(row) for row in rows]
