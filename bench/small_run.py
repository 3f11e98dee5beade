"""What a small window's run costs a warm worker: N runs of a 150-row window through the daemon's own Runner,
in one process (start-up, imports and the reference's first fit left out: a worker keeps them).

    .venv/bin/python bench/small_run.py [--runs 30] [--window-rows 150] [--code PATH] [--fresh] [--profile]

The logs of `bench/estimation.py --cost` (8 numerical and 2 categorical features, a binary model's score and
decided class, labels): a 5,000-row reference hour, then hourly windows of `--window-rows` rows, with estimation
and labels (realized quality) on and the report written, as a default monitor of a classifier runs. After one
warm-up run per window, each window is evaluated again (`force`), windows taking turns; with `--fresh` each
timed run is of a window not evaluated before, as the daemon's are (a new claim row, a new report file).
`--code` runs another checkout's `monitor` package (a before/after in turns: run this script once per checkout,
alternately). `--profile` prints where the time of the runs went (cProfile, cumulative).
Writes bench/out/small_run_<label>.json: the median wall seconds a run and their range, and the median CPU
seconds of the process a run (what the run cost the worker, less inflated than wall time on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--window-rows", type=int, default=150)
    parser.add_argument("--windows", type=int, default=5)
    parser.add_argument("--code", default=str(HERE.parent), help="the checkout whose monitor package runs")
    parser.add_argument("--label", default="this")
    parser.add_argument("--fresh", action="store_true", help="a new window each run (else the same ones again)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, args.code)
    sys.path.insert(1, str(HERE.parent))
    import monitor  # noqa: I001  first, as in a worker: it limits BLAS to one thread before numpy loads it

    import numpy as np
    from bench.estimation import COST_DAY0, cost_log, cost_runner
    from monitor.windows import Window

    assert Path(monitor.__file__).resolve().is_relative_to(Path(args.code).resolve()), monitor.__file__
    hours = args.windows + (args.runs if args.fresh else 0)
    frame = cost_log("binary_classification", args.window_rows, 5000, hours)
    config, runner = cost_runner(f"small_run_{args.label}", frame, "binary_classification", {"small": "min_rows = 100"})
    small = config.monitor("small")
    shutil.rmtree(config.service.reports_dir / "small", ignore_errors=True)  # a fresh run writes new files
    windows = [Window(COST_DAY0 + _hour() * h, COST_DAY0 + _hour() * (h + 1)) for h in range(1, hours + 1)]
    for window in windows[
        : args.windows
    ]:  # reads and fits the reference, fills the per-size caches: what a warm worker holds
        result = runner.run(small, window, force=True)
        assert result.status == "ok", result.reason
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    seconds, cpu = [], []
    for k in range(args.runs):
        window = windows[args.windows + k] if args.fresh else windows[k % args.windows]
        started, started_cpu = time.perf_counter(), time.process_time()
        result = runner.run(small, window, force=not args.fresh)
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert result.status == "ok", result.reason
    if profiler is not None:
        import pstats

        profiler.disable()
        profiler.dump_stats(str(HERE / "out" / f"small_run_{args.label}.prof"))
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    out = {
        "code": args.code,
        "window_rows": args.window_rows,
        "runs": args.runs,
        "fresh": args.fresh,
        "median_seconds": round(float(np.median(seconds)), 4),
        "range": [round(min(seconds), 4), round(max(seconds), 4)],
        "median_cpu_seconds": round(float(np.median(cpu)), 4),
    }
    print(json.dumps(out), flush=True)
    path = HERE / "out" / f"small_run_{args.label}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2))


def _hour():
    from datetime import timedelta

    return timedelta(hours=1)


if __name__ == "__main__":
    main()
