"""Processes a test session started and left running (Linux /proc). The suite fails on any: a leaked
evaluation worker holds hundreds of MB and maybe a claim, long after the tests ended."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Every process the session starts inherits this variable (unless a test gives it a bare environment), so an
# orphan (reparented to init, its starter dead) is still known as ours.
MARKER = "DRIFTHOUND_TEST_SESSION"

# Children of the test process that live exactly as long as it does, by design.
_COMPANIONS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


@dataclass(frozen=True)
class Leftover:
    pid: int
    parent: int
    command: str
    why: str

    def __str__(self) -> str:
        return f"pid {self.pid} (parent {self.parent}, {self.why}): {self.command[:200]}"


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:  # gone meanwhile, or not ours to read
        return b""


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state letter) of every live process."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _read(f"/proc/{entry}/stat").decode(errors="replace")
        if not stat:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        found[int(entry)] = (int(fields[1]), fields[0])
    return found


def _command(pid: int) -> str:
    return _read(f"/proc/{pid}/cmdline").replace(b"\0", b" ").decode(errors="replace").strip()


def _descendants(root: int, processes: dict[int, tuple[int, str]]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def leftovers(*, session: str, temp_dirs: Iterable[Path], before: set[int]) -> list[Leftover]:
    """Live processes this session started: descendants of this process, processes carrying this session's
    marker, or naming one of its temp dirs; minus those alive before it began and its lifelong companions."""
    me = os.getpid()
    processes = _processes()
    below = _descendants(me, processes)
    marker = f"{MARKER}={session}".encode()
    dirs = [f"{path}/" for path in temp_dirs]  # the slash: gw1 is not gw10
    found = []
    for pid, (parent, state) in processes.items():
        if pid == me or pid in before or state in ("Z", "X"):
            continue
        command = _command(pid)
        if parent == me and any(name in command for name in _COMPANIONS):
            continue
        if pid in below:
            why = "started by the tests"
        elif any(directory in command for directory in dirs):
            why = "names the tests' temp dir"
        elif marker in _read(f"/proc/{pid}/environ").split(b"\0"):
            why = "orphan of the tests"
        else:
            continue
        found.append(Leftover(pid, parent, command, why))
    return found


def wait_for_leftovers(seconds: float, **criteria) -> list[Leftover]:
    """What is still left after up to `seconds` (processes being stopped get the time to finish)."""
    deadline = time.monotonic() + seconds
    left = leftovers(**criteria)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = leftovers(**criteria)
    return left


def kill(found: Iterable[Leftover]) -> None:
    for leftover in found:
        with contextlib.suppress(ProcessLookupError):
            os.kill(leftover.pid, signal.SIGKILL)
