"""Many small monitors on a short schedule: the real daemon (`drifthound run`, a subprocess with its own SQLite
store and 2 workers) keeping up, or not, for a while.

    .venv/bin/python bench/many_monitors.py [--monitors 100] [--every 15s] [--seconds 600] [--catch-up 1m]
        [--code PATH] [--label NAME]

The log: one SQLite file, 10 rows a second from 10 minutes before the start to 5 minutes after the end (a
15-second window holds 150 rows), 8 numerical and 2 categorical features, a binary model's score and decided
class, labels. Each monitor reads it with `window = every`, a fixed reference (the first 5 minutes: 3,000 rows),
labels and estimation on, its report written: a default classifier's monitor. `catch_up` is short (default 1
minute) so a daemon that falls behind drops windows within the bench (a window still unevaluated a minute after
it ended is dropped) rather than building a backlog it would work off later.

Counted over the windows that ended between one period after the start and the end: evaluated (ok), dropped
(the `dropped` status; `drifthound_windows_dropped_total` summed from /metrics beside it), failed, and missing
(no row at all yet); the delay from a window's end to its run's finish, and the run's own duration; the CPU
seconds the daemon and its workers used, and how many worker processes ran. Start-up: the seconds until every
monitor had run once, the CPU seconds by then, and the windows dropped that ended in the first two minutes.
`--code PATH` runs another checkout's `monitor` package (PYTHONPATH), for a before/after. Writes
bench/out/many_monitors_<label>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.runner import cost_log_monitor  # noqa: E402
from tests.drills.load import process_tree, tree_rss_mb  # noqa: E402
from tests.e2e.daemon import Daemon, as_utc, free_port  # noqa: E402

PER_SECOND = 10
BEFORE = timedelta(minutes=10)
REFERENCE = timedelta(minutes=5)


def write_log(path: Path, start: datetime, end: datetime) -> None:
    """The prediction log from `start` to `end`, PER_SECOND rows a second, naive UTC timestamps."""
    count = int((end - start).total_seconds() * PER_SECOND)
    rng = np.random.default_rng(5)
    ts = pd.date_range(start.replace(tzinfo=None), periods=count, freq=f"{1000 // PER_SECOND}ms")
    frame = pd.DataFrame({"ts": ts, **{f"x{i}": rng.normal(0, 1, count) for i in range(8)}})
    for i in range(2):
        frame[f"c{i}"] = rng.choice(["a", "b", "c", "d"], count)
    z = sum(frame[f"x{i}"] * (0.8 - 0.1 * i) for i in range(8))
    p = 1 / (1 + np.exp(-z))
    frame["p"], frame["d"], frame["y"] = p, (p > 0.6).astype(int), (rng.random(count) < p).astype(int)
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        frame.to_sql("predictions", connection, index=False, dtype={"ts": sa.DateTime(timezone=False)})
        connection.execute(sa.text("CREATE INDEX ix_predictions_ts ON predictions (ts)"))
    engine.dispose()


def config_text(folder: Path, port: int, monitors: int, every: str, catch_up: str, reference: datetime) -> str:
    ref_start = reference.strftime("%Y-%m-%dT%H:%M:%SZ")
    ref_end = (reference + REFERENCE).strftime("%Y-%m-%dT%H:%M:%SZ")
    blocks = "".join(
        cost_log_monitor(
            f"m{index:03d}", "binary_classification", every=every, reference=(ref_start, ref_end), extra="min_rows = 20"
        )
        for index in range(monitors)
    )
    return f"""
[service]
store_url = "sqlite:///{folder / "store.db"}"
reports_dir = "{folder / "reports"}"
http_listen = "127.0.0.1:{port}"
catch_up = "{catch_up}"
workers = 2
shutdown_grace = "20s"
log_format = "json"

[sources.main]
url = "sqlite:///{folder / "log.db"}"
{blocks}
"""


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process, its reaped children (workers that were recycled) and its live descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
        total += (utime + stime + (cutime + cstime if member == pid else 0)) / ticks
    return total


def dropped_counter(daemon: Daemon) -> float:
    status, body = daemon.get("/metrics")
    if status != 200:
        return float("nan")
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("drifthound_windows_dropped_total{")
    )


def tick(moment: datetime, period: timedelta) -> datetime:
    seconds = period.total_seconds()
    return datetime.fromtimestamp(moment.timestamp() // seconds * seconds, UTC)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return round(float(np.quantile(values, q)), 3)


def start_up(
    rows: list, monitors: int, began: datetime, cpu_samples: list[tuple[datetime, float]], period: timedelta
) -> dict[str, float | int | None]:
    """Until every monitor has run once (each worker that meets a monitor first reads and fits its reference):
    the seconds from the daemon's readiness, the CPU seconds by then (the first 5-second sample at or after that
    moment), and the windows dropped that ended in the first two minutes."""
    firsts: dict[str, datetime] = {}
    for r in rows:
        if r.status == "ok" and r.finished_at is not None:
            finished = as_utc(r.finished_at)
            firsts[r.monitor] = min(finished, firsts.get(r.monitor, finished))
    all_ran = max(firsts.values()) if len(firsts) == monitors else None
    cpu = next((c for when, c in cpu_samples if all_ran is not None and when >= all_ran), None)
    early = began + timedelta(minutes=2)
    return {
        "seconds_until_every_monitor_ran": round((all_ran - began).total_seconds(), 1) if all_ran else None,
        "cpu_seconds_by_then": round(cpu, 1) if cpu is not None else None,
        "dropped_in_first_two_minutes": sum(
            r.status == "dropped" and began + period <= as_utc(r.window_end) <= early for r in rows
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=100)
    parser.add_argument("--every", default="15s")
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--catch-up", default="1m")
    parser.add_argument("--code", help="a checkout whose monitor package the daemon runs (PYTHONPATH)")
    parser.add_argument("--label", default="this")
    args = parser.parse_args()
    period = timedelta(seconds=float(args.every.rstrip("s")))
    folder = Path(tempfile.mkdtemp(prefix="many_monitors_"))
    now = datetime.now(UTC).replace(microsecond=0)
    write_log(folder / "log.db", now - BEFORE, now + timedelta(seconds=args.seconds) + timedelta(minutes=5))
    port = free_port()
    config = folder / "config.toml"
    config.write_text(config_text(folder, port, args.monitors, args.every, args.catch_up, now - BEFORE))
    env = {"PYTHONPATH": args.code} if args.code else None
    daemon = Daemon(config, port, "daemon", env=env)
    load, rss = [], []
    cpu_samples: list[tuple[datetime, float]] = []  # (when, CPU seconds since the start)
    try:
        daemon.wait_ready()
        began = datetime.now(UTC)
        cpu_start, started = tree_cpu_seconds(daemon.process.pid), time.monotonic()
        while time.monotonic() - started < args.seconds:
            assert daemon.process.poll() is None, daemon.log_text()[-3000:]
            load.append(os.getloadavg()[0])
            rss.append(tree_rss_mb(daemon.process.pid))
            cpu_samples.append((datetime.now(UTC), tree_cpu_seconds(daemon.process.pid) - cpu_start))
            time.sleep(5)
        cpu = tree_cpu_seconds(daemon.process.pid) - cpu_start
        elapsed = time.monotonic() - started
        ended = datetime.now(UTC)
        settled = time.monotonic() + period.total_seconds() * 4 + 5  # the last windows run, or age and are dropped
        while time.monotonic() < settled:
            time.sleep(5)
            cpu_samples.append((datetime.now(UTC), tree_cpu_seconds(daemon.process.pid) - cpu_start))
        dropped_metric = dropped_counter(daemon)
        assert daemon.stop() == 0, daemon.log_text()[-2000:]
    finally:
        if daemon.process.poll() is None:
            daemon.kill()
    first, last = tick(began, period) + period, tick(ended, period)
    engine = sa.create_engine(f"sqlite:///{folder / 'store.db'}")
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT monitor, window_end, status, finished_at, duration_seconds, owner FROM runs")
        ).all()
    engine.dispose()
    counted = [r for r in rows if first <= as_utc(r.window_end) <= last]
    expected = args.monitors * (int((last - first) / period) + 1)
    by_status: dict[str, int] = {}
    for r in counted:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    done = [r for r in counted if r.status == "ok"]
    delays = [(as_utc(r.finished_at) - as_utc(r.window_end)).total_seconds() for r in done]
    durations = [r.duration_seconds for r in done if r.duration_seconds is not None]
    workers = {r.owner for r in rows if r.owner}
    startup = start_up(rows, args.monitors, began, cpu_samples, period)
    out = {
        "label": args.label,
        "code": args.code or str(HERE.parent),
        "monitors": args.monitors,
        "every": args.every,
        "catch_up": args.catch_up,
        "seconds": round(elapsed, 1),
        "windows_expected": expected,
        "ok": by_status.get("ok", 0),
        "dropped": by_status.get("dropped", 0),
        "failed": by_status.get("failed", 0),
        "skipped": by_status.get("skipped", 0),
        "missing": expected - len(counted),
        "drifthound_windows_dropped_total": dropped_metric,
        "delay_end_to_finish_s": {"median": percentile(delays, 0.5), "p95": percentile(delays, 0.95)},
        "run_seconds": {"median": percentile(durations, 0.5), "p95": percentile(durations, 0.95)},
        "cpu_seconds": round(cpu, 1),
        "cpu_share_of_two_cores": round(cpu / (2 * elapsed), 3),
        "worker_processes": len(workers),
        "start_up": startup,
        "load_average": {"median": round(statistics.median(load), 1), "max": round(max(load), 1)},
        "rss_mb": {"median": round(statistics.median(rss)), "max": round(max(rss))},
        "folder": str(folder),
    }
    print(json.dumps(out, indent=2), flush=True)
    path = HERE / "out" / f"many_monitors_{args.label}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
