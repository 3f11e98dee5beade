"""Estimation's sampling errors: the closed forms (monitor/performance/sampling.py) beside the resampling they
replaced (40 windows drawn from the reference, the realized figures evaluated on each) and beside many more
draws (the figure both try to give), on generated references of each task, in one process.

    .venv/bin/python bench/sampling_errors.py [--reference-rows 50000] [--truth-draws 400]

Writes bench/out/sampling_errors_<reference rows>.json: per task and window size, each figure's error by the
three ways, and the seconds each way took (the closed forms' including what they learn once per reference).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.detection import write_results  # noqa: E402
from monitor.performance.outcomes import Labelled, Outputs  # noqa: E402
from monitor.performance.realized import realized  # noqa: E402
from monitor.performance.sampling import learn_spreads  # noqa: E402

NAMES = ("roc_auc", "accuracy", "precision", "recall", "f1", "mae", "rmse", "mape")
RESAMPLED_DRAWS = 40  # what the estimator drew before the closed forms


def resampled(reference: Labelled, rows: int, draws: int, seed: int) -> dict[str, float]:
    """The replaced way: the std of each realized figure over `draws` windows drawn from the reference."""
    rng = np.random.default_rng([seed, rows])
    n = len(reference)
    replace = rows > n // 2
    values = [realized(reference.take(rng.choice(n, size=rows, replace=replace))) for _ in range(draws)]
    return {
        name: float(np.std([v[name] for v in values if name in v], ddof=1))
        for name in NAMES
        if sum(1 for v in values if name in v) >= draws // 2
    }


def references(rows: int, seed: int = 7) -> dict[str, Labelled]:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1.5, rows)
    p = 1 / (1 + np.exp(-(2 * x + rng.normal(0, 0.5, rows))))
    binary = Labelled(
        Outputs("binary_classification", (p > 0.6).astype(int), np.round(p, 3)), (rng.random(rows) < p).astype(int)
    )
    logits = np.column_stack([x, -x, 0.5 * rng.normal(0, 1, rows)])
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    classes = ("a", "b", "c")
    truth = np.array([classes[k] for k in (rng.random((rows, 1)) > proba.cumsum(axis=1)).sum(axis=1)], dtype=object)
    decided = np.array([classes[k] for k in proba.argmax(axis=1)], dtype=object)
    multiclass = Labelled(Outputs("multiclass_classification", decided, proba, classes), truth)
    price = np.exp(rng.normal(3, 0.5, rows))
    regression = Labelled(Outputs("regression", price * np.exp(rng.normal(0, 0.2, rows))), price)
    return {"binary_classification": binary, "multiclass_classification": multiclass, "regression": regression}


def ratio(value: float | None, truth: float | None) -> float | None:
    return None if value is None or not truth else round(value / truth, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-rows", type=int, default=50_000)
    parser.add_argument("--truth-draws", type=int, default=400, help="0: time the two ways only")
    parser.add_argument(
        "--tasks", nargs="*", default=["binary_classification", "multiclass_classification", "regression"]
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=[150, 1000, 5000, 40_000])
    args = parser.parse_args()
    results: dict[str, dict] = {}
    for task, reference in references(args.reference_rows).items():
        if task not in args.tasks:
            continue
        started = time.perf_counter()
        spreads = learn_spreads(reference)
        learn_seconds = time.perf_counter() - started
        sizes = {}
        for rows in args.sizes:
            started = time.perf_counter()
            closed = spreads.errors(rows)
            closed_seconds = time.perf_counter() - started
            started = time.perf_counter()
            before = resampled(reference, rows, RESAMPLED_DRAWS, seed=1)
            before_seconds = time.perf_counter() - started
            truth = resampled(reference, rows, args.truth_draws, seed=2) if args.truth_draws else {}
            figures = {}
            for name in NAMES:
                if name not in closed and name not in before:
                    continue
                figures[name] = {
                    "closed_form": closed.get(name),
                    "resampled_40": before.get(name),
                    "resampled_truth": truth.get(name),
                    "closed_over_truth": ratio(closed.get(name), truth.get(name)),
                    "resampled_40_over_truth": ratio(before.get(name), truth.get(name)),
                }
                print(
                    f"{task:26s} {rows:6d} {name:9s} closed/truth {figures[name]['closed_over_truth']}  "
                    f"40 draws/truth {figures[name]['resampled_40_over_truth']}",
                    flush=True,
                )
            sizes[str(rows)] = {
                "figures": figures,
                "seconds": {"closed_form": round(learn_seconds + closed_seconds, 4), "resampled_40": before_seconds},
            }
            print(f"{task} {rows} seconds {sizes[str(rows)]['seconds']}", flush=True)
        results[task] = {"reference_rows": args.reference_rows, "truth_draws": args.truth_draws, "sizes": sizes}
    write_results(str(HERE / "out" / f"sampling_errors_{args.reference_rows}.json"), results)


if __name__ == "__main__":
    main()
