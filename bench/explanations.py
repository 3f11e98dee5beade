"""What the column summaries and the quality-drop explanations add to a 100,000-row run (run by hand):

    .venv/bin/python bench/explanations.py [--repeats 3]

The logs of bench/estimation.py's cost (a binary model, estimation on, 8 numerical and 2 categorical
features, 50,000-row reference, 100,000-row windows), once as they are (nothing drifts: the shift step has
nothing to do) and once with every feature moved by half a standard deviation and the model's scores pushed
towards 0.5 (every feature drifts and the estimates leave their bands: the shift step resets MAX_FEATURES of
them, its worst case). Each window is evaluated in-process twice, taking turns: as shipped, and with the
quantiles, the shift step and the drop widget replaced by no-ops (the histograms the column pages keep are
the report's, drawn once); the share is of the evaluation itself (no process start-up), the strictest
reading.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.estimation import COST_DAY0, cost_log, cost_runner  # noqa: E402
from monitor.evaluation import window as evaluation  # noqa: E402
from monitor.evaluation.step import StepOutput  # noqa: E402
from monitor.windows import Window  # noqa: E402


def without_explanations():
    return mock.patch.multiple(
        evaluation,
        shift_rows=lambda *args, **kwargs: [],
        quantile_step=lambda *args, **kwargs: StepOutput(),
        drop_widget=lambda *args, **kwargs: [],
    )


def measure(case: str, shift: float, repeats: int, window_rows: int = 100_000, reference_rows: int = 50_000) -> dict:
    frame = cost_log("binary_classification", window_rows, reference_rows, repeats + 1)
    for i in range(8):
        frame.loc[reference_rows:, f"x{i}"] += shift
    if shift:  # the model grows unsure: its estimated quality drops
        frame.loc[reference_rows:, "p"] = 0.5 + (frame.loc[reference_rows:, "p"] - 0.5) * 0.3
    config, runner = cost_runner(f"explanations_{case}", frame, "binary_classification", {"with": "", "without": ""})
    timings: dict[str, list[float]] = {"with": [], "without": []}
    resets = 0
    for h in range(1, repeats + 2):
        window = Window(COST_DAY0 + timedelta(hours=h), COST_DAY0 + timedelta(hours=h + 1))
        for name in ("with", "without") if h % 2 else ("without", "with"):
            started = time.perf_counter()
            if name == "without":
                with without_explanations():
                    result = runner.run(config.monitor(name), window)
            else:
                result = runner.run(config.monitor(name), window)
                resets = len({r.column for r in result.metrics if r.metric.endswith(".shift_effect")})
            assert result.status == "ok", result.reason
            if h > 1:  # the first window fits the reference; the others reuse it
                timings[name].append(time.perf_counter() - started)
    on, off = float(np.median(timings["with"])), float(np.median(timings["without"]))
    found = {"case": case, "features_reset": resets, "run_with": round(on, 2), "run_without": round(off, 2)}
    found["added_share"] = round(on / off - 1, 3)
    print(found)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    measure("stable", 0.0, args.repeats)
    measure("every feature drifted", 0.5, args.repeats)


if __name__ == "__main__":
    main()
