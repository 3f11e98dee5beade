"""Segments and fairness, measured through the daemon's own runner on generated SQLite logs (issue 16).

    .venv/bin/python bench/segments.py [--windows 300] [--only shift,stationary,fairness,cost]

- shift: 4 segments of 50/25/15/10 % of the rows; in the 10 % one, one column moves by 0.6 of its std. Windows
  of 5,000 rows (500 in that segment): the share of windows where the segment is flagged (a drifted column in
  it), and where the whole window is.
- stationary: 20 segments of unequal size (the smallest 2 % of the rows) x 20 columns, nothing changes:
  the share of runs flagging anything (any column, whole window or any segment).
- fairness: approvals of one group fall from 0.5 to 0.3 half way: the selection-rate ratio before and after,
  and the run at which the four-fifths rule fires.
- cost: a 100,000-row window with no segments and with 20: the first run (fits each segment's reference) and
  the steady state (the reference cached), in one process; and `drifthound check` on that window, in a fresh
  process each time as a user runs it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.runner import config_text, fresh_runner, monitor_section, write_log  # noqa: E402
from monitor.runner import Runner  # noqa: E402
from monitor.windows import Window  # noqa: E402

OUT = HERE / "out" / "segments"
DRIFTHOUND = str(Path(sys.executable).parent / "drifthound")
DAY0 = datetime(2026, 11, 1, tzinfo=UTC)
REFERENCE_HOURS = 24


def shares(count: int) -> np.ndarray:
    """Unequal segment sizes, the smallest 2 % of the rows when there are 20."""
    if count == 4:
        return np.array([0.5, 0.25, 0.15, 0.10])
    weights = 1 / np.arange(1, count + 1) ** 0.9
    weights = weights / weights.sum()
    floor = 0.02
    return floor + (1 - floor * count) * weights


def log(rows_per_hour: int, hours: int, segments: int, columns: int, seed: int, change) -> pd.DataFrame:
    """Hourly windows after a day of reference; `change(frame, hour)` alters the hours after the reference."""
    rng = np.random.default_rng(seed)
    frames = []
    for hour in range(REFERENCE_HOURS + hours):
        n = rows_per_hour
        frame = pd.DataFrame(
            {
                "ts": (
                    pd.Timestamp(DAY0 + timedelta(hours=hour)) + pd.to_timedelta(np.sort(rng.uniform(0, 3600, n)), "s")
                ).tz_localize(None),
                "seg": rng.choice([f"s{k:02d}" for k in range(segments)], n, p=shares(segments)),
            }
        )
        for c in range(columns):
            frame[f"x{c:02d}"] = rng.normal(0, 1, n) if c % 3 else rng.gamma(2.0, 1.0, n)
        frame["score"] = 1 / (1 + np.exp(-frame["x01"]))
        frame["group"] = rng.choice(["a", "b"], n)
        frame["approved"] = (rng.random(n) < 0.5).astype(int)
        frame["label"] = (rng.random(n) < frame["score"]).astype(int)
        if hour >= REFERENCE_HOURS:
            change(frame, hour - REFERENCE_HOURS, rng)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def write(frame: pd.DataFrame, name: str) -> str:
    return write_log(frame, OUT / f"{name}.db")


def runner_for(name: str, source: str, monitors: str) -> Runner:
    return fresh_runner(OUT / f"{name}_store.db", OUT / "reports", source, monitors)[1]


def monitor(name: str, columns: int, extra: str) -> str:
    features = ", ".join(f'"x{c:02d}"' for c in range(columns))
    start, end = DAY0, DAY0 + timedelta(hours=REFERENCE_HOURS)
    reference = (f"{start:%Y-%m-%dT%H:%M:%SZ}", f"{end:%Y-%m-%dT%H:%M:%SZ}")
    settings = f'max_rows = 200000\nmin_rows = 50\nmultivariate_drift = "off"\n{extra}'
    return monitor_section(name, f"numerical_features = [{features}]", every="1h", reference=reference, extra=settings)


def figures(runner: Runner, name: str, metric: str) -> pd.DataFrame:
    with runner.store.engine.connect() as connection:
        return pd.read_sql(
            sa.text(
                "SELECT window_end, column_name, segment, value FROM metric_values WHERE monitor = :m AND metric = :x"
            ),
            connection,
            params={"m": name, "x": metric},
        )


def run_windows(runner: Runner, name: str, hours: int) -> list[float]:
    seconds = []
    for hour in range(hours):
        start = DAY0 + timedelta(hours=REFERENCE_HOURS + hour)
        began = time.perf_counter()
        result = runner.run(runner.config.monitor(name), Window(start, start + timedelta(hours=1)))
        seconds.append(time.perf_counter() - began)
        assert result.status == "ok", result.reason
    return seconds


def shift_case(windows: int) -> dict:
    def move(frame: pd.DataFrame, hour: int, rng: np.random.Generator) -> None:
        inside = frame["seg"] == "s03"
        frame.loc[inside, "x01"] += 0.6  # x01 ~ N(0, 1): 0.6 of its std

    source = write(log(5_000, windows, 4, 10, 11, move), "shift")
    runner = runner_for("shift", source, monitor("shift", 10, 'segments = ["seg"]'))
    run_windows(runner, "shift", windows)
    detected = figures(runner, "shift", "drift.detected")
    flagged = detected[(detected.segment == "seg=s03") & (detected.value == 1)].window_end.nunique()
    whole = detected[(detected.segment == "") & (detected.column_name == "x01") & (detected.value == 1)]
    other = detected[detected.segment.isin(["seg=s00", "seg=s01", "seg=s02"]) & (detected.value == 1)]
    rows = figures(runner, "shift", "rows")
    return {
        "windows": windows,
        "rows_in_segment_median": float(rows[rows.segment == "seg=s03"].value.median()),
        "segment_flagged_share": flagged / windows,
        "whole_window_flagged_share": whole.window_end.nunique() / windows,
        "other_segments_flagged_share": other.window_end.nunique() / windows,
    }


def stationary_case(windows: int) -> dict:
    source = write(log(5_000, windows, 20, 20, 12, lambda *_: None), "stationary")
    runner = runner_for("stationary", source, monitor("stationary", 20, 'segments = ["seg"]'))
    seconds = run_windows(runner, "stationary", windows)
    detected = figures(runner, "stationary", "drift.detected")
    judged = detected.segment.nunique() - 1
    flagged = detected[detected.value == 1].window_end.nunique()
    return {
        "windows": windows,
        "segments_judged": judged,
        "tests_per_run": int(len(detected) / windows),
        "runs_flagging_anything_share": flagged / windows,
        "seconds_per_run_median": round(float(np.median(seconds)), 2),
    }


def fairness_case(windows: int) -> dict:
    def unfair(frame: pd.DataFrame, hour: int, rng: np.random.Generator) -> None:
        if hour >= windows // 2:
            group_b = frame["group"] == "b"
            frame.loc[group_b, "approved"] = (rng.random(int(group_b.sum())) < 0.3).astype(int)

    source = write(log(2_000, windows, 4, 4, 13, unfair), "fairness")
    rule = """
prediction_column = "score"
prediction_label_column = "approved"
target_column = "label"
task = "binary_classification"
protected_attributes = ["group"]

[[monitors.rules]]
name = "four-fifths"
metric = "fairness.selection_rate_ratio"
column = "group"
below = 0.8
"""
    runner = runner_for("fairness", source, monitor("fairness", 4, rule))
    run_windows(runner, "fairness", windows)
    ratio = figures(runner, "fairness", "fairness.selection_rate_ratio").sort_values("window_end")
    half = windows // 2
    with runner.store.engine.connect() as connection:
        fired = connection.execute(
            sa.text("SELECT window_end FROM alert_events WHERE to_state = 'firing' ORDER BY window_end")
        ).all()
    ends = list(ratio.window_end)
    return {
        "windows": windows,
        "ratio_before_median": round(float(ratio.value.iloc[:half].median()), 3),
        "ratio_after_median": round(float(ratio.value.iloc[half:].median()), 3),
        "fired_at_window": [ends.index(str(row[0])) if str(row[0]) in ends else str(row[0]) for row in fired],
        "change_at_window": half,
    }


def cost_case(repeats: int = 3) -> dict:
    source = write(log(100_000, repeats + 1, 20, 10, 14, lambda *_: None), "cost")
    monitors = monitor("plain", 10, "") + monitor("segmented", 10, 'segments = ["seg"]')
    runner = runner_for("cost", source, monitors)
    timings = {name: run_windows(runner, name, repeats + 1) for name in ("plain", "segmented")}
    first = {name: round(t[0], 2) for name, t in timings.items()}
    steady = {name: round(float(np.median(t[1:])), 2) for name, t in timings.items()}
    checks = check_seconds(source, monitors, repeats)
    return {
        "window_rows": 100_000,
        "first_run_seconds": first,
        "steady_run_seconds": steady,
        "steady_factor": round(steady["segmented"] / steady["plain"], 2),
        "first_factor": round(first["segmented"] / first["plain"], 2),
        "check_seconds_median": checks,
        "check_factor": round(checks["segmented"] / checks["plain"], 2),
    }


def check_seconds(source: str, monitors: str, repeats: int) -> dict[str, float]:
    """`drifthound check --force` on one window, each in a fresh process (reading the reference, calibrating,
    Evidently's import and report included), the two monitors taking turns."""
    config = OUT / "check.toml"
    config.write_text(config_text(OUT / "check_store.db", OUT / "reports", source, monitors))
    at = f"{DAY0 + timedelta(hours=REFERENCE_HOURS + 1):%Y-%m-%dT%H:%M:%SZ}"
    seconds: dict[str, list[float]] = {"plain": [], "segmented": []}
    for _ in range(repeats):
        for name in seconds:
            began = time.perf_counter()
            command = [DRIFTHOUND, "-c", str(config), "check", "-m", name, "--at", at, "--force"]
            subprocess.run(command, check=True, capture_output=True)
            seconds[name].append(time.perf_counter() - began)
    return {name: round(float(np.median(t)), 2) for name, t in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--windows", type=int, default=300)
    parser.add_argument("--only", default="shift,stationary,fairness,cost")
    args = parser.parse_args()
    cases = {
        "shift": lambda: shift_case(min(args.windows, 200)),
        "stationary": lambda: stationary_case(args.windows),
        "fairness": lambda: fairness_case(min(args.windows, 40)),
        "cost": cost_case,
    }
    results = {}
    for name in args.only.split(","):
        began = time.perf_counter()
        results[name] = cases[name]()
        results[name]["bench_seconds"] = round(time.perf_counter() - began, 1)
        print(name, json.dumps(results[name]), flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
