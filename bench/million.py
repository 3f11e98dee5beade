"""Issue 23's table in one command: `drifthound check` with everything on beside NannyML's subset, on the same
SQLite log, each in a fresh process (wall seconds and peak RSS from /usr/bin/time), repeated, medians kept.

    make bench-peer                                   # NannyML 0.13 in .venv-peer (once)
    .venv/bin/python bench/million.py [--rows 100000 1000000 10000000] [--repeats 3] [--no-peer] [--warm]
    .venv/bin/python bench/million.py --compare /tmp/before --rows 100000

The log (bench/out/million-<rows>.db, written once, about 15 s a million rows): a reference day and a current
day of `rows` predictions each; 12 numerical features (8 distribution shapes) and 4 categorical ones (2-10
levels), a binary model's score and its decision (threshold 0.4), labels on the reference day only, a segment
column `region` (4 values) and a protected attribute `gender` (2 values). Two features drift mildly on the
current day, and the score with them.

- DriftHound: `drifthound check` on the current day, everything on: drift, data quality, estimated quality
  (labels are in the reference only), multivariate drift (reconstruction), segments by region, fairness across
  gender, the report. No cap (every row read) up to 1,000,000 rows a day; above, the default cap
  (`max_rows = 200000`, sampled in SQLite).
- NannyML (`bench/peer_nannyml.py table`, in .venv-peer): both days read with `pandas.read_sql`, univariate
  drift of every feature and the score (its default methods), CBPE (roc_auc, accuracy, f1) and the data
  reconstruction (PCA) drift, one chunk per day. Its subset: no segments, no fairness, no report. Up to
  1,000,000 rows a day (it has no cap: above, DriftHound alone).
- `--compare CHECKOUT`: every figure stored for the day by this checkout's `monitor` beside another's (say `git archive
  <commit> monitor | tar -x -C /tmp/before`): how many are bit-identical, within 1e-9, or differ.
- `--kept`: beside each fresh `check` (its reference read and fitted: the folder of kept references emptied
  first), another fresh `check` that loads the reference the first one kept on disk (issue 23).
- `--compare-kept`: every figure stored by a fresh process that fitted the reference beside one that loaded
  it as the first kept it.
- `--warm`: the daemon's Runner in one process evaluates the day, then the same day again (`force`,
  `--warm-runs` times) with the reference already read and fitted: what a warm worker pays for the next
  window (wall and CPU seconds of the run, imports and start-up aside).

Writes bench/out/million.json (every run, and the medians).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
PYTHON = sys.executable
DRIFTHOUND = str(Path(PYTHON).parent / "drifthound")
PEER = HERE.parent / ".venv-peer" / "bin" / "python"
CAP = 200_000  # the default max_rows
PEER_ROWS = 1_000_000  # NannyML reads every row with pandas: above this, DriftHound alone (with the cap)

NUMERICAL = [f"n{i:02d}" for i in range(12)]
CATEGORICAL = [f"c{i}" for i in range(4)]
LEVELS = [["a", "b", "c"], ["north", "south", "east", "west", "centre"], list("pqrstuvwxy"), ["web", "app"]]
REGIONS = ["emea", "amer", "apac", "latam"]
GENDERS = ["f", "m"]
DAY0 = datetime(2026, 11, 1, tzinfo=UTC)  # the reference day; the current day follows
AT = "2026-11-03T00:00:00Z"
CHUNK = 250_000

sys.path.insert(0, str(HERE))
import run  # noqa: E402
from run import measure  # noqa: E402


def chunk_columns(rows: int, day: int, part: int, start: int, total: int) -> list[tuple[str, list]]:
    """Rows [start, start + rows) of a day of `total` rows, as (column, values) in the table's order."""
    rng = np.random.default_rng(day * 10_000 + part)
    shift = 0.15 if day else 0.0
    seconds = (start + np.sort(rng.uniform(0, rows, rows))) * 86_400 / total
    stamps = np.datetime64(DAY0.replace(tzinfo=None), "us") + np.timedelta64(day, "D")
    times = stamps + (seconds * 1e6).astype("timedelta64[us]")
    text = np.char.add(np.char.replace(np.datetime_as_string(times, unit="us"), "T", " "), "+00:00")
    makers = [
        lambda: rng.normal(shift, 1, rows),
        lambda: rng.lognormal(0, 1, rows),
        lambda: rng.exponential(2.0, rows),
        lambda: rng.uniform(0, 1, rows),
        lambda: rng.gamma(2.0, 1.5, rows),
        lambda: rng.normal(5000 + 600 * shift, 1200, rows),
        lambda: rng.standard_t(3, rows),
        lambda: rng.beta(2, 5, rows),
    ]
    numbers = [makers[i % len(makers)]() for i in range(len(NUMERICAL))]
    categories = []
    for names in LEVELS:
        p = np.linspace(1, 2, len(names))
        categories.append(rng.choice(names, rows, p=p / p.sum()))
    region = rng.choice(REGIONS, rows, p=[0.4, 0.3, 0.2, 0.1])
    gender = rng.choice(GENDERS, rows)
    logit = (
        0.8 * numbers[0]
        - 0.5 * np.log1p(numbers[1])
        + 0.6 * (numbers[3] - 0.5)
        + 0.3 * (numbers[5] - 5000) / 1200
        + 0.4 * (categories[3] == "app")
        - 0.3
    )
    probability = 1 / (1 + np.exp(-logit))
    score = 1 / (1 + np.exp(-(logit + rng.normal(0, 0.3, rows))))  # the model: close to, not equal to, the truth
    label = (rng.uniform(0, 1, rows) < probability).astype(int)
    columns: list[tuple[str, list]] = [("ts", text.tolist())]
    columns += [(name, values.tolist()) for name, values in zip(NUMERICAL, numbers, strict=True)]
    columns += [(name, values.tolist()) for name, values in zip(CATEGORICAL, categories, strict=True)]
    columns += [("region", region.tolist()), ("gender", gender.tolist()), ("score", score.tolist())]
    columns += [("approved", (score >= 0.4).astype(int).tolist())]
    columns += [("label", label.tolist() if day == 0 else [None] * rows)]
    return columns


def log_path(rows: int) -> Path:
    """The log of a reference day and a current day of `rows` rows each, written once."""
    path = OUT / f"million-{rows}.db"
    if path.exists():
        return path
    print(f"writing {path} ({rows:,} rows a day)", flush=True)
    OUT.mkdir(exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    with sqlite3.connect(temporary) as connection:
        types = {"ts": "TEXT NOT NULL", "approved": "INTEGER", "label": "INTEGER", "score": "REAL"}
        types |= {c: "REAL" for c in NUMERICAL} | {c: "TEXT" for c in [*CATEGORICAL, "region", "gender"]}
        names = [name for name, _ in chunk_columns(1, 0, 0, 0, 1)]
        connection.execute(f"CREATE TABLE predictions ({', '.join(f'{n} {types[n]}' for n in names)})")
        marks = ", ".join("?" * len(names))
        for day in (0, 1):
            for part, start in enumerate(range(0, rows, CHUNK)):
                columns = chunk_columns(min(CHUNK, rows - start), day, part, start, rows)
                values = zip(*(v for _, v in columns), strict=True)
                connection.executemany(f"INSERT INTO predictions VALUES ({marks})", values)  # noqa: S608
        connection.execute("CREATE INDEX predictions_ts ON predictions (ts)")
    os.replace(temporary, path)
    return path


# Everything on: a binary model's outputs and labels, estimation, multivariate drift, segments, fairness.
EVERYTHING = """prediction_column = "score"
prediction_label_column = "approved"
target_column = "label"
task = "binary_classification"
estimate_performance = true
multivariate_drift = "reconstruction"
segments = ["region"]
protected_attributes = ["gender"]"""


def config(folder: Path, log: Path, max_rows: int, *, kept: bool = False) -> Path:
    """A fresh store; and no reference kept from an earlier run unless `kept` (README.md, issue 23)."""
    (folder / "store.db").unlink(missing_ok=True)
    if not kept:
        shutil.rmtree(folder / "store.db-references", ignore_errors=True)
    path = run.config(
        folder,
        f"sqlite:///{log}",
        max_rows,
        name="million",
        numerical=NUMERICAL,
        categorical=CATEGORICAL,
        settings=EVERYTHING,
    )
    subprocess.run([DRIFTHOUND, "db", "upgrade", "-c", str(path)], check=True, capture_output=True)
    return path


def max_rows_for(rows: int) -> int:
    return 10 * rows if rows <= 1_000_000 else CAP


def drifthound(rows: int, log: Path, *, kept: bool = False, code: Path | None = None) -> dict[str, object]:
    """A fresh `check`: the reference read and fitted, or (`kept`) loaded as the check before kept it; `code`:
    another checkout's `monitor` (a commit before a change), run by this venv."""
    path = config(OUT / "million-runs" / str(rows), log, max_rows_for(rows), kept=kept)
    if code is None:
        return measure([DRIFTHOUND, "check", "-c", str(path), "--at", AT])
    command = [PYTHON, "-m", "monitor", "check", "-c", str(path), "--at", AT]
    return measure(command, env=os.environ | {"PYTHONPATH": str(code.resolve())}, cwd="/")


def nannyml(log: Path) -> dict[str, object]:
    out = OUT / "million-runs" / f"peer-{log.stem}.json"
    out.unlink(missing_ok=True)  # a failed run leaves none (and measure() takes exit 1 for a rule firing)
    command = [str(PEER), str(HERE / "peer_nannyml.py"), "table", "--sqlite", str(log), "--out", str(out)]
    command += ["--numerical", ",".join(NUMERICAL), "--categorical", ",".join(CATEGORICAL)]
    measured = measure(command)
    return measured | {"steps": json.loads(out.read_text())["seconds"]}


def warm(rows: int, log: Path, repeats: int, code: Path | None = None) -> dict[str, object]:
    """The day evaluated by one Runner, then again with the reference read and fitted."""
    where = (code or HERE.parent).resolve()
    script = f"""
import sys
sys.path.insert(0, {str(where)!r})
import monitor
assert monitor.__file__.startswith({str(where)!r}), monitor.__file__
import json, time
from datetime import datetime
from monitor.config import load_config
from monitor.runner import Runner
from monitor.store import Store
from monitor.windows import Window
config = load_config({str(config(OUT / "million-runs" / f"warm-{rows}", log, max_rows_for(rows)))!r})
runner = Runner(config, Store(config.service.store_url))
monitor = config.monitor("million")
window = Window(datetime.fromisoformat("2026-11-02T00:00:00+00:00"), datetime.fromisoformat({AT!r}))
seconds = []
for _ in range({repeats + 1}):
    started, cpu = time.perf_counter(), time.process_time()
    result = runner.run(monitor, window, force=True)
    seconds.append((time.perf_counter() - started, time.process_time() - cpu))
    assert result.status == "ok", result.reason
print(json.dumps(seconds))
"""
    done = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True, check=True, cwd="/")
    seconds = json.loads(done.stdout.strip().splitlines()[-1])
    first, rest = seconds[0], seconds[1:]
    return {
        "first": {"seconds": round(first[0], 2), "cpu_seconds": round(first[1], 2)},
        "warm": [{"seconds": round(wall, 2), "cpu_seconds": round(cpu, 2)} for wall, cpu in rest],
    }


FIGURES = """
import json, sqlite3, sys
sys.path.insert(0, {code!r})
import monitor
assert monitor.__file__.startswith({code!r}), monitor.__file__
from datetime import datetime
from monitor.config import load_config
from monitor.runner import Runner
from monitor.store import Store
from monitor.windows import Window
config = load_config({config!r})
runner = Runner(config, Store(config.service.store_url))
window = Window(datetime.fromisoformat("2026-11-02T00:00:00+00:00"), datetime.fromisoformat({at!r}))
assert runner.run(config.monitor("million"), window, force=True).status == "ok"
store = sqlite3.connect(config.service.store_url.removeprefix("sqlite:///"))
rows = store.execute("SELECT metric, column_name, segment, method, value FROM metric_values").fetchall()
print(json.dumps(rows))
"""


def figures(code: Path, rows: int, log: Path, *, kept: bool = False) -> dict[tuple, float | None]:
    """Every figure stored for the day, evaluated by the `monitor` package of the checkout at `code` (`kept`:
    with the reference the run before kept on disk)."""
    path = config(OUT / "million-runs" / f"figures-{code.name}-{rows}", log, max_rows_for(rows), kept=kept)
    script = FIGURES.format(code=str(code.resolve()), config=str(path), at=AT)
    done = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True, check=True, cwd="/")
    return {tuple(row[:4]): row[4] for row in json.loads(done.stdout.strip().splitlines()[-1])}


def compare(other: Path | None, rows: int, log: Path) -> dict[str, object]:
    """This checkout's figures beside another's (a commit before a change), for the same day; with no other,
    a fresh process that fitted the reference beside one that loaded it as the first kept it."""
    mine = figures(HERE.parent, rows, log)
    theirs = figures(other, rows, log) if other else figures(HERE.parent, rows, log, kept=True)
    same = [
        k for k in mine if k in theirs and (mine[k] == theirs[k] or (mine[k] != mine[k] and theirs[k] != theirs[k]))
    ]
    close = [
        k
        for k in mine
        if k in theirs and k not in same and None not in (mine[k], theirs[k]) and abs(mine[k] - theirs[k]) <= 1e-9
    ]
    differ = [[*k, mine[k], theirs.get(k)] for k in mine if k not in same and k not in close]
    differ += [[*k, None, theirs[k]] for k in theirs if k not in mine]
    return {"figures": len(mine), "bit_identical": len(same), "within_1e-9": len(close), "differ": differ[:20]}


def loaded(result: dict[str, object]) -> dict[str, object]:
    """A run's figures with the machine's load average (1 minute) at its end: the machine is shared."""
    return result | {"load_average": round(os.getloadavg()[0], 1)}


def median_of(runs: list[dict[str, object]], key: str) -> float:
    return round(statistics.median(float(run[key]) for run in runs), 2)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-peer", action="store_true", help="DriftHound only")
    parser.add_argument("--warm", action="store_true", help="also a warm Runner's second run of the same day")
    parser.add_argument("--kept", action="store_true", help="also a fresh check loading the kept reference")
    parser.add_argument("--warm-runs", type=int, default=3, help="warm runs after the first (with --warm)")
    parser.add_argument("--compare", type=Path, help="another checkout: compare every stored figure, then stop")
    parser.add_argument("--compare-kept", action="store_true", help="figures fitted beside loaded, then stop")
    parser.add_argument("--before", type=Path, help="another checkout's `check` (and --warm) too, in turns")
    parser.add_argument("--out", type=Path, default=OUT / "million.json")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    if args.compare or args.compare_kept:
        for rows in args.rows:
            print(json.dumps({"rows": rows, **compare(args.compare, rows, log_path(rows))}), flush=True)
        return
    if not args.no_peer and not PEER.exists():
        sys.exit("NannyML's venv is missing: make bench-peer (or --no-peer)")
    results: list[dict[str, object]] = []
    for rows in args.rows:
        log = log_path(rows)
        runs: dict[str, list[dict[str, object]]] = {
            "drifthound": [],
            "nannyml": [],
            "before": [],
            "drifthound_kept": [],
        }
        for _ in range(args.repeats):  # they take turns, so the machine's load falls on each
            if args.before:
                runs["before"].append(loaded(drifthound(rows, log, code=args.before)))
                print(json.dumps({"rows": rows, "before": runs["before"][-1]}), flush=True)
            runs["drifthound"].append(loaded(drifthound(rows, log)))
            print(json.dumps({"rows": rows, "drifthound": runs["drifthound"][-1]}), flush=True)
            if args.kept:  # the check before kept its reference on disk
                runs["drifthound_kept"].append(drifthound(rows, log, kept=True))
                print(json.dumps({"rows": rows, "drifthound_kept": runs["drifthound_kept"][-1]}), flush=True)
            if not args.no_peer and rows <= PEER_ROWS:
                runs["nannyml"].append(loaded(nannyml(log)))
                print(json.dumps({"rows": rows, "nannyml": runs["nannyml"][-1]}), flush=True)
        row: dict[str, object] = {"rows": rows, "max_rows": max_rows_for(rows), "runs": runs}
        for side, done in runs.items():
            if done:
                row[side] = {key: median_of(done, key) for key in ("seconds", "cpu_seconds", "peak_rss_mb")}
        if runs["nannyml"]:
            for side in ("drifthound", "before"):
                if runs[side]:  # the medians of the pairs' ratios: each pair ran at about the same load
                    for key, ratio in (("seconds", "time_ratio"), ("cpu_seconds", "cpu_ratio")):
                        pairs = zip(runs[side], runs["nannyml"], strict=False)
                        ratios = [float(a[key]) / float(b[key]) for a, b in pairs]  # type: ignore[arg-type]
                        row[f"{ratio}_{side}"] = round(statistics.median(ratios), 3)
        if args.warm:
            if args.before:
                row["warm_before"] = warm(rows, log, args.warm_runs, args.before)
            row["warm"] = warm(rows, log, args.warm_runs)
        print(json.dumps({k: v for k, v in row.items() if k != "runs"}), flush=True)
        results.append(row)
    meta = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "load_average": os.getloadavg(),
    }
    args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=1))


if __name__ == "__main__":
    main()
