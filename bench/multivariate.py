"""Multivariate drift, measured: DriftHound's reconstruction error and domain classifier beside its own
per-column verdicts and NannyML 0.13's DataReconstructionDriftCalculator and DomainClassifierCalculator, on
generated logs whose every marginal stays put while the columns stop moving together.

    .venv/bin/python bench/multivariate.py [--windows 1000] [--peer] [--quick]

Cases (each column's own distribution unchanged in every one):
- stationary: 12 and 50 columns of mixed shapes (normal, skewed, heavy-tailed, discrete, categorical), with
  correlations; the share of windows flagged (multivariate, per-column, either) at 1,000 and 5,000 rows;
- flip: two columns correlated 0.8 become correlated -0.8;
- weaker: two of 12 columns correlated 0.6 become correlated 0.4;
- sum: a third column that was the sum of two others (plus a little noise) becomes independent of them;
each at windows of 1,000, 5,000 and 50,000 rows. With --peer, the same windows (fewer of them: NannyML's
domain classifier takes about 1.5 s a chunk) go through bench/peer_nannyml.py in .venv-peer.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.detection import write_results  # noqa: E402
from monitor.drift.detect import DriftSettings, ReferenceProfile, detect, per_test_alpha  # noqa: E402
from monitor.multivariate import classifier  # noqa: E402
from monitor.multivariate.reconstruction import fit_reconstruction, judge  # noqa: E402

warnings.filterwarnings("ignore")
PEER_PYTHON = HERE.parent / ".venv-peer" / "bin" / "python"
REFERENCE_ROWS = 50_000
MIN_EFFECT = 0.02
COLUMN_WINDOWS = 200


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


def drifthound_verdicts(case: str, columns: int, rows: int, windows: int, seed: int, *, classifier_too: bool) -> dict:
    rng = np.random.default_rng(seed)
    reference = mixed_log(rng, REFERENCE_ROWS, columns, case, after=False)
    numerical = tuple(c for c in reference.columns if c.startswith("x"))
    categorical = ("region", "channel")
    model = fit_reconstruction(reference, numerical, categorical, seed=seed)
    assert not isinstance(model, str), model
    kinds = {c: "numerical" for c in numerical} | {c: "categorical" for c in categorical}
    profile = ReferenceProfile(reference, kinds, seed=seed)
    settings = DriftSettings()
    extra = 2 if classifier_too else 1
    alpha = per_test_alpha(profile, list(kinds), settings, extra)
    flagged = {"reconstruction": 0, "classifier": 0, "columns": 0, "either": 0}
    judged = {"columns": 0, "either": 0}
    scores, seconds = [], {"reconstruction": 0.0, "classifier": 0.0}
    for index in range(windows):
        window = mixed_log(rng, rows, columns, case, after=case != "stationary")
        started = time.perf_counter()
        verdict = judge(model, window, alpha=alpha, min_effect=MIN_EFFECT)
        seconds["reconstruction"] += time.perf_counter() - started
        scores.append(verdict.score)
        flagged["reconstruction"] += verdict.detected
        if classifier_too:
            started = time.perf_counter()
            c = classifier.judge(model.encoder, reference, window, alpha=alpha, min_effect=MIN_EFFECT, seed=seed)
            seconds["classifier"] += time.perf_counter() - started
            flagged["classifier"] += c.detected
        # The per-column verdicts (measured at length in bench/detection.py) on the first COLUMN_WINDOWS windows.
        if index < COLUMN_WINDOWS:
            columns_drifted = any(
                d.detected
                for d in detect(window, profile, list(kinds), settings, reference=reference, extra_tests=extra)
            )
            flagged["columns"] += columns_drifted
            flagged["either"] += columns_drifted or verdict.detected or (classifier_too and c.detected)
            judged["columns"] += 1
            judged["either"] += 1
    shares = {k: v / windows for k, v in flagged.items() if k in ("reconstruction", "classifier")}
    shares |= {k: flagged[k] / judged[k] for k in judged if judged[k]}
    return {
        "windows": windows,
        "windows_judged_per_column": judged["columns"],
        "share_flagged": {k: v for k, v in shares.items() if classifier_too or k != "classifier"},
        "no_drift_mean": model.mean,
        "mean_score": float(np.mean(scores)),
        "seconds_per_window": {k: round(v / windows, 3) for k, v in seconds.items() if v},
        "top_contribution": judge(model, window, alpha=alpha, min_effect=MIN_EFFECT).contributions[:3],
    }


def peer_verdicts(case: str, columns: int, rows: int, windows: int, seed: int, methods: str) -> dict:
    rng = np.random.default_rng(seed)
    out = HERE / "out" / "multivariate"
    out.mkdir(parents=True, exist_ok=True)
    reference = mixed_log(rng, REFERENCE_ROWS, columns, case, after=False)
    analysis = pd.concat(
        [mixed_log(rng, rows, columns, case, after=case != "stationary") for _ in range(windows)], ignore_index=True
    )
    stem = f"{case}_{columns}_{rows}"
    reference.to_parquet(out / f"{stem}_reference.parquet")
    analysis.to_parquet(out / f"{stem}_analysis.parquet")
    numerical = [c for c in reference.columns if c.startswith("x")]
    result_path = out / f"{stem}_peer.json"
    subprocess.run(
        [
            str(PEER_PYTHON),
            str(HERE / "peer_nannyml.py"),
            "multivariate",
            "--reference",
            str(out / f"{stem}_reference.parquet"),
            "--analysis",
            str(out / f"{stem}_analysis.parquet"),
            "--chunk-size",
            str(rows),
            "--columns",
            ",".join(numerical),
            "--categorical",
            "region,channel",
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
            "seconds": data.get("seconds"),
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=1000, help="windows per stationary case")
    parser.add_argument("--shift-windows", type=int, default=100, help="windows per correlation case")
    parser.add_argument("--peer", action="store_true", help="NannyML too (needs make bench-peer)")
    parser.add_argument("--peer-windows", type=int, default=20)
    parser.add_argument("--classifier-windows", type=int, default=50, help="windows judged by the classifier too")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.windows, args.shift_windows, args.peer_windows, args.classifier_windows = 50, 20, 5, 5
    results: dict[str, dict] = {}
    plan = [("stationary", c, r, args.windows) for c in (12, 50) for r in (1000, 5000)]
    plan += [(case, 12, r, args.shift_windows) for case in ("flip", "weaker", "sum") for r in (1000, 5000, 50_000)]
    for case, columns, rows, windows in plan:
        key = f"{case}/{columns} columns/{rows} rows"
        started = time.perf_counter()
        results[key] = {"drifthound": drifthound_verdicts(case, columns, rows, windows, 1, classifier_too=False)}
        if rows <= 5000:
            results[key]["drifthound_with_classifier"] = drifthound_verdicts(
                case, columns, rows, min(windows, args.classifier_windows), 2, classifier_too=True
            )
        if args.peer and rows <= 5000:
            results[key]["nannyml"] = peer_verdicts(
                case, columns, rows, args.peer_windows, 3, "reconstruction,classifier"
            )
        print(key, json.dumps(results[key], default=str), f"({time.perf_counter() - started:.0f} s)", flush=True)
    write_results(str(HERE / "out" / "multivariate.json"), results)


if __name__ == "__main__":
    main()
