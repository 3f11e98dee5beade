"""Load and soak: many monitors on short schedules for a while; no window missed or doubled, the health
endpoints quick throughout, memory flat after warm-up. Shared by the short version in the tests and the
long one in bench/drills.py."""

from __future__ import annotations

import itertools
import os
import time
import urllib.request
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.e2e.daemon import Daemon, as_utc, free_port, live_config, runs, write_live_log


def process_tree(pid: int) -> set[int]:
    """A process and all its descendants (the daemon and its workers)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    family, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent and p not in family]
        family.update(children)
        frontier.extend(children)
    return family


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (the daemon and its workers)."""
    total = 0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            continue
    return total / 1024


def _latency(url: str) -> float:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()
    return time.monotonic() - started


def _tick(moment: datetime, period: timedelta) -> datetime:
    seconds = period.total_seconds()
    return datetime.fromtimestamp(moment.timestamp() // seconds * seconds, UTC)


def _done_through(store_url: str, monitors: int, first: datetime, last: datetime, period: timedelta) -> bool:
    """Every monitor has a result for every window ending in [first, last] (catch-up goes newest first)."""
    wanted = {first + k * period for k in range(int((last - first) / period) + 1)}
    done: dict[str, set[datetime]] = defaultdict(set)
    for run in runs(store_url):
        if run["status"] in ("ok", "skipped", "failed"):
            done[run["monitor"]].add(as_utc(run["window_end"]))
    return len(done) == monitors and all(wanted <= ends for ends in done.values())


def run_load_drill(directory: Path, *, store_url: str, monitors: int, seconds: float, every: str = "15s") -> dict:
    source = f"sqlite:///{directory / 'live.db'}"
    write_live_log(source, back=timedelta(minutes=10), ahead=timedelta(seconds=seconds + 300))
    port = free_port()
    config = live_config(
        directory, store_url=store_url, source_url=source, port=port, monitors=monitors, every=every, catch_up="1m"
    )
    period = timedelta(seconds=int(every.rstrip("s")))
    daemon = Daemon(config, port, "load")
    samples: list[tuple[float, float, float, float]] = []  # (t, healthz s, readyz s, tree RSS MB)
    try:
        daemon.wait_ready()
        started = time.monotonic()
        began = datetime.now(UTC)
        while (elapsed := time.monotonic() - started) < seconds:
            assert daemon.process.poll() is None
            health = _latency(daemon.url("/healthz"))
            ready = _latency(daemon.url("/readyz"))
            samples.append((elapsed, health, ready, tree_rss_mb(daemon.process.pid)))
            time.sleep(0.5)
        ended = datetime.now(UTC)
        last = _tick(ended, period) - period
        # The start-up catch-up left a backlog; every window that ended during the drill must be done.
        caught_up_at = time.monotonic()
        first = _tick(began, period) + period
        daemon.wait_until(
            lambda: _done_through(store_url, monitors, first, last, period), 300, "the backlog worked off"
        )
        backlog_s = time.monotonic() - caught_up_at
        assert daemon.stop() == 0, daemon.log_text()[-2000:]
    finally:
        if daemon.process.poll() is None:
            daemon.kill()
    all_runs = runs(store_url)
    ends: dict[str, list[datetime]] = defaultdict(list)
    for run in all_runs:
        if run["status"] == "ok":
            ends[run["monitor"]].append(as_utc(run["window_end"]))
    # Windows that ended while the drill ran, a period after the start (the start-up catch-up aside).
    wanted = set()
    moment = first
    while moment <= last:
        wanted.add(moment)
        moment += period
    missed = {m: sorted(wanted - set(e)) for m, e in ends.items() if wanted - set(e)}
    missing_monitors = monitors - len(ends)
    doubled = sum(len(e) - len(set(e)) for e in ends.values())
    third = len(samples) // 3
    warm = max(s[3] for s in samples[third : 2 * third])
    late = max(s[3] for s in samples[2 * third :])
    windows_checked = len(wanted) * monitors
    figures = {
        "monitors": monitors,
        "every": every,
        "seconds": seconds,
        "windows_expected": windows_checked,
        "windows_missed": sum(len(v) for v in missed.values()) + missing_monitors * len(wanted),
        "windows_doubled": doubled,
        "healthz_max_ms": round(1000 * max(s[1] for s in samples), 1),
        "readyz_max_ms": round(1000 * max(s[2] for s in samples), 1),
        "healthz_p99_ms": round(1000 * sorted(s[1] for s in samples)[int(0.99 * (len(samples) - 1))], 1),
        "rss_mb_after_warm_up": round(warm, 1),
        "rss_mb_late": round(late, 1),
        "rss_growth": round(late / warm - 1, 3),
        "backlog_after_drill_s": round(backlog_s, 1),
        "runs_not_ok": sum(1 for r in all_runs if r["status"] not in ("ok",)),
        "missed_examples": {m: [str(x) for x in v[:3]] for m, v in itertools.islice(missed.items(), 3)},
    }
    return figures
