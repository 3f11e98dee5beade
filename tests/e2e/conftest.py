"""The demo's data, shared by the end-to-end tests."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.cli import drifthound
from tests.e2e.daemon import Daemon, free_port


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> Path:
    """`drifthound demo` written once; tests copy what they change."""
    directory = tmp_path_factory.mktemp("demo-data")
    written = drifthound("demo", "--dir", str(directory))
    assert written.returncode == 0, written.stderr
    return directory


@dataclass(frozen=True)
class ServedDemo:
    """The demo with three consecutive labelled windows' reports, served by a `drifthound run` subprocess."""

    directory: Path
    base: str
    reports: list[Path]  # oldest first


@pytest.fixture(scope="session")
def served_demo(demo_data, tmp_path_factory) -> Iterator[ServedDemo]:
    directory = tmp_path_factory.mktemp("served-demo")
    shutil.copy(demo_data / "predictions.db", directory / "predictions.db")
    port = free_port()
    config = (demo_data / "config.toml").read_text()
    config = config.replace('http_listen = "127.0.0.1:9308"', f'http_listen = "127.0.0.1:{port}"')
    # The daemon catches up one window at most: the test's own windows are written by `check` below.
    config = re.sub(r'catch_up = "[^"]*"', 'catch_up = "1h"', config)
    (directory / "config.toml").write_text(config)
    # A day and more back, so the labels (a day late) have arrived and the report has model quality.
    newest = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=26)
    ends = [newest - timedelta(hours=hours) for hours in (2, 1, 0)]
    span = [
        (end - step).strftime("%Y-%m-%dT%H:%M:%SZ")
        for end, step in ((ends[0], timedelta(hours=1)), (ends[-1], timedelta(0)))
    ]
    filled = drifthound(
        "backfill", "-c", str(directory / "config.toml"), "-m", "credit-scoring", "--start", span[0], "--end", span[1]
    )
    assert filled.returncode == 0, filled.stderr
    reports = [directory / "reports" / "credit-scoring" / f"{end:%Y%m%dT%H%M%SZ}.html" for end in ends]
    daemon = Daemon(directory / "config.toml", port)
    try:
        daemon.wait_ready()
        yield ServedDemo(directory, daemon.url(""), reports)
    finally:
        daemon.stop()
