"""The replica drill: two daemons on one PostgreSQL store, 15 monitors whose `rows` rule fires (and resolves) at
the same moments, so 15 notifications are queued at once, and a webhook receiver that takes 10 s to answer. At
random moments one daemon is SIGKILLed or SIGTERMed (and started again), or one of a daemon's evaluation workers
is SIGKILLed. Then everything is accounted for: every window of the drill has exactly one `ok` run, every alert
transition reached the receiver, and no delivery id arrived twice unless a daemon was killed mid-send (its lease
then lapses and the other daemon sends the row again: at least once, under the same id).

Each daemon sends to its own path of the one receiver, so the receiver knows which daemon sent each request
and a duplicate can be laid at the door of the kill that caused it, or of none.

Shared by the short version in the tests and the long one in bench/drills.py.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pytest_httpserver import HTTPServer

from monitor.store import Store
from monitor.store.models import Run
from tests.drills import ledger
from tests.drills.flipping import PERIOD, drill_config, end_log, monitor_names, write_flipping_log
from tests.e2e.daemon import Daemon, free_port
from tests.receivers import Receiver

MONITORS = monitor_names("replica", 15)
ANSWER_SECONDS = 10.0  # how long the receiver takes to answer each request
HOOK_TIMEOUT = timedelta(seconds=20)  # longer than that: a send is answered, never timed out
# The alerts all fire in one minute and resolve in the next: 15 notifications every minute, which one daemon
# alone (4 senders, 10 s each) sends in 40 s, so messages fold only behind a kill's lapsed lease.
BLOCK_SECONDS = 60
# A killed daemon may have had its answer and not yet written it down: a kill this long after the request
# arrived can still cut the send short.
RECORD_SLACK = 5.0
KINDS = ("SIGKILL daemon", "SIGTERM daemon", "SIGKILL worker")
# Bounds on the drill's phases: a daemon stops within this of SIGTERM (shutdown_grace, 20 s, for its runs, then
# up to 30 s for its sends). Once the kills are over, the daemons must finish a window at least this often until
# every window is done, which may take a while (on 2 cores every restart costs seconds of imports, and under 10
# minutes of kills they fell 14 minutes behind), but within this plus as long again as the kills lasted. Then
# the outbox is drained within this.
SIGTERM_SECONDS = 60
STALL_SECONDS = 180
CATCH_UP_SECONDS = 1200
DRAIN_SECONDS = 120


@dataclass(frozen=True)
class Kill:
    """A daemon gone without its shutdown: SIGKILLed, or SIGTERMed before it had its handlers."""

    daemon: str  # "a" or "b"
    at: float  # wall clock, as the receiver records arrivals


@dataclass
class ReplicaFigures:
    chaos_seconds: float = 0.0
    events: Counter = field(default_factory=Counter)
    windows: int = 0
    windows_evaluated_again: int = 0  # a kill or a worker's death cut a run short; a later one finished it
    flips_in_log: int = 0  # windows whose rule breach differs from the window before's, over every monitor
    transitions: int = 0  # fewer than the flips when a backlog is caught up: a state follows the newest window
    delivered: int = 0  # transitions whose own notice reached the receiver
    carried: int = 0  # transitions told by a later notice of the same state (a catch-up's, or a folded message)
    superseded: int = 0  # transitions whose alert changed again before anything about it was sent
    notifications: int = 0
    requests: int = 0
    peak_requests_in_flight: int = 0
    sends_cut_by_kills: int = 0  # requests the receiver still held when the daemon that sent them was SIGKILLed
    duplicates_after_kill: int = 0  # a delivery id again, after the daemon that sent it was killed mid-send
    duplicates_otherwise: int = 0  # a delivery id again with no kill to explain it: must stay 0
    slowest_sigterm_s: float = 0.0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "events": dict(self.events)}


class Replica:
    """One of the two daemons: its own config, port and receiver path; started again after every stop."""

    def __init__(self, name: str, directory: Path, *, store_url: str, source_url: str, hook_url: str) -> None:
        self.name = name
        self.folder = directory / name
        self.folder.mkdir()
        self.store_url, self.source_url, self.hook_url = store_url, source_url, hook_url
        self.port = free_port()
        self.starts = 0
        self.catch_up = timedelta(0)
        self.daemon: Daemon | None = None

    def start(self, catch_up: timedelta) -> None:
        self.catch_up = catch_up
        self.daemon = Daemon(self._config(catch_up), self.port, f"{self.name}-{self.starts:02d}")
        self.starts += 1

    @property
    def process(self) -> subprocess.Popen:
        assert self.daemon is not None
        return self.daemon.process

    def kill(self) -> None:
        assert self.daemon is not None
        self.daemon.kill()

    def terminate(self, timeout: float = SIGTERM_SECONDS) -> int:
        assert self.daemon is not None
        try:
            return self.daemon.stop(timeout)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            raise AssertionError(
                f"daemon {self.name} did not stop within {timeout:.0f} s of SIGTERM:\n{self.daemon.log_text()[-3000:]}"
            ) from None

    def workers(self) -> list[int]:
        """Its evaluation workers: the live children started through multiprocessing's spawn."""
        return [pid for pid in _children(self.process.pid) if b"spawn_main" in _cmdline(pid)]

    def log_tail(self) -> str:
        return self.daemon.log_text()[-3000:] if self.daemon is not None else ""

    def _config(self, catch_up: timedelta) -> Path:
        return drill_config(
            self.folder,
            store_url=self.store_url,
            source_url=self.source_url,
            hook_url=self.hook_url,
            port=self.port,
            catch_up=catch_up,
            monitors=MONITORS,
            hook_timeout=HOOK_TIMEOUT,
        )


def _children(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(stat[1]) == parent and stat[0] != "Z":
            found.append(int(entry))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def run_replica_drill(
    directory: Path,
    *,
    store_url: str,
    chaos_seconds: float,
    seed: int = 1,
    pauses: tuple[float, float] = (6.0, 20.0),
) -> ReplicaFigures:
    """Runs the two daemons through `chaos_seconds` of random kills, lets them finish, checks everything."""
    began = time.monotonic()
    rng = random.Random(seed)
    # The drill's windows: from the one that holds this moment up to the log's end.
    first = datetime.fromtimestamp(time.time() // PERIOD.total_seconds() * PERIOD.total_seconds(), UTC) + PERIOD
    source_url = f"sqlite:///{directory / 'source.db'}"
    write_flipping_log(
        source_url,
        back=timedelta(minutes=2, seconds=10),  # the first windows' reference
        ahead=timedelta(seconds=chaos_seconds) + timedelta(minutes=15),
        block_seconds=BLOCK_SECONDS,
    )
    # Every daemon reaches back past the drill's first window until the drill ends, however far behind kills
    # leave it: a window beyond catch_up is, by design, never evaluated.
    settle = CATCH_UP_SECONDS + chaos_seconds
    catch_up = timedelta(seconds=int(chaos_seconds + pauses[1] + SIGTERM_SECONDS + settle + 30))
    _settle_before(store_url, first, catch_up)
    figures = ReplicaFigures()
    kills: list[Kill] = []
    server = HTTPServer(host="127.0.0.1", threaded=True)  # one thread per request: sends wait on nobody
    server.start()
    requests: list[dict] = []
    replicas: list[Replica] = []
    try:
        for name in ("a", "b"):
            hook = Receiver(server, f"/hook/{name}", delay=ANSWER_SECONDS, requests=requests)
            replica = Replica(name, directory, store_url=store_url, source_url=source_url, hook_url=hook.url)
            replica.start(catch_up)
            replicas.append(replica)
        chaos_began = time.monotonic()
        while time.monotonic() - chaos_began < chaos_seconds:
            time.sleep(rng.uniform(*pauses))
            _alive(replicas)
            kind = _strike(rng.choice(replicas), rng.choice(KINDS), rng, kills, figures)
            figures.events[kind] += 1
        figures.chaos_seconds = round(time.monotonic() - chaos_began, 1)
        cutoff = end_log(source_url, datetime.now(UTC) + timedelta(seconds=10))
        _wait(
            replicas,
            lambda: ledger.caught_up(store_url, cutoff, MONITORS, since=first),
            settle,
            "every window",
            progress=lambda: len(ledger.rows(store_url, "SELECT id FROM runs WHERE status = 'ok'")),
        )
        _wait(replicas, lambda: ledger.drained(store_url), DRAIN_SECONDS, "the outbox drained")
        for replica in replicas:  # both at once: each waits for its runs in progress
            replica.process.send_signal(signal.SIGTERM)
        for replica in replicas:
            code = replica.terminate()
            assert code == 0, f"daemon {replica.name} exited {code} on SIGTERM:\n{replica.log_tail()}"
    finally:
        for replica in replicas:
            if replica.daemon is not None and replica.process.poll() is None:
                replica.kill()
        ledger.keep_evidence(
            store_url, directory / "evidence.json", requests=requests, kills=[asdict(k) for k in kills]
        )
        server.clear()
        server.stop()
    _account(store_url, cutoff, first, requests, kills, figures)
    figures.seconds = round(time.monotonic() - began, 1)
    return figures


def _settle_before(store_url: str, first: datetime, catch_up: timedelta) -> None:
    """The store as an earlier deployment leaves it: every window before the drill done (skipped, for the log
    was quiet), so that the daemons, which reach back that far, owe only the drill's windows."""
    store = Store(store_url)
    store.ensure_schema()
    now = datetime.now(UTC)
    with store.transaction() as session:
        for monitor in MONITORS:
            for k in range(1, int(catch_up / PERIOD) + 2):
                end = first - k * PERIOD
                session.add(
                    Run(
                        monitor=monitor,
                        window_start=end - PERIOD,
                        window_end=end,
                        status="skipped",
                        reason="before the drill",
                        owner="drill",
                        started_at=now,
                        finished_at=now,
                    )
                )
    store.dispose()


def _strike(replica: Replica, kind: str, rng: random.Random, kills: list[Kill], figures: ReplicaFigures) -> str:
    """Does `kind` to one daemon (a stopped daemon is started again at once); returns what was done."""
    if kind == "SIGKILL worker":
        workers = replica.workers()
        if not workers:
            return "no worker to kill"
        try:
            os.kill(rng.choice(workers), signal.SIGKILL)
        except ProcessLookupError:  # it had just been recycled
            return "no worker to kill"
        return kind
    if kind == "SIGKILL daemon":
        kills.append(Kill(replica.name, time.time()))
        replica.kill()
    else:
        stopping = time.monotonic()
        code = replica.terminate()
        figures.slowest_sigterm_s = max(figures.slowest_sigterm_s, round(time.monotonic() - stopping, 1))
        if code == -signal.SIGTERM:
            # It had not set its handlers yet, so the signal ended it at once: a kill, in effect.
            kills.append(Kill(replica.name, time.time()))
            kind = "SIGTERM daemon, before its handlers"
        else:
            assert code == 0, f"daemon {replica.name} exited {code} on SIGTERM:\n{replica.log_tail()}"
    replica.start(replica.catch_up)
    return kind


def _account(
    store_url: str, cutoff: datetime, first: datetime, requests: list[dict], kills: list[Kill], figures: ReplicaFigures
) -> None:
    windows = ledger.account_windows(store_url, cutoff, since=first)
    figures.flips_in_log = len(MONITORS) * sum(
        _busy(first + k * PERIOD) != _busy(first + (k - 1) * PERIOD)
        for k in range(1, int((cutoff - first) / PERIOD) + 1)
    )
    alerts = ledger.account_alerts(store_url, requests, allow_late=True)
    figures.windows, figures.windows_evaluated_again = windows.windows, windows.evaluated_again
    figures.transitions, figures.delivered = alerts.transitions, alerts.delivered
    figures.carried, figures.superseded = alerts.carried, alerts.superseded
    figures.notifications, figures.requests = alerts.notifications, alerts.requests
    for request in requests:
        header = {k.lower(): v for k, v in request["headers"].items()}.get("x-drifthound-delivery")
        assert header == request["body"]["delivery_id"], f"the delivery id header says {header!r}"
    figures.peak_requests_in_flight = _peak_in_flight([r["at"] for r in requests])
    cut = [r for r in requests for k in kills if _sender(r) == k.daemon and r["at"] <= k.at < r["at"] + ANSWER_SECONDS]
    figures.sends_cut_by_kills = len(cut)
    for request in cut:  # its answer never reached the daemon, so the row is sent again: at least once
        delivery_id = request["body"]["delivery_id"]
        again = [r for r in requests if r["body"]["delivery_id"] == delivery_id and r["at"] > request["at"]]
        assert again, f"a send cut short by a kill was never sent again: {delivery_id}"
    after_kill, otherwise = _duplicates(requests, kills)
    figures.duplicates_after_kill, figures.duplicates_otherwise = len(after_kill), len(otherwise)
    assert not otherwise, f"delivery ids sent twice with no kill to explain it: {otherwise[:5]} (kills: {kills})"


def _busy(window_end: datetime) -> bool:
    """Whether the window lies in a block of the log at the doubled rate (the `rows` rule breaches)."""
    return (window_end - PERIOD).timestamp() // BLOCK_SECONDS % 2 == 1


def _alive(replicas: list[Replica]) -> None:
    for replica in replicas:
        code = replica.process.poll()
        assert code is None, f"daemon {replica.name} exited ({code}) by itself:\n{replica.log_tail()}"


def _wait(replicas: list[Replica], check, timeout: float, what: str, progress=None) -> None:
    """Until `check()`; fails after `timeout` seconds, or after STALL_SECONDS without `progress()` growing."""
    deadline = time.monotonic() + timeout
    last, moved = None, time.monotonic()
    while time.monotonic() < deadline:
        _alive(replicas)
        if check():
            return
        if progress is not None:
            now, current = time.monotonic(), progress()
            if current != last:
                last, moved = current, now
            elif now - moved > STALL_SECONDS:
                what += f" (nothing done for {STALL_SECONDS} s)"
                break
        time.sleep(1.0)
    raise AssertionError(f"timed out waiting for {what}:\n" + "\n".join(r.log_tail() for r in replicas))


def _sender(request: dict) -> str:
    return request["path"].rsplit("/", 1)[1]


def _duplicates(requests: list[dict], kills: list[Kill]) -> tuple[list[dict], list[dict]]:
    """Each arrival of a delivery id after its first, laid at the door of a kill of the daemon that sent the
    previous one while that send was still unanswered or unrecorded, or of none."""
    arrivals: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for request in requests:
        arrivals[request["body"]["delivery_id"]].append((request["at"], _sender(request)))
    after_kill, otherwise = [], []
    for delivery_id, seen in arrivals.items():
        for (at, sender), (again, resender) in itertools.pairwise(sorted(seen)):
            explained = any(
                kill.daemon == sender and at - 1.0 <= kill.at <= min(again, at + ANSWER_SECONDS + RECORD_SLACK)
                for kill in kills
            )
            entry = {"delivery_id": delivery_id, "first": (round(at, 1), sender), "again": (round(again, 1), resender)}
            (after_kill if explained else otherwise).append(entry)
    return after_kill, otherwise


def _peak_in_flight(arrivals: list[float]) -> int:
    """The most requests the receiver held at once (each for ANSWER_SECONDS)."""
    edges = sorted([(at, 1) for at in arrivals] + [(at + ANSWER_SECONDS, -1) for at in arrivals])
    return max(itertools.accumulate(step for _, step in edges), default=0)
