"""Explanations, measured: does "where to look" name what really changed, and does ranking by impact name the
drifted column that matters to the model? On generated logs with ground truth, and the cost in a run.

    .venv/bin/python bench/impact.py [--windows 100] [--classifier-windows 100] [--rows 5000] [--only impact]
    .venv/bin/python bench/impact.py --cost [--repeats 7]

Cases (reference 50,000 rows; windows of --rows rows; results in bench/out/impact.json):
- correlation: bench/multivariate.py's "weaker" and "flip" logs (12 columns; only the correlation of x0 and
  x1 changes, 0.6 to 0.4, or 0.8 to -0.8): the share of windows whose "where to look" (the multivariate
  contributions stored and notified) has x0 and x1 as its top two, by the reconstruction (every window) and
  the domain classifier (--classifier-windows of them);
- impact: tests/impact_world.py's log (the score follows `important` strongly, `minor` a little, the region a
  little, never `ignored`); each window shifts `ignored` by 3 standard deviations and `important` by 0.3. The
  per-column tests judge it as a run does; the share of windows where both are detected, and where the
  drifted columns as notifications rank them (monitor.figures.drifted_columns, on the run's figures) name
  `important` first, against ranking by drift.ratio alone;
- quiet: the same log unshifted: the largest drift.impact of any feature (the figure's noise level).

--cost: what the impact step adds to a run of the daemon's Runner on a 100,000-row window (bench/estimation.py's
cost log: 8 numerical and 2 categorical features, a 50,000-row reference), the step on and off by turns,
medians of --repeats runs after the first; the window as logged (nothing drifts) and with every numerical
feature moved by 0.2 std (8 drifted columns: the most impact work a run of it can do); and the surrogate's
fit, once per reference.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from datetime import timedelta
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.detection import write_results  # noqa: E402
from bench.estimation import COST_DAY0, cost_log, cost_runner  # noqa: E402
from bench.multivariate import MIN_EFFECT, mixed_log, roles  # noqa: E402
from monitor.columns.roles import ColumnRoles  # noqa: E402
from monitor.drift.detect import DriftSettings, ReferenceProfile, detect, per_test_alpha  # noqa: E402
from monitor.evaluation.flatten import drift_rows  # noqa: E402
from monitor.evaluation.prepare import prepare  # noqa: E402
from monitor.explain.impact import fit_model_impact  # noqa: E402
from monitor.figures import MetricRow, drifted_columns  # noqa: E402
from monitor.multivariate import classifier  # noqa: E402
from monitor.multivariate.reconstruction import fit_reconstruction, judge  # noqa: E402
from tests.impact_world import explained_log  # noqa: E402

warnings.filterwarnings("ignore")
REFERENCE_ROWS = 50_000
IMPACT_ROLES = ColumnRoles(
    ("important", "minor", "ignored"), ("region",), prediction="score", task="binary_classification"
)


def correlation_case(kind: str, rows: int, windows: int, classifier_windows: int, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    reference = mixed_log(rng, REFERENCE_ROWS, 12, kind, after=False)
    numerical, categorical = roles(reference)
    model = fit_reconstruction(reference, numerical, categorical, seed=seed)
    assert not isinstance(model, str), model
    kinds = {c: "numerical" for c in numerical} | {c: "categorical" for c in categorical}
    alpha = per_test_alpha(ReferenceProfile(reference, kinds, seed=seed), list(kinds), DriftSettings(), 1)
    placed = {"reconstruction": [0, 0, 0], "classifier": [0, 0, 0]}  # windows, detected, top two right
    for index in range(windows):
        window = mixed_log(rng, rows, 12, kind, after=True)
        verdicts = [("reconstruction", judge(model, window, alpha=alpha, min_effect=MIN_EFFECT))]
        if index < classifier_windows:
            c = classifier.judge(model.encoder, reference, window, alpha=alpha, min_effect=MIN_EFFECT, seed=seed)
            verdicts.append(("classifier", c))
        for method, verdict in verdicts:
            top_two = {column for column, _ in verdict.contributions[:2]}
            counts = placed[method]
            counts[0] += 1
            counts[1] += bool(verdict.detected)
            counts[2] += top_two == {"x0", "x1"}
    return {
        method: {"windows": n, "detected": d, "top_two_right": right, "share_right": right / n if n else None}
        for method, (n, d, right) in placed.items()
    }


def impact_case(rows: int, windows: int, shift: dict[str, float], seed: int = 2) -> dict:
    rng = np.random.default_rng(seed)
    reference = prepare(explained_log(rng, REFERENCE_ROWS), IMPACT_ROLES).frame
    started = time.perf_counter()
    impact = fit_model_impact(reference, IMPACT_ROLES.numerical, IMPACT_ROLES.categorical, "score", seed=seed)
    fit_seconds = time.perf_counter() - started
    assert not isinstance(impact, str), impact
    profile = ReferenceProfile(reference, IMPACT_ROLES.drift_kinds("probability"), seed=seed)
    columns = list(IMPACT_ROLES.features)
    both, first_by_impact, first_by_ratio, largest, seconds = 0, 0, 0, [], 0.0
    for _ in range(windows):
        window = prepare(explained_log(rng, rows, **shift), IMPACT_ROLES).frame
        verdicts = detect(window, profile, columns, DriftSettings(), reference=reference, extra_tests=1)
        drifted = [d.column for d in verdicts if d.detected]
        started = time.perf_counter()
        moved = impact.impacts(window, drifted, seed=seed)
        seconds += time.perf_counter() - started
        figures = drift_rows(verdicts, IMPACT_ROLES)
        ranked_by_ratio = [c for c, _, _ in drifted_columns(figures)]
        ranked = [
            c for c, _, _ in drifted_columns([*figures, *(MetricRow("drift.impact", c, v) for c, v in moved.items())])
        ]
        both += {"important", "ignored"} <= set(drifted)
        first_by_impact += bool(ranked) and ranked[0] == "important"
        first_by_ratio += bool(ranked_by_ratio) and ranked_by_ratio[0] == "important"
        everything = impact.impacts(window, columns, seed=seed)
        largest.append(max(everything.values()))
    return {
        "windows": windows,
        "rows": rows,
        "shift": shift,
        "surrogate_r2": impact.fit,
        "importance": impact.importance,
        "both_detected": both,
        "important_first_by_impact": first_by_impact,
        "important_first_by_ratio": first_by_ratio,
        "largest_impact_any_feature": {
            "median": float(np.median(largest)),
            "p95": float(np.quantile(largest, 0.95)),
            "max": float(np.max(largest)),
        },
        "impact_seconds_per_window": seconds / windows,
        "fit_seconds": fit_seconds,
    }


def cost(repeats: int, window_rows: int = 100_000, reference_rows: int = 50_000) -> dict:
    """The impact step on and off by turns on the same window (force), on the log as it is and with every
    numerical feature moved in the window."""
    import monitor.evaluation.window as evaluation
    from monitor.evaluation.step import StepOutput
    from monitor.windows import Window

    task = "binary_classification"
    frame = cost_log(task, window_rows, reference_rows, windows=2)
    # The second window hour: every numerical feature moved by 0.2 std (8 drifted columns to measure).
    late = frame["ts"] >= (COST_DAY0 + timedelta(hours=2)).replace(tzinfo=None)
    for i in range(8):
        frame.loc[late, f"x{i}"] += 0.2
    config, runner = cost_runner("impact_cost", frame, task, {"cost": "estimate_performance = false"})
    monitor = config.monitor("cost")
    step = evaluation.impact_step
    inside: list[float] = []  # CPU seconds spent in the step, run by run

    def timed(*args, **kwargs):
        started = time.process_time()
        out = step(*args, **kwargs)
        inside.append(time.process_time() - started)
        return out

    result: dict = {"window_rows": window_rows, "reference_rows": reference_rows, "runs_per_mode": repeats}
    for label, hour in (("nothing drifted", 1), ("8 columns drifted", 2)):
        window = Window(COST_DAY0 + timedelta(hours=hour), COST_DAY0 + timedelta(hours=hour + 1))
        timings: dict[str, list[float]] = {"off": [], "on": []}
        cpu: dict[str, list[float]] = {"off": [], "on": []}
        inside.clear()
        drifted = 0
        for turn in range(repeats + 1):
            for mode in ("off", "on"):
                evaluation.impact_step = timed if mode == "on" else (lambda *args, **kwargs: StepOutput())
                started, started_cpu = time.perf_counter(), time.process_time()
                run = runner.run(monitor, window, force=True)
                took, took_cpu = time.perf_counter() - started, time.process_time() - started_cpu
                assert run.status == "ok", run.reason
                if mode == "on":
                    drifted = sum(1 for m in run.metrics if m.metric == "drift.impact" and not m.segment)
                if turn:
                    timings[mode].append(round(took, 3))
                    cpu[mode].append(round(took_cpu, 3))
        median = {mode: float(np.median(t)) for mode, t in timings.items()}
        median_cpu = {mode: float(np.median(t)) for mode, t in cpu.items()}
        result[label] = {
            "impact_columns": drifted,
            "run_seconds_median": median,
            "added_share": round(median["on"] / median["off"] - 1, 3),
            # CPU seconds of the process (one thread): what the machine's other load does not inflate.
            "run_cpu_seconds_median": median_cpu,
            "added_cpu_share": round(median_cpu["on"] / median_cpu["off"] - 1, 3),
            # The step alone: the difference of two noisy medians above can hide it.
            "step_cpu_seconds_median": round(float(np.median(inside[1:])), 4),
            "step_share_of_run_cpu": round(float(np.median(inside[1:])) / median_cpu["off"], 3),
            "run_seconds": timings,
            "run_cpu_seconds": cpu,
        }
        print(label, json.dumps(result[label]), flush=True)
    evaluation.impact_step = step
    reference = prepare(
        frame.iloc[:reference_rows],
        ColumnRoles(tuple(f"x{i}" for i in range(8)), ("c0", "c1"), prediction="p", task=task),
    ).frame
    fits = []
    for _ in range(3):
        started = time.process_time()
        fit_model_impact(reference, tuple(f"x{i}" for i in range(8)), ("c0", "c1"), "p", seed=1)
        fits.append(time.process_time() - started)
    result["surrogate_fit_cpu_seconds_median"] = float(np.median(fits))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=100)
    parser.add_argument("--classifier-windows", type=int, default=100)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--only", choices=("correlation", "impact"), help="one kind of case")
    parser.add_argument("--cost", action="store_true")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    if args.cost:
        write_results(str(HERE / "out" / "impact_cost.json"), cost(args.repeats))
        return
    results: dict = {"settings": vars(args)}
    path = str(HERE / "out" / f"impact_{args.only}.json" if args.only else HERE / "out" / "impact.json")
    for kind in ("weaker", "flip") if args.only != "impact" else ():
        started = time.perf_counter()
        results[f"correlation {kind}"] = correlation_case(kind, args.rows, args.windows, args.classifier_windows)
        results[f"correlation {kind}"]["bench_seconds"] = round(time.perf_counter() - started, 1)
        print(kind, json.dumps(results[f"correlation {kind}"]), flush=True)
        write_results(path, results)
    shifts = (("impact", {"ignored": 3.0, "important": 0.3}), ("quiet", {}))
    for label, shift in shifts if args.only != "correlation" else ():
        for rows in (1000, args.rows):
            results[f"{label} {rows}"] = impact_case(rows, args.windows, shift)
            print(label, rows, json.dumps(results[f"{label} {rows}"]), flush=True)
            write_results(path, results)


if __name__ == "__main__":
    main()
