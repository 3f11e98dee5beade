"""How `make test` hands test files to its xdist workers: longest first, at most two heavy files at once.

xdist's default (`--dist load`) sends each worker a run of consecutive tests, so the first worker got every
drill and the suite waited minutes on one worker at its end. Whole files handed out longest first (LPT) end
together, but four drills side by side starve the daemon tests next to them of the two cores (a daemon fell a
minute behind its schedule). So: whole files (their module fixtures stay on one worker), the longest expected
first, and never more than `HEAVY_AT_ONCE` drills (daemons killed, stores stopped: CPU and timing heavy)
running or queued at the same time; while that many run, a free worker takes the longest other file. (Long
e2e files are not capped: most of their time is waiting, and capping them too would serialise the suite.)

Expected times come from `tests/durations.json` (seconds per file, from a measured run; regenerate with
`python -m tests.scheduling JUNIT_XML` after `pytest --junitxml=JUNIT_XML`). A file missing from it is
guessed by its folder, so a new file is scheduled sensibly before anyone measures it.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadFileScheduling
from xdist.workermanage import WorkerController

DURATIONS_FILE = Path(__file__).with_name("durations.json")
HEAVY_AT_ONCE = 2
# Guesses for files not yet measured, by folder.
GUESS_SECONDS = {"tests/drills/": 60.0, "tests/e2e/": 20.0, "tests/integration/": 5.0}
GUESS_OTHER_SECONDS = 1.0


def expected_seconds(measured: dict[str, float], path: str) -> float:
    if path in measured:
        return measured[path]
    return next((s for folder, s in GUESS_SECONDS.items() if path.startswith(folder)), GUESS_OTHER_SECONDS)


def is_heavy(path: str) -> bool:
    return path.startswith("tests/drills/")


def next_file(waiting: list[str], heavy_running: int, measured: dict[str, float]) -> str:
    """The file a free worker takes: the longest waiting one, unless heavy files are already at their limit."""
    by_length = sorted(waiting, key=lambda p: (-expected_seconds(measured, p), p))
    if heavy_running >= HEAVY_AT_ONCE:
        light = [p for p in by_length if not is_heavy(p)]
        if light:
            return light[0]
    return by_length[0]


def load_measured() -> dict[str, float]:
    try:
        return {str(k): float(v) for k, v in json.loads(DURATIONS_FILE.read_text()).items()}
    except FileNotFoundError:
        return {}


class LongestFirstScheduling(LoadFileScheduling):
    """LoadFileScheduling whose next unit is chosen by `next_file` instead of collection order."""

    def __init__(self, config: pytest.Config, log: Producer | None = None) -> None:
        super().__init__(config, log)
        self.measured = load_measured()

    def _heavy_assigned(self) -> int:
        return sum(
            1
            for work in self.assigned_work.values()
            for scope, tests in work.items()
            if not all(tests.values()) and is_heavy(scope)
        )

    def _reschedule(self, node: WorkerController) -> None:
        """Like xdist's, but a worker takes its next file only when its last queued test is the one left, so the
        choice is made as late as possible (xdist's own waits for two: a worker queues a file too early)."""
        if node.shutting_down:
            return
        if not self.workqueue:
            node.shutdown()
            return
        if self._pending_of(self.assigned_work[node]) <= 1:
            self._assign_work_unit(node)

    def _assign_work_unit(self, node: WorkerController) -> None:
        scope = next_file(list(self.workqueue), self._heavy_assigned(), self.measured)
        self.workqueue.move_to_end(scope, last=False)
        super()._assign_work_unit(node)


def durations_from_junit(junit_xml: Path) -> dict[str, float]:
    """Seconds per test file from a pytest JUnit XML report (test times plus their fixtures' setup)."""
    totals: dict[str, float] = {}
    for case in ElementTree.parse(junit_xml).getroot().iter("testcase"):
        classname = case.get("classname", "")
        parts = classname.split(".")
        # classname is the dotted module path, plus a class name when the test is a method
        for cut in range(len(parts), 0, -1):
            candidate = "/".join(parts[:cut]) + ".py"
            if Path(candidate).exists():
                totals[candidate] = totals.get(candidate, 0.0) + float(case.get("time", 0.0))
                break
    return {path: round(seconds, 1) for path, seconds in sorted(totals.items())}


if __name__ == "__main__":
    measured = durations_from_junit(Path(sys.argv[1]))
    DURATIONS_FILE.write_text(json.dumps(measured, indent=1) + "\n")
    print(f"{len(measured)} files, {sum(measured.values()):.0f} s in all, written to {DURATIONS_FILE}")
