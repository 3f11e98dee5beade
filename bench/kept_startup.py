"""A worker's start-up over many small monitors (issue 23): a fresh process runs one window of each monitor of
bench/many_monitors.py's config (a 150-row window against a fixed 3,000-row reference, labels, estimation, the
report), with the references fitted (their kept folder emptied first) or loaded as the process before kept
them. What a restarted daemon's or a reloaded config's new workers pay before they keep up; CPU and wall
seconds of the process, imports aside, taking turns.

    .venv/bin/python bench/kept_startup.py [--monitors 100] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.many_monitors import BEFORE, REFERENCE, config_text, write_log  # noqa: E402

OUT = HERE / "out" / "kept_startup"
START = datetime(2026, 11, 1, tzinfo=UTC)

SCRIPT = """
import json, time
from datetime import datetime
from monitor.config import load_config
from monitor.runner import Runner
from monitor.store import Store
from monitor.windows import Window
config = load_config({config!r})
runner = Runner(config, Store(config.service.store_url))
window = Window(datetime.fromisoformat({start!r}), datetime.fromisoformat({end!r}))
wall, cpu = time.perf_counter(), time.process_time()
for monitor in config.monitors:
    result = runner.run(monitor, window, force=True)
    assert result.status == "ok", result.reason
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(json.dumps({{"seconds": round(wall, 2), "cpu_seconds": round(cpu, 2)}}))
"""


def one(path: Path, window: tuple[datetime, datetime], *, kept: bool) -> dict[str, float]:
    if not kept:
        shutil.rmtree(OUT / "store.db-references", ignore_errors=True)
    script = SCRIPT.format(config=str(path), start=window[0].isoformat(), end=window[1].isoformat())
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if not (OUT / "log.db").exists():
        write_log(OUT / "log.db", START, START + BEFORE + timedelta(minutes=5))
    path = OUT / "config.toml"
    path.write_text(config_text(OUT, 19308, args.monitors, "15s", "1m", START))
    subprocess.run([str(Path(sys.executable).parent / "drifthound"), "db", "upgrade", "-c", str(path)], check=True)
    window = (START + BEFORE, START + BEFORE + timedelta(seconds=15))
    assert window[0] >= START + REFERENCE
    runs: dict[str, list[dict[str, float]]] = {"fitted": [], "loaded": []}
    for _ in range(args.repeats):  # taking turns; the fitted run keeps the references the loaded one reads
        runs["fitted"].append(one(path, window, kept=False))
        runs["loaded"].append(one(path, window, kept=True))
        print(json.dumps({side: done[-1] for side, done in runs.items()}), flush=True)
    medians = {
        side: {key: statistics.median(run[key] for run in done) for key in ("seconds", "cpu_seconds")}
        for side, done in runs.items()
    }
    print(json.dumps({"monitors": args.monitors, **medians}))


if __name__ == "__main__":
    main()
