"""When each monitor's job fires: one engine, the schedule's own `next_tick`, for "when" and "which window" alike.

A job fires at the ticks of its schedule (cron ticks with cron's own day-of-week
numbers, or epoch-aligned multiples of `every`), and once at once when it is
installed. Nothing is ever skipped for being late: a late run still evaluates the
right windows. A job runs one at a time; ticks that pass while it runs fold into a
single run straight after it (the run catches up every owed window itself).

The decisions are pure functions of the jobs' states and `now` (see `fire_due`);
the thread around them only waits and hands due jobs to a thread pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from monitor.times import iso, utc_now

log = structlog.get_logger("drifthound.scheduler")

# The longest the loop sleeps between looks at the clock: a clock stepped by NTP, or a VM resumed after a
# suspension, is noticed within this.
MAX_SLEEP = timedelta(seconds=1)


@dataclass(frozen=True)
class Job:
    """What to run (`action`) and when: `next_fire(t)` is the first fire time strictly after `t`."""

    name: str
    next_fire: Callable[[datetime], datetime]
    action: Callable[[], None]


@dataclass
class JobState:
    job: Job
    next_at: datetime
    running: bool = False
    again: bool = False  # a tick passed while it ran: run once more as soon as it ends


def fire_due(states: Iterable[JobState], now: datetime) -> list[JobState]:
    """The jobs to start now; moves every due job's next fire time past `now` (missed ticks fold into one)."""
    started = []
    for state in states:
        if state.next_at > now:
            continue
        state.next_at = state.job.next_fire(now)
        if state.running:
            state.again = True
        else:
            state.running = True
            started.append(state)
    return started


def finish(state: JobState) -> bool:
    """Marks a job's run ended; True when it must run again at once (ticks passed while it ran)."""
    if state.again:
        state.again = False
        return True
    state.running = False
    return False


class Scheduler:
    def __init__(self, *, threads: int, clock: Callable[[], datetime] = utc_now) -> None:
        self.clock = clock
        self._states: dict[str, JobState] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="job")
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stopping.is_set()

    def set_jobs(self, jobs: Iterable[Job]) -> None:
        """Replaces the jobs; each fires at once, then at its ticks. A run in progress finishes undisturbed."""
        now = self.clock()
        with self._lock:
            old = self._states
            self._states = {}
            for job in jobs:
                state = JobState(job, now)
                previous = old.get(job.name)
                if previous is not None and previous.running:
                    state.running, state.again = True, True  # it runs again, with the new job, once it ends
                self._states[job.name] = state
        self._wake.set()

    def next_fire_times(self) -> dict[str, datetime]:
        with self._lock:
            return {name: state.next_at for name, state in self._states.items()}

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stops firing; runs in progress are left to end (the daemon decides how long to wait for them)."""
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            now = self.clock()
            with self._lock:
                due = fire_due(self._states.values(), now)
                soonest = min((s.next_at for s in self._states.values()), default=now + MAX_SLEEP)
            for state in due:
                self._submit(state)
            pause = min(max(soonest - self.clock(), timedelta(0)), MAX_SLEEP)
            self._wake.wait(pause.total_seconds())
            self._wake.clear()

    def _submit(self, state: JobState) -> None:
        try:
            self._pool.submit(self._run, state)
        except RuntimeError:  # shutting down
            with self._lock:
                state.running = False

    def _run(self, state: JobState) -> None:
        while True:
            try:
                state.job.action()
            except Exception as error:  # a job's own errors are its to log; this keeps the schedule alive
                log.error("job.error", job=state.job.name, error=repr(error), next_at=iso(state.next_at))
            with self._lock:
                current = self._states.get(state.job.name)
                again = finish(state)
                if current is not state:
                    # Replaced by a reload while it ran: the new job runs now (set_jobs marked it to).
                    again = False
                    if current is not None and finish(current) and not self._stopping.is_set():
                        state, again = current, True
            if not again or self._stopping.is_set():
                return
