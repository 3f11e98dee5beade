"""Multivariate drift, measured: DriftHound's reconstruction error and domain classifier beside its own
per-column verdicts and NannyML 0.13's DataReconstructionDriftCalculator and DomainClassifierCalculator, on
generated logs whose every marginal stays put while the columns stop moving together.

    .venv/bin/python bench/multivariate.py [--windows 1000] [--shift-windows 100] [--classifier-windows 20] \
        [--peer] [--peer-windows 10] [--only stationary,flip,...] [--quick]
    .venv/bin/python bench/multivariate.py --cost [--repeats 7]

Cases (each column's own distribution unchanged in every one):
- stationary: 12 and 50 columns of mixed shapes (normal, skewed, heavy-tailed, discrete, categorical), with
  correlations; the share of windows flagged (multivariate, per-column, either) at 1,000 and 5,000 rows;
- flip: two columns correlated 0.8 become correlated -0.8;
- weaker: two of 12 columns correlated 0.6 become correlated 0.4;
- sum: a third column that was the sum of two others (plus a little noise) becomes independent of them;
  each at windows of 1,000, 5,000 and 50,000 rows;
- butterfly: NannyML's own example of what its reconstruction error sees (docs/how_it_works/
  data_reconstruction.rst), rebuilt from its description: three features, a 90-degree rotation of two of
  them; a week of 5-minute events (2,016 rows) a window, ten weeks of reference; rotated and not;
- car_loan: NannyML's synthetic_car_loan (exported by `.venv-peer/bin/python bench/peer_nannyml.py
  estimate`), its 7 features, reference 50,000 rows, its ten 5,000-row analysis chunks (the last five shifted):
  each chunk's verdicts. Skipped when the export is missing.

Every window is judged by the reconstruction and, on the first COLUMN_WINDOWS, by the per-column tests; a
second pass (another seed, --classifier-windows windows) adds the domain classifier. With --peer, the same
kind of windows (--peer-windows of them) go through bench/peer_nannyml.py in .venv-peer; not at 50,000 rows,
where a 50,000-row reference is a single chunk and NannyML's reconstruction threshold (mean +- 3 std of the
reference chunks' errors) is undefined.

--cost: what each mode adds to a 100,000-row run through the daemon's Runner, on the logs (and with the
helpers) of bench/estimation.py's cost: one window evaluated again and again (force), the modes in turn.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.detection import write_results  # noqa: E402
from bench.estimation import COST_DAY0, cost_log, cost_runner, roles_of  # noqa: E402
from monitor.columns.roles import ColumnRoles  # noqa: E402
from monitor.drift.detect import DriftSettings, ReferenceProfile, detect, per_test_alpha  # noqa: E402
from monitor.evaluation.prepare import prepare  # noqa: E402
from monitor.multivariate import classifier  # noqa: E402
from monitor.multivariate.reconstruction import fit_reconstruction, judge  # noqa: E402

warnings.filterwarnings("ignore")
PEER_PYTHON = HERE.parent / ".venv-peer" / "bin" / "python"
OUT = HERE / "out" / "multivariate"
REFERENCE_ROWS = 50_000
MIN_EFFECT = 0.02
COLUMN_WINDOWS = 200
WEEK = 7 * 24 * 12  # 5-minute events in a week
CAR_LOAN = HERE / "out" / "datasets" / "synthetic_car_loan"


def correlated(rng: np.random.Generator, n: int, rho: float) -> tuple[np.ndarray, np.ndarray]:
    a = rng.normal(0, 1, n)
    return a, rho * a + np.sqrt(1 - rho * rho) * rng.normal(0, 1, n)


def mixed_log(rng: np.random.Generator, n: int, columns: int, case: str, after: bool) -> pd.DataFrame:
    """`columns` columns: the first two (x0, x1) carry the case's relation; x2 = x0 + x1 + noise in "sum"; the
    rest mixed shapes, some correlated among themselves (every other pair 0.5), and two categoricals."""
    rho = {"flip": (0.8, -0.8), "weaker": (0.6, 0.4)}.get(case, (0.6, 0.6))
    x0, x1 = correlated(rng, n, rho[1] if after else rho[0])
    data: dict[str, np.ndarray] = {"x0": x0, "x1": x1}
    if case == "sum":
        # Afterwards independent of x0 and x1, with the very distribution their sum had (variance 2 + 2 * 0.6).
        data["x2"] = (rng.normal(0, np.sqrt(2 + 2 * rho[0]), n) if after else x0 + x1) + rng.normal(0, 0.1, n)
    shapes = [
        lambda: rng.normal(0, 1, n),
        lambda: rng.lognormal(0, 0.5, n),
        lambda: rng.standard_t(5, n),
        lambda: rng.poisson(4, n).astype(float),
        lambda: rng.gamma(2, 1, n),
    ]
    k = len(data)
    while len(data) < columns - 2:
        if k % 2 == 0 and len(data) < columns - 3:
            a, b = correlated(rng, n, 0.5)
            data[f"x{k}"], data[f"x{k + 1}"] = a, np.exp(b / 2)
            k += 2
        else:
            data[f"x{k}"] = shapes[k % len(shapes)]()
            k += 1
    frame = pd.DataFrame(data)
    frame["region"] = rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2, 0.1])
    frame["channel"] = np.where(frame["x3" if "x3" in frame else "x0"] > 0, "web", rng.choice(["web", "app"], n))
    return frame


def butterfly(rng: np.random.Generator, n: int, rotated: bool) -> pd.DataFrame:
    """NannyML's butterfly, from the description in its docs: one hidden standard normal signal, followed
    closely by feature1 and feature2 (each the signal plus its own normal noise of std 1/8, so they correlate
    about 0.98), and feature3, normal noise of std 1/8 alone. The drift turns the points by 90 degrees about
    feature3's axis: (feature1, feature2) becomes (-feature2, feature1). Both are the same symmetric
    distribution, so no column's own distribution moves; their correlation goes to about -0.98."""
    signal = rng.normal(0, 1, n)
    first = signal + rng.normal(0, 1, n) / 8
    second = signal + rng.normal(0, 1, n) / 8
    third = rng.normal(0, 1, n) / 8
    if rotated:
        first, second = -second, first
    return pd.DataFrame({"feature1": first, "feature2": second, "feature3": third})


@dataclass(frozen=True)
class Case:
    kind: str  # stationary, flip, weaker, sum, butterfly
    columns: int
    rows: int
    windows: int
    shifted: bool
    reference_rows: int = REFERENCE_ROWS

    @property
    def key(self) -> str:
        label = self.kind if self.shifted or self.kind == "stationary" else f"{self.kind}, unshifted"
        return f"{label}/{self.columns} columns/{self.rows} rows"

    @property
    def stem(self) -> str:
        return f"{self.kind}{'' if self.shifted else '_unshifted'}_{self.columns}_{self.rows}"

    def draw(self, rng: np.random.Generator, rows: int, after: bool) -> pd.DataFrame:
        if self.kind == "butterfly":
            return butterfly(rng, rows, rotated=after)
        return mixed_log(rng, rows, self.columns, self.kind, after)

    def reference(self, rng: np.random.Generator) -> pd.DataFrame:
        return self.draw(rng, self.reference_rows, after=False)

    def windows_of(self, rng: np.random.Generator, count: int) -> Iterable[pd.DataFrame]:
        return (self.draw(rng, self.rows, after=self.shifted) for _ in range(count))


def roles(frame: pd.DataFrame) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(numerical, categorical) features of a generated log: by dtype."""
    numerical = tuple(c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]))
    return numerical, tuple(c for c in frame.columns if c not in numerical)


def verdicts(
    reference: pd.DataFrame,
    windows: Iterable[pd.DataFrame],
    numerical: tuple[str, ...],
    categorical: tuple[str, ...],
    seed: int,
    *,
    classifier_too: bool,
    per_window: bool = False,
) -> dict:
    """DriftHound's verdicts on each window: the reconstruction, the domain classifier if asked, and the
    per-column tests on the first COLUMN_WINDOWS windows. Each mode's verdict at the false-alarm rate the daemon
    gives it: the run's, shared by the columns' tests and the one multivariate test ("either" is any of the
    three, each at that rate: a bound on "both")."""
    model = fit_reconstruction(reference, numerical, categorical, seed=seed)
    assert not isinstance(model, str), model
    kinds = {c: "numerical" for c in numerical} | {c: "categorical" for c in categorical}
    profile = ReferenceProfile(reference, kinds, seed=seed)
    settings = DriftSettings()
    alpha = per_test_alpha(profile, list(kinds), settings, 1)
    flagged = {"reconstruction": 0, "classifier": 0, "columns": 0, "either": 0}
    judged = {"columns": 0, "either": 0}
    scores: list[float] = []
    seconds = {"reconstruction": 0.0, "classifier": 0.0, "columns": 0.0}
    each: list[dict] = []
    count = 0
    for index, window in enumerate(windows):
        count += 1
        started = time.perf_counter()
        verdict = judge(model, window, alpha=alpha, min_effect=MIN_EFFECT)
        seconds["reconstruction"] += time.perf_counter() - started
        scores.append(verdict.score)
        flagged["reconstruction"] += verdict.detected
        detected = bool(verdict.detected)
        row = {"reconstruction": {"score": verdict.score, "threshold": float(verdict.threshold), "detected": detected}}
        c = None
        if classifier_too:
            started = time.perf_counter()
            c = classifier.judge(model.encoder, reference, window, alpha=alpha, min_effect=MIN_EFFECT, seed=seed)
            seconds["classifier"] += time.perf_counter() - started
            flagged["classifier"] += c.detected
            row["classifier"] = {"score": c.score, "threshold": float(c.threshold), "detected": bool(c.detected)}
        # The per-column verdicts (measured at length in bench/detection.py) on the first COLUMN_WINDOWS windows.
        if index < COLUMN_WINDOWS:
            started = time.perf_counter()
            drifted = [
                d.column
                for d in detect(window, profile, list(kinds), settings, reference=reference, extra_tests=1)
                if d.detected
            ]
            seconds["columns"] += time.perf_counter() - started
            flagged["columns"] += bool(drifted)
            flagged["either"] += bool(drifted) or verdict.detected or (c is not None and c.detected)
            judged["columns"] += 1
            judged["either"] += 1
            row["columns_drifted"] = drifted
        if per_window:
            each.append(row)
    shares = {"reconstruction": flagged["reconstruction"] / count}
    if classifier_too:
        shares["classifier"] = flagged["classifier"] / count
    shares |= {k: flagged[k] / judged[k] for k in judged if judged[k]}
    per = {"reconstruction": count, "classifier": count, "columns": judged["columns"]}
    result = {
        "windows": count,
        "windows_judged_per_column": judged["columns"],
        "share_flagged": {k: float(v) for k, v in shares.items()},
        "alpha": alpha,
        "no_drift_mean": model.mean,
        "mean_score": float(np.mean(scores)),
        "seconds_per_window": {k: round(v / per[k], 4) for k, v in seconds.items() if v},
        "top_contribution": judge(model, window, alpha=alpha, min_effect=MIN_EFFECT).contributions[:3],
    }
    if per_window:
        result["per_window"] = each
    return result


def case_verdicts(case: Case, windows: int, seed: int, *, classifier_too: bool) -> dict:
    rng = np.random.default_rng(seed)
    reference = case.reference(rng)
    numerical, categorical = roles(reference)
    return verdicts(
        reference, case.windows_of(rng, windows), numerical, categorical, seed, classifier_too=classifier_too
    )


def peer_verdicts(
    stem: str,
    reference: Path,
    analysis: Path,
    rows: int,
    numerical: Iterable[str],
    categorical: Iterable[str],
    methods: str = "reconstruction,classifier",
) -> dict:
    """NannyML's calculators on the two files, chunked by `rows`: per method the share of full analysis
    chunks alerted, each one's alert, and the seconds taken (fit included: NannyML computes every reference
    chunk too, so "chunks" counts both periods' chunks)."""
    result_path = OUT / f"{stem}_peer.json"
    subprocess.run(
        [
            str(PEER_PYTHON),
            str(HERE / "peer_nannyml.py"),
            "multivariate",
            "--reference",
            str(reference),
            "--analysis",
            str(analysis),
            "--chunk-size",
            str(rows),
            "--columns",
            ",".join(numerical),
            "--categorical",
            ",".join(categorical),
            "--methods",
            methods,
            "--out",
            str(result_path),
        ],
        check=True,
        capture_output=True,
    )
    result = json.loads(result_path.read_text())
    summary = {}
    for method, data in result["methods"].items():
        chunks = [c for c in data["chunks"] if c["period"] == "analysis" and c["rows"] == rows]
        summary[method] = {
            "windows": len(chunks),
            "share_flagged": sum(1 for c in chunks if c["alert"]) / max(len(chunks), 1),
            "alerts": [bool(c["alert"]) for c in chunks],
            "values": [c["value"] for c in chunks],
            "thresholds": [data["lower_threshold"], data["upper_threshold"]],
            "seconds": data.get("seconds"),
            "chunks": len(data["chunks"]),
        }
    return summary


def case_peer(case: Case, windows: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    OUT.mkdir(parents=True, exist_ok=True)
    reference = case.reference(rng)
    analysis = pd.concat(list(case.windows_of(rng, windows)), ignore_index=True)
    paths = OUT / f"{case.stem}_reference.parquet", OUT / f"{case.stem}_analysis.parquet"
    reference.to_parquet(paths[0])
    analysis.to_parquet(paths[1])
    numerical, categorical = roles(reference)
    return peer_verdicts(case.stem, *paths, case.rows, numerical, categorical)


def car_loan(peer: bool, seed: int = 1) -> dict | None:
    """DriftHound on NannyML's synthetic_car_loan: each of the ten analysis chunks' verdicts (the first five
    unshifted, the last five shifted), and with `peer` NannyML's on the same files."""
    if not (CAR_LOAN / "meta.json").exists():
        return None
    meta = json.loads((CAR_LOAN / "meta.json").read_text())
    full = roles_of(meta)
    features = ColumnRoles(full.numerical, full.categorical)
    reference = prepare(pd.read_parquet(CAR_LOAN / "reference.parquet"), features).frame
    analysis = prepare(pd.read_parquet(CAR_LOAN / "analysis.parquet"), features).frame
    size = meta["chunk_size"]
    chunks = [analysis.iloc[i : i + size].reset_index(drop=True) for i in range(0, len(analysis), size)]
    ours = verdicts(
        reference, chunks, features.numerical, features.categorical, seed, classifier_too=True, per_window=True
    )
    half = len(chunks) // 2
    for method in ("reconstruction", "classifier"):
        flags = [w[method]["detected"] for w in ours["per_window"]]
        ours[f"{method}_flagged"] = {"first_five": int(sum(flags[:half])), "last_five": int(sum(flags[half:]))}
    columns = [bool(w["columns_drifted"]) for w in ours["per_window"]]
    ours["columns_flagged"] = {"first_five": sum(columns[:half]), "last_five": sum(columns[half:])}
    result = {"reference_rows": len(reference), "chunk_rows": size, "chunks": len(chunks), "drifthound": ours}
    if peer:
        OUT.mkdir(parents=True, exist_ok=True)
        result["nannyml"] = peer_verdicts(
            "synthetic_car_loan",
            CAR_LOAN / "reference.parquet",
            CAR_LOAN / "analysis.parquet",
            size,
            features.numerical,
            features.categorical,
        )
    return result


def cost(repeats: int = 7, window_rows: int = 100_000, reference_rows: int = 50_000) -> dict:
    """What each multivariate mode adds to a run of the daemon's Runner (what `drifthound check` does, without
    the process start-up) on one 100,000-row window, once the reference is fitted: the same window evaluated
    again and again (force), the three modes taking turns (off, reconstruction, classifier, off, ...) so that
    whatever else the machine does falls on all three alike; medians of `repeats` runs after the first."""
    from monitor.windows import Window

    modes = ("off", "reconstruction", "classifier")
    task = "binary_classification"
    frame = cost_log(task, window_rows, reference_rows, windows=1)
    config, runner = cost_runner(
        "multivariate_cost",
        frame,
        task,
        {mode: f'multivariate_drift = "{mode}"\nestimate_performance = false' for mode in modes},
    )
    window = Window(COST_DAY0 + timedelta(hours=1), COST_DAY0 + timedelta(hours=2))
    first: dict[str, float] = {}
    timings: dict[str, list[float]] = {mode: [] for mode in modes}
    for turn in range(repeats + 1):
        for mode in modes:
            started = time.perf_counter()
            result = runner.run(config.monitor(mode), window, force=True)
            took = time.perf_counter() - started
            assert result.status == "ok", result.reason
            judged = any(m.metric == "multivariate.drift.score" for m in result.metrics)
            assert judged == (mode != "off"), (mode, judged)
            if turn == 0:  # reads the reference and fits it; later runs reuse it
                first[mode] = round(took, 2)
            else:
                timings[mode].append(round(took, 3))
    median = {mode: float(np.median(t)) for mode, t in timings.items()}
    result = {
        "window_rows": window_rows,
        "reference_rows": reference_rows,
        "features": "8 numerical, 2 categorical",
        "runs_per_mode": repeats,
        "first_run_seconds": first,
        "run_seconds_median": {mode: round(v, 3) for mode, v in median.items()},
        "added_share": {mode: round(median[mode] / median["off"] - 1, 3) for mode in modes[1:]},
        "run_seconds": timings,
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=1000, help="windows per stationary case")
    parser.add_argument("--shift-windows", type=int, default=100, help="windows per correlation case")
    parser.add_argument("--peer", action="store_true", help="NannyML too (needs make bench-peer)")
    parser.add_argument("--peer-windows", type=int, default=20)
    parser.add_argument("--classifier-windows", type=int, default=50, help="windows judged by the classifier too")
    parser.add_argument("--only", help="kinds of case, comma-separated: stationary,flip,weaker,sum,butterfly,car_loan")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cost", action="store_true", help="the cost only (bench/out/multivariate_cost*.json)")
    parser.add_argument("--repeats", type=int, default=7, help="--cost: runs per mode after the first")
    args = parser.parse_args()
    if args.cost:
        threads = os.environ.get("OMP_NUM_THREADS")
        name = f"multivariate_cost_omp{threads}.json" if threads else "multivariate_cost.json"
        write_results(str(HERE / "out" / name), cost(args.repeats))
        return
    if args.quick:
        args.windows, args.shift_windows, args.peer_windows, args.classifier_windows = 50, 20, 5, 5
    only = set(args.only.split(",")) if args.only else None
    plan = [Case("stationary", c, r, args.windows, False) for c in (12, 50) for r in (1000, 5000)]
    plan += [Case(k, 12, r, args.shift_windows, True) for k in ("flip", "weaker", "sum") for r in (1000, 5000, 50_000)]
    plan += [
        Case("butterfly", 3, WEEK, windows, shifted, reference_rows=10 * WEEK)
        for shifted, windows in ((True, args.shift_windows), (False, args.windows))
    ]
    results: dict[str, dict] = {
        "settings": {
            "windows": args.windows,
            "shift_windows": args.shift_windows,
            "classifier_windows": args.classifier_windows,
            "peer_windows": args.peer_windows if args.peer else 0,
            # scikit-learn's boosting uses every core through OpenMP unless told; see bench/README.md.
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        }
    }
    path = str(HERE / "out" / ("multivariate_quick.json" if args.quick else "multivariate.json"))
    for case in plan:
        if only and case.kind not in only:
            continue
        started = time.perf_counter()
        results[case.key] = entry = {"drifthound": case_verdicts(case, case.windows, 1, classifier_too=False)}
        entry["drifthound_with_classifier"] = case_verdicts(
            case, min(case.windows, args.classifier_windows), 2, classifier_too=True
        )
        if args.peer and case.rows < REFERENCE_ROWS:
            entry["nannyml"] = case_peer(case, args.peer_windows, 3)
        entry["bench_seconds"] = round(time.perf_counter() - started, 1)
        print(case.key, json.dumps(entry, default=str), flush=True)
        write_results(path, results)  # as it goes: a long run stopped early keeps what it measured
    if not only or "car_loan" in only:
        started = time.perf_counter()
        found = car_loan(args.peer)
        if found is None:
            print(f"car_loan: skipped, no {CAR_LOAN} (run .venv-peer/bin/python bench/peer_nannyml.py estimate)")
        else:
            found["bench_seconds"] = round(time.perf_counter() - started, 1)
            results["car_loan"] = found
            print("car_loan", json.dumps({k: v for k, v in found.items() if k != "drifthound"}, default=str))
            print("car_loan drifthound", json.dumps(found["drifthound"], default=str), flush=True)
        write_results(path, results)


if __name__ == "__main__":
    main()
