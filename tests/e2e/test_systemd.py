"""The systemd unit, and the daemon's side of the sd_notify protocol, with a real notify socket."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.e2e.daemon import Daemon, free_port, live_config, write_live_log

pytestmark = pytest.mark.e2e

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "drifthound.service"


def test_the_unit_file_verifies_and_is_hardened(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if IN_CI:
            pytest.fail("systemd-analyze is missing; CI must verify the unit", pytrace=False)
        pytest.skip("systemd-analyze is not installed")
    text = UNIT.read_text()
    for directive in (
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "User=drifthound",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/drifthound",
        "PrivateTmp=yes",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "EnvironmentFile=-/etc/drifthound/drifthound.env",
    ):
        assert directive in text, directive
    local = tmp_path / "drifthound.service"
    local.write_text(
        text.replace("/opt/drifthound/.venv/bin/drifthound", str(Path(sys.executable).parent / "drifthound"))
    )
    result = subprocess.run([analyze, "verify", str(local)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_ready_watchdog_and_stopping_reach_systemd(tmp_path):
    address = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(address)
    listener.settimeout(60)
    source = f"sqlite:///{tmp_path / 'live.db'}"
    write_live_log(source)
    port = free_port()
    config = live_config(tmp_path, store_url=f"sqlite:///{tmp_path / 'store.db'}", source_url=source, port=port)
    daemon = Daemon(config, port, env={"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "2000000"})
    try:
        messages: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(m.startswith("WATCHDOG=1") for m in messages):
            messages.append(listener.recv(4096).decode())
        assert messages[0].startswith("READY=1"), messages
        assert "WATCHDOG=1" in messages
        daemon.signal(signal.SIGTERM)
        while not any(m.startswith("STOPPING=1") for m in messages):
            messages.append(listener.recv(4096).decode())
        assert daemon.stop() == 0
    finally:
        listener.close()
        if daemon.process.poll() is None:
            daemon.kill()


def test_without_systemd_notify_is_a_no_op(monkeypatch, tmp_path):
    from monitor.service import systemd

    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert systemd.notify("READY=1") is False
    assert systemd.watchdog_interval() is None
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "nobody-listens.sock"))
    assert systemd.notify("READY=1") is False, "a missing socket is not an error"
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    assert systemd.watchdog_interval() == 15.0
