"""What the cycle warning costs a run, and what `drifthound init` costs (issue 22's monitor page, issue 26).

    .venv/bin/python bench/cycle_cost.py [--repeat 5]

- step: a run's cycle measurement (evaluation/cycle_step.py) on the reference the run holds, through the daemon's
  own Runner on the shop log of tests/cycles.py (1,000 rows an hour, 8 days, pooled 5-day reference): the CPU
  seconds of a run that measures (the first of a UTC day) beside one that reuses the day's measurement, and the
  window-sized drift tests a measurement makes. Medians of --repeat.
- init: `drifthound init` on the demo's table and on the shop log, as a subprocess: CPU seconds (user + sys of
  the child) and rows read.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.runner import fresh_runner, write_log  # noqa: E402
from monitor.drift import cycles  # noqa: E402
from monitor.windows import Window  # noqa: E402
from tests.cycles import START, shop_log, shop_monitor  # noqa: E402

OUT = HERE / "out" / "cycle_cost"
BIN = Path(sys.executable).parent / "drifthound"


def step(url: str, repeat: int) -> None:
    calls = {"detect": 0}
    counted = cycles.detect

    def detect(*args, **kwargs):
        calls["detect"] += 1
        return counted(*args, **kwargs)

    cycles.detect = detect
    day = START + timedelta(days=7)
    measuring: list[float] = []
    reusing: list[float] = []
    for index in range(repeat):
        _config, runner = fresh_runner(
            OUT / "store.db", OUT / "reports", url, shop_monitor('{ last = "5d", offset = "1d" }')
        )
        monitor = runner.config.monitors[0]
        inputs = runner.inputs(monitor)
        # A first run warms the process (imports, first reads); then one that reuses the day's measurement and one
        # made to measure again (its cache emptied), each reading and profiling its own reference.
        for hour, into in ((9, None), (10, reusing), (11, measuring)):
            if into is measuring:
                inputs.kept.clear()
                calls["detect"] = 0
            start = day + timedelta(hours=hour)
            began = time.process_time()
            result = runner.run(monitor, Window(start, start + timedelta(hours=1)), notify=False)
            if into is not None:
                into.append(time.process_time() - began)
            assert result.status == "ok", result.reason
        if index == 0:
            print(f"drift tests per measurement: {calls['detect']}")
    print(
        f"run CPU seconds, median of {repeat}: measuring {statistics.median(measuring):.2f}, "
        f"reusing the day's measurement {statistics.median(reusing):.2f}"
    )


def init_cost(name: str, url: str, repeat: int) -> None:
    seconds = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run([str(BIN), "init", "--source", url, "--table", "predictions"], capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert done.returncode == 0, done.stderr
        seconds.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    print(f"init on {name}: {statistics.median(seconds):.2f} CPU seconds (median of {repeat})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = write_log(shop_log(days=8), OUT / "shop.db")
    step(url, args.repeat)
    with tempfile.TemporaryDirectory() as directory:
        subprocess.run([str(BIN), "demo", "--dir", directory], check=True, capture_output=True)
        init_cost("the demo (336,000 rows)", f"sqlite:///{directory}/predictions.db", args.repeat)
    init_cost("the shop log (192,000 rows)", url, args.repeat)


if __name__ == "__main__":
    main()
