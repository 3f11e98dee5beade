"""What a rolling reference costs a warm worker on consecutive windows, and whether refit = 0 keeps every figure.

    .venv/bin/python bench/rolling.py --label kept                       # this checkout, refit as default (0.1)
    .venv/bin/python bench/rolling.py --label every --refit 0            # this checkout, refit every window
    .venv/bin/python bench/rolling.py --label before --code /tmp/before  # another checkout (no refit key)
    .venv/bin/python bench/rolling.py --compare every before             # every stored figure, side by side

The log: 8 days of hourly traffic, `--rows` rows an hour (bench/estimation.py's cost logs: 8 numerical and 2
categorical features, a classifier's score and decided class, labels). One monitor, hourly windows against
`reference = { last = "7d" }` (estimation on, the report written), through the daemon's own Runner in one
process: the first window reads and fits the reference (left out), then `--windows` consecutive hours are
timed, as a warm worker evaluates them. Run the labels in turns (the machine is shared).
Writes bench/out/rolling_<label>.json: wall and CPU seconds of each run, their medians, how many times the
reference was read, and every figure stored.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300, help="rows an hour (the 7d reference holds 168 times it)")
    parser.add_argument("--windows", type=int, default=12)
    parser.add_argument("--refit", type=float, help="reference.refit (unset: the key is not written)")
    parser.add_argument("--code", default=str(HERE.parent), help="the checkout whose monitor package runs")
    parser.add_argument("--label", default="this")
    parser.add_argument("--compare", nargs=2, metavar=("LABEL", "OTHER"), help="compare two labels' figures")
    args = parser.parse_args()
    if args.compare:
        print(json.dumps(compare(*args.compare), indent=2))
        return
    print(json.dumps(measure(args), indent=2))


def measure(args: argparse.Namespace) -> dict[str, object]:
    sys.path.insert(0, args.code)
    sys.path.insert(1, str(HERE.parent))
    import monitor  # noqa: I001  first, as in a worker: it limits BLAS to one thread before numpy loads it

    from bench.estimation import COST_DAY0, cost_log
    from bench.runner import cost_log_monitor, fresh_runner, write_log
    from monitor.sources.reader import Source
    from monitor.windows import Window

    assert Path(monitor.__file__).resolve().is_relative_to(Path(args.code).resolve()), monitor.__file__
    days = 8
    frame = cost_log("binary_classification", args.rows, args.rows, days * 24 - 1)
    source = write_log(frame, OUT / f"rolling_{args.rows}.db")
    refit = "" if args.refit is None else f", refit = {args.refit}"
    section = cost_log_monitor(
        "rolling", "binary_classification", every="1h", reference=f'{{ last = "7d"{refit} }}', extra="min_rows = 100"
    )
    store = OUT / f"rolling_{args.label}_store.db"
    reports = OUT / f"rolling_{args.label}_reports"
    shutil.rmtree(reports, ignore_errors=True)
    config, runner = fresh_runner(store, reports, source, section)
    rolling = config.monitor("rolling")
    reads = _count_reference_reads(Source, Window)
    hour = timedelta(hours=1)
    first = COST_DAY0 + timedelta(days=7)
    windows = [Window(first + k * hour, first + (k + 1) * hour) for k in range(args.windows + 1)]
    runs = []
    for k, window in enumerate(windows):
        started, cpu = time.perf_counter(), time.process_time()
        result = runner.run(rolling, window)
        assert result.status == "ok", result.reason
        if k:  # the first window reads and fits the reference: a warm worker holds it
            runs.append({"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu})
            runs[-1]["note"] = result.reason
    out = {
        "code": args.code,
        "refit": args.refit,
        "rows_an_hour": args.rows,
        "windows": args.windows,
        "reference_reads": len(reads) - 1,
        "median_seconds": round(statistics.median(r["seconds"] for r in runs), 3),
        "median_cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in runs), 3),
        "total_cpu_seconds": round(sum(r["cpu_seconds"] for r in runs), 2),
        "runs": runs,
        "figures": _figures(store),
    }
    OUT.mkdir(exist_ok=True)
    (OUT / f"rolling_{args.label}.json").write_text(json.dumps(out, indent=2))
    return {k: v for k, v in out.items() if k not in ("runs", "figures")}


def _count_reference_reads(source: type, window: type) -> list[object]:
    """Every reference read from now on (a reference passes its spans; a window's own read one Window)."""
    reads: list[object] = []
    read = source.read

    def counted(self, columns, spans, **options):  # type: ignore[no-untyped-def]
        if not isinstance(spans, window):
            reads.append(spans)
        return read(self, columns, spans, **options)

    source.read = counted
    return reads


def _figures(store: Path) -> list[list[object]]:
    with sqlite3.connect(store) as connection:
        rows = connection.execute(
            "SELECT window_end, metric, column_name, segment, method, value FROM metric_values ORDER BY 1, 2, 3, 4, 5"
        ).fetchall()
    return [list(row) for row in rows]


def compare(label: str, other: str) -> dict[str, object]:
    mine, theirs = (json.loads((OUT / f"rolling_{name}.json").read_text())["figures"] for name in (label, other))
    keyed = [{tuple(row[:5]): row[5] for row in figures} for figures in (mine, theirs)]
    same = [k for k in keyed[0] if k in keyed[1] and keyed[0][k] == keyed[1][k]]
    differ = [[*k, keyed[0].get(k), keyed[1].get(k)] for k in keyed[0].keys() | keyed[1].keys() if k not in same]
    return {"figures": len(keyed[0]), "bit_identical": len(same), "differ": len(differ), "first_differing": differ[:10]}


if __name__ == "__main__":
    main()
