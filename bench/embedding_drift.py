"""Embedding drift, measured: DriftHound's embedding classifier beside Evidently 0.7's four embedding drift methods
(`model`, `mmd`, `ratio`, `distance`, each with its defaults) and per-dimension Kolmogorov-Smirnov tests, on
generated embeddings; and what parsing and judging cost on 100,000 rows.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/embedding_drift.py \
        [--quiet-windows 1000] [--power-windows 50] [--peer-windows 20] [--quick]
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/embedding_drift.py --cost [--repeats 3]
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/embedding_drift.py --references 8

The embedding (the unit tests' `Embedding`): a latent of 16 (or 128) axes with spreads falling from 1 to 0.05,
rotated into every dimension, plus noise of std 0.02; so the minor axes are spread over all dimensions, as
real embeddings' are. Cases:
- quiet: nothing changes (false alarms over --quiet-windows windows of 1,000 rows; 16 and 128 dims);
- latent 1/6: the last (quietest) latent axis moves as far as it can while no dimension's mean moves by more
  than a sixth of that dimension's std (issue 21's case); latent 1/12 and 1/24: half and a quarter of that;
- spread -10%: every latent spread shrinks by a tenth (vectors crowd together, their mean unmoved);
each (and quiet windows again) at windows of 100, 300, 1,000 and 3,000 rows (--power-windows windows each);
and a wide embedding (384 dims, beyond the 256 axes whitened): quiet and latent 1/6 at 1,000 rows.

Reference: 10,000 rows, learnt once (half learns the axes; 5,000 held back, of which each window's
classifier fits on a random half and is judged on the other, as on half of the window). DriftHound judges
at alpha 0.0005 (a run's 0.5 % shared by about ten tests) and a smallest AUC rise of 0.02. Evidently's
methods see the same windows (--peer-windows of them) and the whole reference, except `mmd`, whose kernel
matrix holds every pair of rows of both sides: it sees a 2,000-row sample of the reference (10,000 + 3,000
rows would be a 1.4 GB matrix). KS: each dimension's two-sample test at alpha 0.0005 / dims.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from monitor.embeddings.drift import judge_embedding, learn_embedding_reference  # noqa: E402
from monitor.embeddings.vectors import parse_vectors  # noqa: E402

ALPHA = 0.0005
MIN_EFFECT = 0.02
REFERENCE_ROWS = 10_000
SIZES = (100, 300, 1000, 3000)
MMD_REFERENCE_ROWS = 2000


class Embedding:
    """As tests/unit/test_embedding_drift.py's: a rotated latent of falling spreads, plus a little noise."""

    def __init__(self, dims: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.rotation, _ = np.linalg.qr(rng.normal(size=(dims, dims)))
        self.spreads = np.geomspace(1.0, 0.05, dims)
        self.noise = 0.02
        self.std = np.sqrt(self.spreads**2 @ self.rotation**2 + self.noise**2)

    def largest_latent_move(self, share_of_std: float) -> float:
        return float((share_of_std * self.std / np.abs(self.rotation[-1])).min())

    def draw(self, rng: np.random.Generator, rows: int, move: float = 0.0, spread: float = 1.0) -> np.ndarray:
        latent = rng.normal(size=(rows, len(self.spreads))) * self.spreads * spread
        latent[:, -1] += move
        return latent @ self.rotation + rng.normal(0, self.noise, (rows, len(self.spreads)))


def cases(world: Embedding) -> dict[str, dict[str, float]]:
    return {
        "quiet": {},
        "latent 1/6": {"move": world.largest_latent_move(1 / 6)},
        "latent 1/12": {"move": world.largest_latent_move(1 / 12)},
        "latent 1/24": {"move": world.largest_latent_move(1 / 24)},
        "spread -10%": {"spread": 0.9},
    }


# --- the peers ----------------------------------------------------------------------------------------------


def evidently_methods() -> dict[str, Callable[[pd.DataFrame, pd.DataFrame], tuple[float, bool, str]]]:
    from evidently.legacy.metrics.data_drift.embedding_drift_methods import distance, mmd, model, ratio

    return {"model": model(), "mmd": mmd(), "ratio": ratio(), "distance": distance()}


def evidently_verdicts(
    methods: dict, reference: np.ndarray, window: np.ndarray, rng: np.random.Generator
) -> dict[str, dict[str, float]]:
    names = [f"e{k}" for k in range(reference.shape[1])]
    ref_frame, cur_frame = pd.DataFrame(reference, columns=names), pd.DataFrame(window, columns=names)
    mmd_ref = ref_frame.iloc[np.sort(rng.choice(len(ref_frame), MMD_REFERENCE_ROWS, replace=False))]
    out = {}
    for name, method in methods.items():
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            score, detected, _ = method(cur_frame.copy(), (mmd_ref if name == "mmd" else ref_frame).copy())
        out[name] = {"score": float(score), "detected": bool(detected), "seconds": time.perf_counter() - start}
    return out


def ks_detected(reference: np.ndarray, window: np.ndarray) -> bool:
    dims = reference.shape[1]
    return min(stats.ks_2samp(reference[:, d], window[:, d]).pvalue for d in range(dims)) < ALPHA / dims


# --- detection ----------------------------------------------------------------------------------------------


def detection(args: argparse.Namespace) -> dict:
    results: dict = {"alpha": ALPHA, "min_effect": MIN_EFFECT, "reference_rows": REFERENCE_ROWS, "quiet": {}}
    methods = evidently_methods()
    for dims, windows in ((16, args.quiet_windows), (128, max(args.quiet_windows // 5, 10))):
        world = Embedding(dims)
        rng = np.random.default_rng(100 + dims)
        reference_rows = world.draw(rng, REFERENCE_ROWS)
        reference = learn_embedding_reference(reference_rows, seed=1)
        scores, spreads, detected, seconds, ks, peers = [], [], [], [], [], []
        for k in range(windows):
            window = world.draw(rng, 1000)
            start = time.perf_counter()
            verdict = judge_embedding(reference, window, alpha=ALPHA, min_effect=MIN_EFFECT, seed=k)
            seconds.append(time.perf_counter() - start)
            scores.append(verdict.score)
            detected.append(verdict.detected)
            # the no-drift spread of the AUC behind the threshold, so the verdict at looser alphas can be read
            spreads.append((verdict.threshold - 0.5) / stats.norm.ppf(1 - ALPHA))
            if k < args.peer_windows:
                ks.append(ks_detected(reference_rows, window))
                peers.append(evidently_verdicts(methods, reference_rows, window, rng))
        z = (np.array(scores) - 0.5) / np.array(spreads)
        flagged = {
            str(alpha): int(np.sum((z > stats.norm.ppf(1 - alpha)) & (np.array(scores) - 0.5 >= MIN_EFFECT)))
            for alpha in (0.005, 0.05)
        }
        flagged[str(ALPHA)] = int(sum(detected))
        results["quiet"][str(dims)] = {
            "windows": windows,
            "flagged": flagged,  # at the bench's alpha, and at two looser ones (calibration)
            "flagged_any_effect": {str(alpha): int(np.sum(z > stats.norm.ppf(1 - alpha))) for alpha in (0.005, 0.05)},
            "z_mean": float(z.mean()),
            "z_std": float(z.std()),  # 1 when the null's spread is right
            "score_max": float(np.max(scores)),
            "seconds_median": float(np.median(seconds)),
            "peer_windows": len(peers),
            "ks_flagged": int(sum(ks)),
            "evidently": _peer_summary(peers),
        }
        print(f"quiet {dims} dims: {results['quiet'][str(dims)]}", flush=True)
    world = Embedding(16)
    rng = np.random.default_rng(7)
    reference_rows = world.draw(rng, REFERENCE_ROWS)
    reference = learn_embedding_reference(reference_rows, seed=1)
    results["power"] = {}
    for case, change in cases(world).items():
        for size in SIZES:
            detected, seconds, ks, peers = [], [], [], []
            for k in range(args.power_windows):
                window = world.draw(rng, size, **change)
                start = time.perf_counter()
                verdict = judge_embedding(reference, window, alpha=ALPHA, min_effect=MIN_EFFECT, seed=k)
                seconds.append(time.perf_counter() - start)
                detected.append(verdict.detected)
                if k < args.peer_windows:
                    ks.append(ks_detected(reference_rows, window))
                    peers.append(evidently_verdicts(methods, reference_rows, window, rng))
            entry = {
                "windows": args.power_windows,
                "flagged": int(sum(detected)),
                "seconds_median": float(np.median(seconds)),
                "peer_windows": len(peers),
                "ks_flagged": int(sum(ks)),
                "evidently": _peer_summary(peers),
            }
            results["power"][f"{case} @ {size}"] = entry
            print(f"{case} @ {size}: {entry}", flush=True)
    results["wide"] = wide(args, methods)
    return results


def wide(args: argparse.Namespace, methods: dict) -> dict:
    """384 dimensions, more than the 256 axes whitened: quiet, and the quietest latent axis moved (issue 21's
    1/6 std), which only the energy beyond the axes shows; 1,000-row windows."""
    world = Embedding(384)
    rng = np.random.default_rng(384)
    reference_rows = world.draw(rng, REFERENCE_ROWS)
    reference = learn_embedding_reference(reference_rows, seed=1)
    out = {}
    for case, change in (("quiet", {}), ("latent 1/6", {"move": world.largest_latent_move(1 / 6)})):
        windows = max(args.power_windows // 2, 3)
        detected, seconds, ks, peers = [], [], [], []
        for k in range(windows):
            window = world.draw(rng, 1000, **change)
            start = time.perf_counter()
            detected.append(judge_embedding(reference, window, alpha=ALPHA, min_effect=MIN_EFFECT, seed=k).detected)
            seconds.append(time.perf_counter() - start)
            if k < args.peer_windows // 2:
                ks.append(ks_detected(reference_rows, window))
                peers.append(evidently_verdicts(methods, reference_rows, window, rng))
        out[case] = {
            "windows": windows,
            "flagged": int(sum(detected)),
            "seconds_median": float(np.median(seconds)),
            "peer_windows": len(peers),
            "ks_flagged": int(sum(ks)),
            "evidently": _peer_summary(peers),
        }
        print(f"wide (384 dims) {case}: {out[case]}", flush=True)
    return out


def offsets(args: argparse.Namespace) -> dict:
    """How far one reference's quiet windows' z-scores sit from 0 (every window meets the same held-back rows),
    over --references references of 10,000 rows, 80 quiet 1,000-row windows each."""
    world = Embedding(16)
    per_reference = []
    for r in range(args.references):
        rng = np.random.default_rng(1000 + r)
        reference = learn_embedding_reference(world.draw(rng, REFERENCE_ROWS), seed=r)
        z = []
        for k in range(80):
            verdict = judge_embedding(reference, world.draw(rng, 1000), alpha=ALPHA, min_effect=0.0, seed=k)
            z.append((verdict.score - 0.5) / ((verdict.threshold - 0.5) / stats.norm.ppf(1 - ALPHA)))
        per_reference.append({"z_mean": float(np.mean(z)), "z_std": float(np.std(z))})
        print(f"reference {r}: {per_reference[-1]}", flush=True)
    means = [p["z_mean"] for p in per_reference]
    return {
        "references": per_reference,
        "offset_mean": float(np.mean(means)),
        "offset_spread": float(np.std(means)),
        "within_std_mean": float(np.mean([p["z_std"] for p in per_reference])),
    }


def _peer_summary(peers: list[dict]) -> dict:
    if not peers:
        return {}
    return {
        name: {
            "flagged": int(sum(p[name]["detected"] for p in peers)),
            "seconds_median": float(np.median([p[name]["seconds"] for p in peers])),
        }
        for name in peers[0]
    }


# --- cost ---------------------------------------------------------------------------------------------------


def timed(function: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def cost(args: argparse.Namespace) -> dict:
    import pyarrow as pa

    rows = 100_000
    results: dict = {"rows": rows, "repeats": args.repeats, "parse": {}, "judge": {}}
    rng = np.random.default_rng(3)
    for dims in (16, 64):
        matrix = rng.normal(size=(rows, dims))
        lists = matrix.tolist()
        forms = {
            "JSON text (SQLite, jsonb via Arrow)": pd.Series([json.dumps(v) for v in lists]),
            "pgvector text": pd.Series(["[" + ",".join(map(repr, v)) + "]" for v in lists]),
            "Python lists (psycopg)": pd.Series(lists),
            "numpy arrays (Arrow double precision[])": pd.Series(list(matrix)),
            "Arrow list column": pd.Series(pd.arrays.ArrowExtensionArray(pa.array(lists, type=pa.list_(pa.float64())))),
        }
        entry = {name: timed(lambda v=values: parse_vectors(v, "e"), args.repeats) for name, values in forms.items()}
        texts = forms["JSON text (SQLite, jsonb via Arrow)"]
        entry["json.loads row by row (for comparison)"] = timed(
            lambda t=texts: np.array([json.loads(x) for x in t]), args.repeats
        )
        results["parse"][str(dims)] = entry
        print(f"parse {dims} dims: {entry}", flush=True)
        del forms, lists, texts
    methods = evidently_methods()
    for dims in (16, 64, 384):
        world = Embedding(dims)
        reference_rows = world.draw(rng, REFERENCE_ROWS)
        window = world.draw(rng, rows)
        start = time.perf_counter()
        reference = learn_embedding_reference(reference_rows, seed=1)
        learn = time.perf_counter() - start
        entry = {
            "learn_reference": learn,
            "judge": timed(
                lambda r=reference, w=window: judge_embedding(r, w, alpha=ALPHA, min_effect=MIN_EFFECT, seed=1),
                args.repeats,
            ),
        }
        names = [f"e{k}" for k in range(dims)]
        ref_frame, cur_frame = pd.DataFrame(reference_rows, columns=names), pd.DataFrame(window, columns=names)
        for name, method in methods.items():
            if name == "mmd":
                continue  # a 110,000 x 110,000 kernel matrix: 97 GB
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                entry[f"evidently {name}"] = timed(
                    lambda m=method, c=cur_frame, r=ref_frame: m(c.copy(), r.copy()), max(1, args.repeats // 3)
                )
        results["judge"][str(dims)] = entry
        print(f"judge 100,000 rows, {dims} dims: {entry}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quiet-windows", type=int, default=1000)
    parser.add_argument("--power-windows", type=int, default=50)
    parser.add_argument("--peer-windows", type=int, default=20)
    parser.add_argument("--cost", action="store_true")
    parser.add_argument("--references", type=int, default=0, help="measure the offset of this many references")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a smoke run, not for the figures")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.quick:
        args.quiet_windows, args.power_windows, args.peer_windows, args.repeats = 20, 5, 3, 1
    if args.references:
        results, mode = offsets(args), "_offsets"
    elif args.cost:
        results, mode = cost(args), "_cost"
    else:
        results, mode = detection(args), ""
    out = Path(args.out or f"bench/out/embedding_drift{mode}{'_quick' if args.quick else ''}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
