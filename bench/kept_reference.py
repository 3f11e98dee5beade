"""What a kept reference saves (issue 23): loading the pickled reference beside reading and fitting it, for
bench/million.py's log, each in a fresh process (CPU and wall seconds), after one `check` kept it on disk.

    .venv/bin/python bench/kept_reference.py [--rows 100000 1000000]

"read + fit" is the reference read and its artefacts made (prepared frame, drift profile, quality baseline,
estimator, PCA, segment groups, model surrogate); the pickle holds those and what the run derived besides
(baselines, segment profiles, the reference's quality side), so the saving is if anything larger than shown.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import million  # noqa: E402

SCRIPT = """
import json, time, sys
from datetime import datetime
from monitor.config import load_config
from monitor.evaluation.artefacts import reference_artefacts
from monitor.evaluation.prepare import prepare
from monitor.sources.inputs import MonitorInputs
from monitor.sources.kept_references import ReferenceCache, cache_folder
from monitor.windows import Window
config = load_config({config!r})
monitor = config.monitor("million")
window = Window(datetime.fromisoformat("2026-11-02T00:00:00+00:00"), datetime.fromisoformat({at!r}))
cache = ReferenceCache(cache_folder(config.service)) if {load!r} else None
inputs = MonitorInputs(monitor, config.sources["log"].url, cache=cache)
roles = inputs.roles()
wall, cpu = time.perf_counter(), time.process_time()
reference = inputs.read_reference(window, with_timestamps=True)
loaded = bool(reference.derived)
if not loaded:
    kind = prepare(reference.result.frame.head(1000), roles).prediction_kind
    reference_artefacts(monitor, reference, roles, kind)
print(json.dumps({{"seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu, "loaded": loaded,
                  "rows": len(reference.result.frame)}}))
"""


def measure(path: Path, *, load: bool) -> dict[str, float]:
    script = SCRIPT.format(config=str(path), at=million.AT, load=load)
    done = subprocess.run([million.PYTHON, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    for rows in args.rows:
        folder = million.OUT / "million-runs" / str(rows)
        path = million.config(folder, million.log_path(rows), million.max_rows_for(rows))
        check = [million.DRIFTHOUND, "check", "-v", "-c", str(path), "--at", million.AT]
        done = subprocess.run(check, capture_output=True, text=True, check=False)  # a check that keeps its reference
        kept = [line for line in done.stderr.splitlines() if "reference_cache.kept" in line]
        print(json.dumps({"rows": rows, "saving": kept[-1] if kept else done.stderr[-500:]}), flush=True)
        files = list((path.parent / "store.db-references").glob("*.pickle"))
        size = round(sum(f.stat().st_size for f in files) / 1e6, 1)
        for _ in range(args.repeats):  # taking turns
            fitted, loaded = measure(path, load=False), measure(path, load=True)
            assert loaded["loaded"] and not fitted["loaded"]
            print(json.dumps({"rows": rows, "pickle_mb": size, "read_and_fit": fitted, "load": loaded}), flush=True)


if __name__ == "__main__":
    main()
