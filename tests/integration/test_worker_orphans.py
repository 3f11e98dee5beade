"""Evaluation workers never outlive the process that started them, and SIGTERM ends an idle one.

The leak this guards against: a parent killed while its spawned workers were still importing. A worker that
then asked "who is my parent?" got init, and watched init forever, idle, ignoring SIGTERM, 375 MB each.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

# Starts a pool of two workers, says their pids, and is SIGKILLed at once: the workers are still importing,
# their initializer (which starts the parent watch) has not run yet. The worst moment for the watch.
PARENT = """
import os, signal, sys
from datetime import UTC, datetime
from monitor.service.pool import EvaluationPool

pool = EvaluationPool(
    config_text=open(sys.argv[1]).read(), config_file=sys.argv[1], owner="orphan-test", log_format="json", workers=2
)
start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC)
for name in ("credit", "loans"):  # a monitor's runs go to one worker: one monitor for each
    pool.submit(name, start, end, False)
print(" ".join(str(pid) for pid in pool.pids()), flush=True)
if sys.argv[2] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
sys.stdin.readline()  # "wait": hold the pool until the test is done
"""


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        textwrap.dedent(f"""
        [service]
        store_url = "sqlite:///{tmp_path / "store.db"}"
        reports_dir = "{tmp_path / "reports"}"

        [sources.main]
        url = "sqlite:///{tmp_path / "predictions.db"}"

        [[monitors]]
        name = "credit"
        source = "main"
        table = "predictions"
        timestamp_column = "ts"
        numerical_features = ["age"]
        prediction_column = "score"
        task = "binary_classification"
        every = "1h"
        window = "1h"
        reference = {{ last = "24h" }}
        """)
    )
    text = path.read_text()
    path.write_text(text + text[text.index("[[monitors]]") :].replace('"credit"', '"loans"'))  # one for each worker
    return path


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def _wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.1)
    return [pid for pid in pids if _alive(pid)]


def _start_parent(tmp_path: Path, mode: str) -> tuple[subprocess.Popen[str], list[int]]:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(_config(tmp_path)), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    pids = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(pids) == 2, pids
    return parent, pids


def _kill_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_workers_exit_when_their_parent_is_killed_before_they_are_initialised(tmp_path: Path) -> None:
    parent, pids = _start_parent(tmp_path, "kill")
    try:
        assert parent.wait(timeout=30) == -signal.SIGKILL
        left = _wait_gone(pids, seconds=15)  # importing the evaluation code takes a few seconds on a busy machine
        assert not left, f"workers {left} outlived their SIGKILLed parent"
    finally:
        _kill_all(pids)


def _handles_sigterm(pid: int) -> bool:
    """Whether the worker's initializer has run: SIGTERM no longer has its default action."""
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":\t", 1) for line in status if ":\t" in line)
    bit = 1 << (signal.SIGTERM - 1)
    return bool((int(fields["SigCgt"], 16) | int(fields["SigIgn"], 16)) & bit)


def test_sigterm_ends_an_idle_worker(tmp_path: Path) -> None:
    parent, pids = _start_parent(tmp_path, "wait")
    try:
        deadline = time.monotonic() + 60
        while not all(_handles_sigterm(pid) for pid in pids):
            assert time.monotonic() < deadline, "the workers never finished their initializer"
            time.sleep(0.1)
        time.sleep(1.0)  # their runs fail at once (no predictions table): both are idle now
        os.kill(pids[0], signal.SIGTERM)
        assert not _wait_gone([pids[0]], seconds=5), "an idle worker ignored SIGTERM"
    finally:
        assert parent.stdin is not None
        parent.stdin.close()
        parent.wait(timeout=30)
        left = _wait_gone(pids, seconds=15)
        _kill_all(pids)
    assert not left, f"workers {left} outlived their parent's exit"
