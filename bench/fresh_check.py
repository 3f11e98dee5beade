"""A fresh `drifthound check` of one window, two checkouts taking turns: what a run costs from a cold process
(imports included), as every `check`, `backfill` and CLI test subprocess pays it.

    git archive <commit> monitor | tar -x -C /tmp/before
    .venv/bin/python bench/fresh_check.py --code /tmp/before --repeats 3 --rows 100000 1000000

Cases: the demo (`drifthound demo`, its last complete hour: 12 features, estimation, multivariate, segments,
fairness, the report) and bench/million.py's logs with everything on (written by it when missing). Each run is
`python -c "monitor.cli.main(...)" check --at T --force` in a new process, timed by /usr/bin/time (wall and
CPU seconds, peak RSS); `--code` puts the other checkout's `monitor` first on the path. Medians per side.
Writes bench/out/fresh_check.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
PYTHON = sys.executable
DRIFTHOUND = str(Path(PYTHON).parent / "drifthound")
CHECK = "import sys\nfrom monitor.cli import main\nsys.exit(main(sys.argv[1:]))"
PROBE = "import monitor, sys\nprint(monitor.__file__)"

sys.path.insert(0, str(HERE))
import million  # noqa: E402
from run import measure  # noqa: E402


def demo() -> tuple[Path, str]:
    """The demo's config and the end of its last complete hour."""
    folder = OUT / "fresh-demo"
    subprocess.run([DRIFTHOUND, "demo", "--dir", str(folder), "--force"], check=True, capture_output=True)
    at = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    return folder / "config.toml", at.strftime("%Y-%m-%dT%H:%M:%SZ")


def logged(rows: int) -> tuple[Path, str]:
    log = million.log_path(rows)
    return million.config(OUT / "fresh-runs" / str(rows), log, million.max_rows_for(rows)), million.AT


def side_env(code: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code.resolve())
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, required=True, help="the other checkout (say, the commit before)")
    parser.add_argument("--rows", type=int, nargs="*", default=[100_000], help="bench/million.py's logs")
    parser.add_argument("--no-demo", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sides = {"before": side_env(args.code), "after": side_env(None)}
    for name, env in sides.items():  # each side runs the `monitor` it should
        where = subprocess.run([PYTHON, "-c", PROBE], env=env, capture_output=True, text=True, cwd="/", check=True)
        print(name, where.stdout.strip(), flush=True)
    cases = ([("demo", *demo())] if not args.no_demo else []) + [(f"{r:,} rows", *logged(r)) for r in args.rows]
    results = []
    for case, config, at in cases:
        runs: dict[str, list[dict]] = {name: [] for name in sides}
        for _ in range(args.repeats):
            for name, env in sides.items():
                command = [PYTHON, "-c", CHECK, "check", "-c", str(config), "--at", at, "--force"]
                measured = measure(command, env=env, cwd="/")
                runs[name].append(measured)
                print(json.dumps({"case": case, "side": name, **measured}), flush=True)
        row = {"case": case}
        for name, measured in runs.items():
            for key in ("seconds", "cpu_seconds", "peak_rss_mb"):
                row[f"{name}_{key}"] = round(statistics.median(m[key] for m in measured), 2)
        results.append(row)
        print(json.dumps(row), flush=True)
    load = os.getloadavg()
    (OUT / "fresh_check.json").write_text(json.dumps({"load": load, "results": results}, indent=1))


if __name__ == "__main__":
    main()
