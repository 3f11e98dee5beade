"""Estimated model quality, measured: DriftHound beside NannyML 0.13 (CBPE, DLE) on the datasets NannyML ships,
on the same chunks, with the labels withheld; then generated logs where the model degrades by covariate shift
(an estimate can follow) and by concept drift (no estimate can).

    make bench-peer                                        # the peer's own venv (once)
    .venv-peer/bin/python bench/peer_nannyml.py estimate   # NannyML's figures and the exported datasets
    .venv/bin/python bench/estimation.py [--only NAME ...] # DriftHound's, side by side (bench/out/estimation.json)
    .venv/bin/python bench/estimation.py --cost            # fitting time, and what estimating adds to a run

For each analysis chunk: DriftHound's estimate, fitted on the reference alone; the realized figure on the
chunk's labels (scikit-learn's definitions, as NannyML's); the band, the realized figure's mean +- 3 std over
reference chunks of the same size (NannyML's thresholds too); an alert when the estimate leaves the band.
The error of each side is the mean over chunks of |estimated - realized|.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.detection import write_results  # noqa: E402
from monitor.columns.roles import ColumnRoles  # noqa: E402
from monitor.evaluation.prepare import prepare  # noqa: E402
from monitor.performance.estimator import fit_estimator  # noqa: E402
from monitor.performance.outcomes import labelled  # noqa: E402
from monitor.performance.realized import realized  # noqa: E402

DATASETS = HERE / "out" / "datasets"
PEER = HERE / "out" / "peer"
K = 3.0


def roles_of(meta: dict) -> ColumnRoles:
    roles = meta
    features = list(roles["features"])
    categorical = tuple(c for c in features if c in roles.get("categorical_features", []))
    numerical = tuple(c for c in features if c not in categorical)
    proba = roles.get("y_pred_proba")
    task = meta["task"]
    if task == "multiclass_classification":
        return ColumnRoles(
            numerical,
            categorical,
            target=roles["y_true"],
            task=task,
            prediction_label=roles["y_pred"],
            probabilities=tuple(proba.items()),
        )
    if task == "binary_classification":
        return ColumnRoles(
            numerical,
            categorical,
            prediction=proba,
            target=roles["y_true"],
            task=task,
            prediction_label=roles["y_pred"],
        )
    return ColumnRoles(numerical, categorical, prediction=roles["y_pred"], target=roles["y_true"], task=task)


def chunks(frame: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    return [frame.iloc[i : i + size] for i in range(0, len(frame), size)]


def side_by_side(name: str) -> dict:
    meta = json.loads((DATASETS / name / "meta.json").read_text())
    peer = json.loads((PEER / f"{name}.json").read_text())
    roles = roles_of(meta)
    metrics = peer["metrics"]
    size = peer["chunk_size"]
    reference = pd.read_parquet(DATASETS / name / "reference.parquet")
    analysis = pd.read_parquet(DATASETS / name / "analysis.parquet")
    ref = prepare(reference, roles)
    started = time.perf_counter()
    estimator = fit_estimator(ref.frame, roles, ref.prediction_kind, seed=1)
    fit_seconds = time.perf_counter() - started
    assert not isinstance(estimator, str), estimator
    # The band: the realized figure over reference chunks of the analysis chunks' size.
    band_values: dict[str, list[float]] = {m: [] for m in metrics}
    for part in chunks(ref.frame, size):
        if len(part) < size:
            continue
        values = realized(labelled(part, roles, ref.prediction_kind))
        for m in metrics:
            if m in values:
                band_values[m].append(values[m])
    bands = {m: (np.mean(v) - K * np.std(v), np.mean(v) + K * np.std(v)) for m, v in band_values.items() if v}
    rows = []
    started = time.perf_counter()
    peer_chunks = [c for c in peer["chunks"] if c["period"] == "analysis"]
    for chunk in peer_chunks:
        part = prepare(analysis.iloc[chunk["start_row"] : chunk["stop_row"]].reset_index(drop=True), roles)
        estimate = estimator.estimate(part.frame)
        truth = realized(labelled(part.frame, roles, part.prediction_kind))
        row = {"index": chunk["index"], "rows": chunk["rows"], "metrics": {}}
        for m in metrics:
            ours = estimate.values.get(m) if not isinstance(estimate, str) else None
            theirs = chunk["metrics"].get(m, {}).get("estimated")
            if theirs is not None and m == "mape":
                theirs *= 100  # NannyML's mape is a share; DriftHound's (as Evidently's) a percentage
            real = truth.get(m)
            low, high = bands.get(m, (None, None))
            row["metrics"][m] = {
                "realized": real,
                "drifthound": ours,
                "nannyml": theirs,
                "band": [low, high],
                "realized_out": None if real is None or low is None else not (low <= real <= high),
                "drifthound_alert": None if ours is None or low is None else not (low <= ours <= high),
                "nannyml_alert": chunk["metrics"].get(m, {}).get("alert"),
            }
        rows.append(row)
    estimate_seconds = time.perf_counter() - started
    summary = {}
    for m in metrics:
        pairs = [r["metrics"][m] for r in rows]
        both = [
            p for p in pairs if p["realized"] is not None and p["drifthound"] is not None and p["nannyml"] is not None
        ]
        ours = [abs(p["drifthound"] - p["realized"]) for p in both]
        theirs = [abs(p["nannyml"] - p["realized"]) for p in both]
        summary[m] = {
            "chunks": len(both),
            "drifthound_mae": float(np.mean(ours)) if ours else None,
            "nannyml_mae": float(np.mean(theirs)) if theirs else None,
            "realized_out_of_band": [r["index"] for r in rows if r["metrics"][m]["realized_out"]],
            "drifthound_alerts": [r["index"] for r in rows if r["metrics"][m]["drifthound_alert"]],
            "nannyml_alerts": [r["index"] for r in rows if r["metrics"][m]["nannyml_alert"]],
        }
    return {
        "dataset": name,
        "task": meta["task"],
        "chunk_size": size,
        "reference_rows": len(reference),
        "analysis_rows": len(analysis),
        "calibration": [c.method for c in estimator.calibrators],
        "seconds": {"fit": round(fit_seconds, 2), "estimate": round(estimate_seconds, 2)},
        "summary": summary,
        "chunks": rows,
    }


def shift_cases(seed: int = 3) -> dict:
    """A binary model on generated data: covariate shift (inputs move to where the model is less sure: the
    estimate must follow) and concept drift (the same inputs, a new relation: no estimate can see it)."""
    rng = np.random.default_rng(seed)
    roles = ColumnRoles(("x", "z"), (), prediction="p", target="y", task="binary_classification", prediction_label="d")

    def log(n: int, *, spread: float, concept: bool) -> pd.DataFrame:
        x, z = rng.normal(0, spread, n), rng.normal(0, 1, n)
        p = 1 / (1 + np.exp(-(2 * x + 0.5 * z)))
        truth_p = 1 / (1 + np.exp(-(0.5 * x + 0.5 * z))) if concept else p
        y = (rng.random(n) < truth_p).astype(int)
        return pd.DataFrame({"x": x, "z": z, "p": p, "d": (p > 0.6).astype(int), "y": y})

    reference = prepare(log(50_000, spread=1.5, concept=False), roles)
    estimator = fit_estimator(reference.frame, roles, reference.prediction_kind, seed=1)
    cases = {}
    for case, spread, concept in (
        ("stable", 1.5, False),
        ("covariate shift", 0.4, False),
        ("concept drift", 1.5, True),
    ):
        window = prepare(log(5000, spread=spread, concept=concept), roles)
        estimate = estimator.estimate(window.frame)
        truth = realized(labelled(window.frame, roles, window.prediction_kind))
        cases[case] = {
            m: {"estimated": estimate.values[m], "realized": truth[m], "sampling_error": estimate.sampling_errors[m]}
            for m in ("roc_auc", "accuracy")
        }
    return cases


COST_DAY0 = datetime(2026, 11, 1, tzinfo=UTC)


def cost_log(task: str, window_rows: int, reference_rows: int, windows: int, seed: int = 5) -> pd.DataFrame:
    """Logs to time runs on: an hour of `reference_rows` rows from COST_DAY0, then `windows` hours of
    `window_rows` rows each; 8 numerical and 2 categorical features, the model's outputs ("p", and the decided
    class "d" for a classifier) and the target "y"."""
    rng = np.random.default_rng(seed)
    n = reference_rows + window_rows * windows
    ts = np.concatenate(
        [
            COST_DAY0 + pd.to_timedelta(np.sort(rng.uniform(0, 3600, reference_rows)), unit="s"),
            *[
                COST_DAY0 + timedelta(hours=h) + pd.to_timedelta(np.sort(rng.uniform(0, 3600, window_rows)), unit="s")
                for h in range(1, windows + 1)
            ],
        ]
    )
    features = {f"x{i}": rng.normal(0, 1, n) for i in range(8)}
    features |= {f"c{i}": rng.choice(["a", "b", "c", "d"], n) for i in range(2)}
    z = sum(features[f"x{i}"] * (0.8 - 0.1 * i) for i in range(8))
    frame = pd.DataFrame({"ts": pd.DatetimeIndex(ts).tz_localize(None), **features})
    if task == "binary_classification":
        p = 1 / (1 + np.exp(-z))
        frame["p"], frame["d"], frame["y"] = p, (p > 0.6).astype(int), (rng.random(n) < p).astype(int)
    else:
        frame["p"] = 10 + z
        frame["y"] = frame["p"] + rng.normal(0, 1 + np.abs(z) / 2, n)
    return frame


def cost_runner(name: str, frame: pd.DataFrame, task: str, monitors: dict[str, str]):
    """`frame` written to bench/out/<name>.db, and a Runner (with its config) over it holding one monitor per
    entry of `monitors` (monitor name -> the TOML lines that set what is compared), each with an hourly window
    and the first hour as its reference."""
    from bench.runner import cost_log_monitor, fresh_runner, write_log

    source = write_log(frame, HERE / "out" / f"{name}.db")
    reference = ("2026-11-01T00:00:00Z", "2026-11-01T01:00:00Z")
    text = "".join(
        cost_log_monitor(monitor, task, every="1h", reference=reference, extra=f"{setting}\nmax_rows = 200000")
        for monitor, setting in monitors.items()
    )
    return fresh_runner(HERE / "out" / f"{name}_store.db", HERE / "out" / "cost_reports", source, text)


def cost(window_rows: int = 100_000, reference_rows: int = 50_000, repeats: int = 3) -> dict:
    """Fitting on a 50,000-row reference, and what estimation adds to a 100,000-row run once it is fitted: the
    same windows evaluated in-process by two monitors, estimate_performance on and off (no process start-up,
    so the share is of the evaluation itself, the strictest reading)."""
    from monitor.windows import Window

    results: dict[str, dict] = {}
    for task in ("binary_classification", "regression"):
        hours = 1 + repeats + 1
        frame = cost_log(task, window_rows, reference_rows, hours - 1)
        config, runner = cost_runner(
            f"estimation_cost_{task}",
            frame,
            task,
            {"on": "estimate_performance = true", "off": "estimate_performance = false"},
        )
        timings: dict[str, list[float]] = {"on": [], "off": []}
        for h in range(1, hours):
            window = Window(COST_DAY0 + timedelta(hours=h), COST_DAY0 + timedelta(hours=h + 1))
            for name in ("on", "off"):
                started = time.perf_counter()
                result = runner.run(config.monitor(name), window)
                assert result.status == "ok", result.reason
                if h > 1:  # the first window fits the reference; the others reuse it
                    timings[name].append(time.perf_counter() - started)
        reference = prepare(
            frame.iloc[:reference_rows].reset_index(drop=True), runner.inputs(config.monitor("on")).roles()
        )
        fits = []
        for _ in range(repeats):
            started = time.perf_counter()
            fit_estimator(
                reference.frame, runner.inputs(config.monitor("on")).roles(), reference.prediction_kind, seed=1
            )
            fits.append(time.perf_counter() - started)
        on, off = float(np.median(timings["on"])), float(np.median(timings["off"]))
        results[task] = {
            "window_rows": window_rows,
            "reference_rows": reference_rows,
            "fit_seconds": round(float(np.median(fits)), 2),
            "run_seconds_estimating": round(on, 2),
            "run_seconds_not_estimating": round(off, 2),
            "added_share": round(on / off - 1, 3),
        }
        print(task, results[task])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="dataset names (default: every one the peer estimated)")
    parser.add_argument("--cost", action="store_true", help="measure the cost only (no peer needed)")
    args = parser.parse_args()
    if args.cost:
        write_results(str(HERE / "out" / "estimation_cost.json"), cost())
        return
    names = args.only or sorted(p.stem for p in PEER.glob("*.json"))
    results = {"datasets": [side_by_side(name) for name in names], "generated": shift_cases()}
    for result in results["datasets"]:
        print(f"\n{result['dataset']} ({result['task']}, chunks of {result['chunk_size']}, fit {result['seconds']})")
        for metric, s in result["summary"].items():
            print(
                f"  {metric:9s} DriftHound {s['drifthound_mae']:.6f}  NannyML {s['nannyml_mae']:.6f}  "
                f"over {s['chunks']} chunks; out of band (realized) {s['realized_out_of_band']} "
                f"DriftHound alerts {s['drifthound_alerts']} NannyML alerts {s['nannyml_alerts']}"
            )
    print("\ngenerated:")
    for case, values in results["generated"].items():
        print(f"  {case:16s}", {m: {k: round(v, 4) for k, v in d.items()} for m, d in values.items()})
    write_results(str(HERE / "out" / "estimation.json"), results)


if __name__ == "__main__":
    main()
