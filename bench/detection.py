"""Detection quality, measured: DriftHound's calibrated defaults beside Evidently's defaults and plain
p-value tests, on the same data in the same run.

Run by hand (not in the tests):  .venv/bin/python bench/detection.py [--quick] [--out bench/out/detection.json]
Figures go in bench/README.md.

Definitions
- A run "alarms" when at least one column is flagged as drifted (what a per-column rule, or a rule on
  drift.count, would fire on). Per-run false-alarm rate: alarming runs / runs, on data with no drift.
- Detection rate: runs that flag the shifted column / runs, with the shift injected in one column.
- Evidently defaults: each column's default test and threshold as Evidently picks them (for references over
  1,000 rows: normed Wasserstein >= 0.1, Jensen-Shannon >= 0.1); "dataset drift" is its share >= 0.5 verdict.
- Plain p-values: K-S (numerical) and chi-square (categorical), p < 0.05, uncorrected.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.drift.detect import DriftSettings, ReferenceProfile, detect

warnings.filterwarnings("ignore")

Sampler = Callable[[np.random.Generator, int], np.ndarray]

NUMERICAL: dict[str, Sampler] = {
    "normal": lambda r, n: r.normal(0, 1, n),
    "normal_big": lambda r, n: r.normal(5000, 1200, n),
    "lognormal": lambda r, n: r.lognormal(0, 1, n),
    "lognormal_mild": lambda r, n: r.lognormal(10, 0.5, n),
    "exponential": lambda r, n: r.exponential(2.0, n),
    "uniform": lambda r, n: r.uniform(0, 1, n),
    "student_t3": lambda r, n: r.standard_t(3, n),
    "bimodal": lambda r, n: np.where(r.random(n) < 0.3, r.normal(-2, 0.5, n), r.normal(1, 1, n)),
    "gamma2": lambda r, n: r.gamma(2.0, 1.5, n),
    "beta25": lambda r, n: r.beta(2, 5, n),
    "poisson3": lambda r, n: r.poisson(3, n).astype(float),
    "poisson40": lambda r, n: r.poisson(40, n).astype(float),
    "age": lambda r, n: np.clip(r.normal(41, 12, n), 18, 90).round(),
    "score": lambda r, n: 1 / (1 + np.exp(-r.normal(-0.5, 1.5, n))),
}


def _categorical(levels: list[str], shares: list[float]) -> Sampler:
    p = np.array(shares) / sum(shares)
    return lambda r, n: r.choice(levels, n, p=p)


CATEGORICAL: dict[str, Sampler] = {
    "binary_90_10": _categorical(["no", "yes"], [0.9, 0.1]),
    "three": _categorical(["web", "branch", "mobile"], [0.5, 0.3, 0.2]),
    "five_even": _categorical(list("abcde"), [0.2] * 5),
    "zipf10": _categorical([f"z{i}" for i in range(10)], [1 / (i + 1) for i in range(10)]),
    "twenty": _categorical([f"t{i}" for i in range(20)], list(np.linspace(1, 3, 20))),
    "flag": _categorical(["true", "false"], [0.5, 0.5]),
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    sample: Sampler


def twenty_columns() -> list[Column]:
    return [Column(k, "numerical", v) for k, v in NUMERICAL.items()] + [
        Column(k, "categorical", v) for k, v in CATEGORICAL.items()
    ]


def wide_columns(count: int) -> list[Column]:
    base = twenty_columns()
    return [
        Column(f"{base[i % len(base)].name}_{i}", base[i % len(base)].kind, base[i % len(base)].sample)
        for i in range(count)
    ]


def make(columns: list[Column], rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame({c.name: c.sample(rng, n) for c in columns})


# --- the methods compared --------------------------------------------------------------


def drifthound(profile: ReferenceProfile, current: pd.DataFrame, columns: list[Column]) -> set[str]:
    return {d.column for d in detect(current, profile, [c.name for c in columns], DriftSettings()) if d.detected}


def evidently_defaults(reference: pd.DataFrame, current: pd.DataFrame, columns: list[Column]) -> tuple[set[str], bool]:
    from evidently.legacy.calculations.stattests.registry import get_stattest
    from evidently.legacy.core import ColumnType

    flagged = set()
    for c in columns:
        kind = ColumnType.Numerical if c.kind == "numerical" else ColumnType.Categorical
        test = get_stattest(reference[c.name], current[c.name], kind, None)
        if test(reference[c.name], current[c.name], kind, None).drifted:
            flagged.add(c.name)
    return flagged, len(flagged) >= 0.5 * len(columns)


def plain_p_values(reference: pd.DataFrame, current: pd.DataFrame, columns: list[Column]) -> set[str]:
    flagged = set()
    for c in columns:
        if c.kind == "numerical":
            p = stats.ks_2samp(current[c.name], reference[c.name]).pvalue
        else:
            levels = sorted(set(reference[c.name]) | set(current[c.name]))
            table = [[(reference[c.name] == v).sum() for v in levels], [(current[c.name] == v).sum() for v in levels]]
            p = stats.chi2_contingency(table)[1]
        if p < 0.05:
            flagged.add(c.name)
    return flagged


# --- experiments ----------------------------------------------------------------------------


def stationary(
    columns: list[Column],
    window: int,
    reference_rows: int,
    windows: int,
    references: int,
    seed: int,
    with_evidently: bool = True,
) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    alarms = {"drifthound": 0, "evidently_any_column": 0, "evidently_dataset_drift": 0, "plain_p_values": 0}
    flags = {"drifthound": 0, "evidently_any_column": 0, "plain_p_values": 0}
    timing = {"drifthound": 0.0, "evidently": 0.0}
    per_reference = windows // references
    for _ in range(references):
        reference = make(columns, rng, reference_rows)
        started = time.perf_counter()
        profile = ReferenceProfile(reference, {c.name: c.kind for c in columns}, seed=int(rng.integers(1 << 30)))
        timing["drifthound"] += time.perf_counter() - started
        for _ in range(per_reference):
            current = make(columns, rng, window)
            started = time.perf_counter()
            ours = drifthound(profile, current, columns)
            timing["drifthound"] += time.perf_counter() - started
            alarms["drifthound"] += bool(ours)
            flags["drifthound"] += len(ours)
            if with_evidently:
                started = time.perf_counter()
                theirs, dataset = evidently_defaults(reference, current, columns)
                timing["evidently"] += time.perf_counter() - started
                alarms["evidently_any_column"] += bool(theirs)
                alarms["evidently_dataset_drift"] += dataset
                flags["evidently_any_column"] += len(theirs)
                plain = plain_p_values(reference, current, columns)
                alarms["plain_p_values"] += bool(plain)
                flags["plain_p_values"] += len(plain)
    runs = per_reference * references
    result = {f"false_alarm_rate.{k}": v / runs for k, v in alarms.items() if with_evidently or k == "drifthound"}
    result |= {f"false_columns_per_run.{k}": v / runs for k, v in flags.items() if with_evidently or k == "drifthound"}
    result |= {f"seconds_per_run.{k}": v / runs for k, v in timing.items() if with_evidently or k == "drifthound"}
    result["runs"] = runs
    return result


def shift_mean(column: str, amount_std: float):
    def apply(frame: pd.DataFrame, reference: pd.DataFrame, rng: np.random.Generator) -> None:
        frame[column] = frame[column] + amount_std * reference[column].std()

    return apply


def scale_spread(column: str, factor: float):
    def apply(frame: pd.DataFrame, reference: pd.DataFrame, rng: np.random.Generator) -> None:
        mean = reference[column].mean()
        frame[column] = mean + (frame[column] - mean) * factor

    return apply


def move_share(column: str, category: str, points: float):
    """`category` gains `points` of share, taken from the others in proportion."""

    def apply(frame: pd.DataFrame, reference: pd.DataFrame, rng: np.random.Generator) -> None:
        values = frame[column].to_numpy(dtype=object)
        others = values != category
        share = (~others).mean()
        move = rng.random(len(values)) < points / (1 - share)
        values[others & move] = category
        frame[column] = values

    return apply


def stretch_tail(column: str, quantile: float, factor: float):
    """Only the tail moves: values above the reference's `quantile` go `factor` times further out."""

    def apply(frame: pd.DataFrame, reference: pd.DataFrame, rng: np.random.Generator) -> None:
        cut = reference[column].quantile(quantile)
        x = frame[column]
        frame[column] = np.where(x > cut, cut + (x - cut) * factor, x)

    return apply


SCENARIOS = {
    "mean shift of 0.1 std (normal column)": ("normal", shift_mean("normal", 0.1)),
    "mean shift of 0.1 std (lognormal column)": ("lognormal_mild", shift_mean("lognormal_mild", 0.1)),
    "spread +20% (normal column)": ("normal", scale_spread("normal", 1.2)),
    "spread -20% (gamma column)": ("gamma2", scale_spread("gamma2", 0.8)),
    "one category +5 points (5 even categories)": ("five_even", move_share("five_even", "a", 0.05)),
    "one category +5 points (3 categories, 20% one)": ("three", move_share("three", "mobile", 0.05)),
    "upper 5% tail 1.5x further out (normal column)": ("normal", stretch_tail("normal", 0.95, 1.5)),
    "upper 5% tail 1.5x further out (gamma column)": ("gamma2", stretch_tail("gamma2", 0.95, 1.5)),
}


def shifted(
    columns: list[Column], name: str, windows: int, references: int, seed: int, with_evidently: bool = True
) -> dict[str, float]:
    target, apply = SCENARIOS[name]
    rng = np.random.default_rng(seed)
    methods = ("drifthound", "evidently_defaults", "plain_p_values") if with_evidently else ("drifthound",)
    hits, others = dict.fromkeys(methods, 0), dict.fromkeys(methods, 0)
    per_reference = windows // references
    for _ in range(references):
        reference = make(columns, rng, 50_000)
        profile = ReferenceProfile(reference, {c.name: c.kind for c in columns}, seed=int(rng.integers(1 << 30)))
        for _ in range(per_reference):
            current = make(columns, rng, 5_000)
            apply(current, reference, rng)
            found = {"drifthound": drifthound(profile, current, columns)}
            if with_evidently:
                found["evidently_defaults"] = evidently_defaults(reference, current, columns)[0]
                found["plain_p_values"] = plain_p_values(reference, current, columns)
            for method, flagged in found.items():
                hits[method] += target in flagged
                others[method] += bool(flagged - {target})
    runs = per_reference * references
    return {
        **{f"detection_rate.{k}": v / runs for k, v in hits.items()},
        **{f"other_columns_flagged_rate.{k}": v / runs for k, v in others.items()},
        "runs": runs,
    }


def write_results(path: str, results: dict) -> None:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer windows (a smoke run, not for the figures)")
    parser.add_argument("--out", default="bench/out/detection.json")
    parser.add_argument("--skip-wide", action="store_true")
    parser.add_argument(
        "--only", nargs="+", choices=["stationary", "shifts", "wide"], default=["stationary", "shifts", "wide"]
    )
    parser.add_argument("--wide-windows", type=int, help="windows of the 200-column case (default: as the others)")
    parser.add_argument(
        "--wide-drifthound-only",
        action="store_true",
        help="the 200-column case without Evidently's defaults and p-values beside it (they take most of its time)",
    )
    parser.add_argument("--windows", type=int, help="windows per case (default 200; 40 with --quick)")
    parser.add_argument(
        "--drifthound-only",
        action="store_true",
        help="every case without Evidently's defaults and p-values beside it: more windows in the same time",
    )
    args = parser.parse_args()
    windows = args.windows or (40 if args.quick else 200)
    with_evidently = not args.drifthound_only
    columns = twenty_columns()
    results: dict[str, dict[str, float]] = {}
    stationary_cases = ((1_000, 50_000), (5_000, 50_000), (50_000, 200_000)) if "stationary" in args.only else ()
    for window, reference_rows in stationary_cases:
        key = f"stationary, 20 columns, windows of {window:,} rows, reference {reference_rows:,}"
        started = time.time()
        results[key] = stationary(
            columns, window, reference_rows, windows, references=10, seed=window, with_evidently=with_evidently
        )
        print(f"{key}: {results[key]}  ({time.time() - started:.0f}s)", flush=True)
    for index, name in enumerate(SCENARIOS if "shifts" in args.only else ()):
        started = time.time()
        results[f"shift: {name}"] = shifted(
            columns, name, windows, references=10, seed=100 + index, with_evidently=with_evidently
        )
        print(f"shift: {name}: {results[f'shift: {name}']}  ({time.time() - started:.0f}s)", flush=True)
    if "wide" in args.only and not args.skip_wide:
        started = time.time()
        key = "stationary, 200 columns, windows of 5,000 rows, reference 50,000"
        results[key] = stationary(
            wide_columns(200),
            5_000,
            50_000,
            args.wide_windows or windows,
            references=10,
            seed=7,
            with_evidently=with_evidently and not args.wide_drifthound_only,
        )
        print(f"{key}: {results[key]}  ({time.time() - started:.0f}s)", flush=True)
    write_results(args.out, results)


if __name__ == "__main__":
    main()
