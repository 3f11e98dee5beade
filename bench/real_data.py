"""Detection on real data with documented change points: the Turing change-point datasets that river ships
(river.drift.datasets; installed with `pip install -e '.[bench]'`, nothing is downloaded).

Run by hand:  .venv/bin/python bench/real_data.py [--rows 30] [--out bench/out/real_data.json]
Figures go in bench/README.md.

Definitions
- Change points: those a majority of the dataset's annotators marked within +-5 rows of each other (their
  median). Each is tested as a monitor would meet it: up to `rows` rows before it are the reference, up to
  `rows` rows after it the current window (neither reaching another change point; at least 10 rows each).
  A run "flags" when at least one column is flagged; `columns_flagged_share` is the mean share of columns
  flagged.
- Quiet stretches: the middle of each segment between change points, split in two halves of up to `rows`
  rows, 5 rows clear of both ends; the first half is the reference, the second the current window.
- Evidently defaults: each column's default test and threshold as Evidently picks them for these sizes
  (two-sample K-S, p < 0.05, for numerical columns under 1,000 rows).

These series are time series: rows next to each other are alike, which no test built for independent rows
(DriftHound's or Evidently's) allows for; quiet stretches are hence not the same as data with no drift.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detection import Column, drifthound, evidently_defaults, write_results

from monitor.drift.detect import ReferenceProfile

warnings.filterwarnings("ignore")

TOLERANCE = 5
MIN_ROWS = 10
DATASETS = {
    "RunLog": "interval training: pace and distance",
    "Occupancy": "room sensors: temperature, humidity, light, CO2",
}


def load(name: str) -> tuple[pd.DataFrame, dict[str, list[int]]]:
    from river.drift import datasets

    dataset = getattr(datasets, name)()
    rows = [{**x, **(y if isinstance(y, dict) else {"y": y})} for x, y in dataset]
    frame = pd.DataFrame(rows).drop(columns=["time", "Date"], errors="ignore")
    return frame.select_dtypes("number").astype(float), dataset.annotations


def consensus(annotations: dict[str, list[int]]) -> list[int]:
    """Change points a majority of annotators marked, each within TOLERANCE rows of the cluster's first."""
    marks = sorted((point, annotator) for annotator, points in annotations.items() for point in points)
    clusters: list[list[tuple[int, str]]] = []
    for mark in marks:
        if clusters and mark[0] - clusters[-1][0][0] <= TOLERANCE:
            clusters[-1].append(mark)
        else:
            clusters.append([mark])
    needed = len(annotations) // 2 + 1
    return [int(np.median([p for p, _ in c])) for c in clusters if len({a for _, a in c}) >= needed]


def cases(frame: pd.DataFrame, annotations: dict[str, list[int]], rows: int) -> list[tuple[str, int, int, int]]:
    """(truth, start, split, end): the reference is [start, split), the window [split, end).

    A change point is met with up to `rows` rows on each side, not reaching the next consensus change point;
    a quiet stretch is the middle of a segment between two of them, TOLERANCE rows clear of both."""
    points = consensus(annotations)
    edges = [0, *points, len(frame)]
    out = []
    for before, point, after in zip(edges, edges[1:], edges[2:], strict=False):
        start, end = max(before, point - rows), min(after, point + rows)
        if min(point - start, end - point) >= MIN_ROWS:
            out.append(("change", start, point, end))
    for before, after in itertools.pairwise(edges):
        half = min(rows, (after - before - 2 * TOLERANCE) // 2)
        if half >= MIN_ROWS:
            middle = (before + after) // 2
            out.append(("quiet", middle - half, middle, middle + half))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=30, help="rows in the reference and in the window")
    parser.add_argument("--out", default="bench/out/real_data.json")
    args = parser.parse_args()
    results = {}
    for name, about in DATASETS.items():
        frame, annotations = load(name)
        columns = [Column(c, "numerical", None) for c in frame]  # type: ignore[arg-type]
        kinds = {c.name: c.kind for c in columns}
        methods = ("drifthound", "evidently_defaults")
        keys = ("runs", *methods, *(f"{m}.columns_flagged_share" for m in methods))
        tally = {truth: dict.fromkeys(keys, 0.0) for truth in ("change", "quiet")}
        for truth, start, split, end in cases(frame, annotations, args.rows):
            reference = frame.iloc[start:split].reset_index(drop=True)
            current = frame.iloc[split:end].reset_index(drop=True)
            tally[truth]["runs"] += 1
            flagged = {
                "drifthound": drifthound(ReferenceProfile(reference, kinds, seed=1), current, columns),
                "evidently_defaults": evidently_defaults(reference, current, columns)[0],
            }
            for method, found in flagged.items():
                tally[truth][method] += bool(found)
                tally[truth][f"{method}.columns_flagged_share"] += len(found) / len(columns)
        results[name] = {
            "about": about,
            "rows": len(frame),
            "columns": list(frame),
            "consensus_change_points": consensus(annotations),
            **{
                f"{truth}.{key}": (value / counts["runs"] if key != "runs" and counts["runs"] else value)
                for truth, counts in tally.items()
                for key, value in counts.items()
            },
        }
        print(name, json.dumps(results[name]), flush=True)
    write_results(args.out, results)


if __name__ == "__main__":
    main()
