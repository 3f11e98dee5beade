"""Speed and memory, side by side, on SQLite and PostgreSQL prediction logs (run by hand, not in the tests):

    .venv/bin/python bench/run.py [--rows 100000 1000000] [--db sqlite postgresql] [--big]

(a) by hand: pandas.read_sql + Report([DataDriftPreset()]) + save_html (bench/by_hand.py)
(b) `drifthound check` on the same window, report included: with the default cap (max_rows = 200,000)
    and with no cap (every row read)
(c) the numpy/scipy floor: the same statistics on arrays in memory (bench/floor.py)
--big adds a 10,000,000-row window with the default cap, beside a 200,000-row window.
--load: 50 monitors of 100,000-row windows checked by one process: its CPU seconds against the budget of
    a 15-minute schedule on half of 2 cores (900 CPU seconds).

Each measurement is a fresh process: wall time and peak RSS come from wait4(). Logs are written once to
bench/out/ (SQLite) and to databases drifthound_bench_<rows> on 127.0.0.1:5432, and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
PYTHON = sys.executable
DRIFTHOUND = str(Path(PYTHON).parent / "drifthound")
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"

sys.path.insert(0, str(HERE))
from logs import CATEGORICAL, NUMERICAL, write_postgres, write_sqlite  # noqa: E402


def measure(command: list[str], **kwargs) -> dict[str, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one process, as /usr/bin/time reports them.

    Not wait4() from this process: Linux starts a child's maxrss at its parent's RSS at fork time, and this
    process holds the logs it wrote."""
    started = time.perf_counter()
    timed = ["/usr/bin/time", "-f", "TIME %e %U %S %M", *command]
    done = subprocess.run(timed, capture_output=True, text=True, check=False, **kwargs)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):  # check exits 1 when a rule fires
        raise RuntimeError(f"{command} failed: {done.stderr[-2000:]}")
    line = [x for x in done.stderr.splitlines() if x.startswith("TIME ")][-1].split()
    return {
        "seconds": round(wall, 2),
        "cpu_seconds": round(float(line[2]) + float(line[3]), 2),
        "peak_rss_mb": round(int(line[4]) / 1024, 1),
        "stdout": done.stdout.strip()[-200:],
    }


def log_url(db: str, rows: int) -> str:
    if db == "sqlite":
        path = OUT / f"log-{rows}.db"
        if not path.exists():
            print(f"writing {path} ({rows:,} rows a day)", flush=True)
            write_sqlite(str(path) + ".tmp", rows)
            os.replace(str(path) + ".tmp", path)
        return f"sqlite:///{path}"
    name = f"drifthound_bench_{rows}"
    admin = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = f"{PG}/{name}"
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        has = connection.execute(sa.text("SELECT to_regclass('predictions') IS NOT NULL")).scalar()
        count = connection.execute(sa.text("SELECT count(*) FROM predictions")).scalar() if has else 0
    if count != 2 * rows:
        print(f"writing {name} ({rows:,} rows a day)", flush=True)
        write_postgres(url, rows)
    return url


def config(
    folder: Path,
    url: str,
    max_rows: int,
    monitors: int = 1,
    *,
    name: str = "bench",
    numerical: list[str] = NUMERICAL,
    categorical: list[str] = CATEGORICAL,
    settings: str = "",
) -> Path:
    """A config over the log at `url` with `monitors` daily monitors of the second day against the first;
    `settings`: more TOML lines for each monitor (a model's columns, segments ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(
        f"""[service]
store_url = "sqlite:///{folder}/store.db"
reports_dir = "{folder}/reports"

[sources.log]
url = "{url}"
"""
        + "".join(
            _monitor(f"{name}-{i:02d}" if monitors > 1 else name, max_rows, numerical, categorical, settings)
            for i in range(monitors)
        )
    )
    return path


def _monitor(name: str, max_rows: int, numerical: list[str], categorical: list[str], settings: str) -> str:
    return f"""
[[monitors]]
name = "{name}"
source = "log"
table = "predictions"
timestamp_column = "ts"
numerical_features = {json.dumps(numerical)}
categorical_features = {json.dumps(categorical)}
{settings}
every = "1d"
window = "1d"
reference = {{ start = "2026-11-01T00:00:00Z", end = "2026-11-02T00:00:00Z" }}
max_rows = {max_rows}
"""


def check(url: str, max_rows: int, tag: str, monitors: int = 1) -> dict[str, float]:
    folder = OUT / "runs" / tag
    (folder / "store.db").unlink(missing_ok=True)
    shutil.rmtree(folder / "store.db-references", ignore_errors=True)  # a fresh process fits its reference
    path = config(folder, url, max_rows, monitors)
    subprocess.run([DRIFTHOUND, "db", "upgrade", "-c", str(path)], check=True, capture_output=True)
    return measure([DRIFTHOUND, "check", "-c", str(path), "--at", "2026-11-03T00:00:00Z"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--only", nargs="+", default=["a", "b", "c"])
    parser.add_argument("--big", action="store_true")
    parser.add_argument("--load", action="store_true", help="50 monitors of 100,000-row windows, CPU time")
    parser.add_argument("--out", default=str(OUT / "run.json"))
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    results: list[dict[str, object]] = []

    def record(**row: object) -> None:
        print(json.dumps(row), flush=True)
        results.append(row)

    for rows in args.rows:
        if "c" in args.only:
            record(rows=rows, db="-", what="c floor", **measure([PYTHON, str(HERE / "floor.py"), str(rows)]))
        for db in args.db:
            url = log_url(db, rows)
            if "a" in args.only:
                html = OUT / f"by-hand-{db}-{rows}.html"
                record(
                    rows=rows, db=db, what="a by hand", **measure([PYTHON, str(HERE / "by_hand.py"), url, str(html)])
                )
            if "b" in args.only:
                record(rows=rows, db=db, what="b check (cap 200k)", **check(url, 200_000, f"{db}-{rows}-cap"))
                if rows > 200_000:
                    record(rows=rows, db=db, what="b check (no cap)", **check(url, 10 * rows, f"{db}-{rows}-all"))
    if args.big:
        for db in args.db:
            for rows in (200_000, 10_000_000):
                url = log_url(db, rows)
                record(rows=rows, db=db, what="b check (cap 200k)", **check(url, 200_000, f"{db}-{rows}-cap"))
    if args.load:
        for db in args.db:
            url = log_url(db, 100_000)
            record(rows=100_000, db=db, what="50 monitors, one check", **check(url, 200_000, f"{db}-load", 50))
    meta = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
    }
    Path(args.out).write_text(json.dumps({"meta": meta, "results": results}, indent=1))


if __name__ == "__main__":
    main()
