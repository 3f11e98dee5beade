"""Start `drifthound run` on a config, check that it answers over HTTP, stop it, and say how it went.

Used by .ci/package-test (the built wheel in a fresh venv) and .ci/image-test (inside the built image), so it
uses the standard library only and runs with the Python of the installation under test: the `drifthound`
beside sys.executable is the one started. The config's http_listen is moved to a free loopback port (CI
machines run other daemons); the copy sits beside the config, so its relative paths still hold.

With --healthcheck, the image's HEALTHCHECK command (a JSON list, as `buildah inspect` shows it) must also
succeed while the daemon runs, pointed at the probe's port through DRIFTHOUND_HEALTHCHECK_URL.

usage: python3 daemon_probe.py CONFIG [--timeout SECONDS] [--healthcheck JSON]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

# What a user's browser and Prometheus fetch first; the monitor page's script is a file shipped in the package.
PATHS = {"/healthz": b"", "/metrics": b"drifthound_", "/reports/": b"credit-scoring", "/_site/silences.js": b"fetch"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def probe_config(config: Path, port: int) -> Path:
    text, count = re.subn(
        r"^http_listen\s*=.*$", f'http_listen = "127.0.0.1:{port}"', config.read_text(), flags=re.MULTILINE
    )
    if count != 1:
        sys.exit(f"daemon_probe: {config} has {count} http_listen lines; expected one under [service]")
    copy = config.with_name("probe-" + config.name)
    copy.write_text(text)
    return copy


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--healthcheck", type=json.loads, default=None, help="a command as a JSON list")
    args = parser.parse_args()
    port = free_port()
    config = probe_config(args.config.resolve(), port)
    command = [str(Path(sys.executable).parent / "drifthound"), "run", "-c", str(config)]
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        daemon = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        problem = wait_and_check(daemon, base, args.timeout)
        if not problem and args.healthcheck:
            problem = run_healthcheck(args.healthcheck, base)
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
            try:
                code = daemon.wait(timeout=90)
            except subprocess.TimeoutExpired:
                daemon.kill()
                code = daemon.wait()
                problem = problem or "it did not stop within 90 s of SIGTERM"
            if code != 0 and not problem:
                problem = f"it exited {code} after SIGTERM"
        if problem:
            log.seek(0)
            tail = log.read().decode(errors="replace").splitlines()[-40:]
            print("\n".join(tail), file=sys.stderr)
            print(f"daemon_probe: FAILED: {' '.join(command)}: {problem}", file=sys.stderr)
            return 1
    checked = ", ".join(PATHS) + (" and the HEALTHCHECK" if args.healthcheck else "")
    print(f"daemon_probe: drifthound run answered {checked} on {base} and stopped cleanly on SIGTERM")
    return 0


def wait_and_check(daemon: subprocess.Popen, base: str, timeout: float) -> str | None:
    """None when every path answered as expected; else what went wrong."""
    deadline = time.monotonic() + timeout
    while True:
        if daemon.poll() is not None:
            return f"it exited {daemon.returncode} before answering /healthz"
        try:
            if fetch(base + "/healthz")[0] == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            return f"no answer from {base}/healthz within {timeout:.0f} s"
        time.sleep(0.5)
    for path, expected in PATHS.items():
        status, body = fetch(base + path)
        if status != 200 or expected not in body:
            return f"GET {path} answered {status} without {expected!r}: {body[:200]!r}"
    return None


def run_healthcheck(command: list[str], base: str) -> str | None:
    env = {**os.environ, "DRIFTHOUND_HEALTHCHECK_URL": base + "/healthz"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30, check=False)
    if result.returncode != 0:
        return f"the HEALTHCHECK {command} exited {result.returncode}: {result.stderr.strip()[-300:]}"
    return None


if __name__ == "__main__":
    sys.exit(main())
