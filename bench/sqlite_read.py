"""Reading a SQLite window: as Arrow columns (ADBC's SQLite driver, monitor/sources/sqlite_arrow.py) beside
Python's sqlite3 tuples into frames (the SQLAlchemy path), in one process, taking turns.

    .venv/bin/python bench/sqlite_read.py [--rows 1000000] [--repeats 5]

The logs of bench/logs.py (16 numerical and 4 categorical columns, timestamps as text), a day of `--rows`
rows; the day is read whole (no cap) and with the default cap (max_rows = 200,000: a seeded rowid hash in the
statement). Each read goes through `Source.read`, its count of the window's rows included (the same statement
on both paths). The two paths' frames are compared once (they must be equal). Writes
bench/out/sqlite_read_<rows>.json: the median seconds and the range.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench import logs  # noqa: E402
from bench.detection import write_results  # noqa: E402
from monitor.sources.reader import Source  # noqa: E402
from monitor.windows import Window  # noqa: E402

CAP = 200_000


def source(url: str, arrow: bool) -> Source:
    reader = Source(url, table="predictions", timestamp_column="ts")
    reader._fast = arrow
    return reader


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    path = HERE / "out" / f"sqlite_read_{args.rows}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        logs.write_sqlite(str(path), args.rows)
        gc.collect()  # the writer's connection closed: the Arrow path does not open a file this process holds
    url = f"sqlite:///{path}"
    day = Window(logs.DAY0 + timedelta(days=1), logs.DAY0 + timedelta(days=2))
    columns = ["ts", *logs.COLUMNS]
    results: dict[str, dict] = {}
    for label, max_rows in (("whole day", args.rows * 2), (f"cap {CAP:,}", CAP)):
        first = {
            path_name: source(url, path_name == "arrow").read(columns, day, max_rows=max_rows, seed=5)
            for path_name in ("arrow", "sqlalchemy")
        }
        assert first["arrow"].notes == (), first["arrow"].notes
        pd.testing.assert_frame_equal(first["arrow"].frame, first["sqlalchemy"].frame)
        times: dict[str, list[float]] = {"arrow": [], "sqlalchemy": []}
        for _ in range(args.repeats):
            for path_name in ("arrow", "sqlalchemy"):
                reader = source(url, path_name == "arrow")
                started = time.perf_counter()
                reader.read(columns, day, max_rows=max_rows, seed=5)
                times[path_name].append(time.perf_counter() - started)
        results[label] = {
            "rows_read": len(first["arrow"].frame),
            **{
                name: {"median": round(float(np.median(t)), 3), "range": [round(min(t), 3), round(max(t), 3)]}
                for name, t in times.items()
            },
        }
        print(label, results[label], flush=True)
    write_results(str(HERE / "out" / f"sqlite_read_{args.rows}.json"), results)


if __name__ == "__main__":
    main()
