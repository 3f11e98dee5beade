"""Who holds a claim, and whether that process is known to be gone.

An owner id names a process: `host:pid:nonce:space`, and for a run evaluated in one
of the daemon's worker processes `host:pid:nonce:space/worker_pid`. `space` stands for
the machine's boot and PID namespace: a PID says something only to a process that
shares both (two containers with one hostname each have a PID 1). Anything else
(another host, another namespace, an id written by an older version) is left to the
heartbeat timeout.
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@cache
def pid_space() -> str:
    """A short token for this boot and PID namespace."""
    parts = []
    try:
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip())
    except OSError:
        parts.append("-")
    try:
        parts.append(os.readlink("/proc/self/ns/pid"))
    except OSError:
        parts.append("-")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:8]


def new_owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}:{pid_space()}"


def worker_owner_id(daemon_owner: str, pid: int | None = None) -> str:
    """The owner id runs get in one of the daemon's worker processes."""
    return f"{daemon_owner}/{pid if pid is not None else os.getpid()}"


@dataclass(frozen=True)
class OwnerId:
    host: str
    pid: int | None
    space: str | None
    worker_pid: int | None = None
    daemon: str = ""  # the id without its worker part

    @staticmethod
    def parse(text: str) -> OwnerId:
        daemon, _, worker = text.partition("/")
        fields = daemon.split(":")
        pid = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None
        space = fields[3] if len(fields) > 3 else None
        worker_pid = int(worker) if worker.isdigit() else None
        return OwnerId(fields[0], pid, space, worker_pid, daemon)

    @property
    def process(self) -> int | None:
        """The PID doing the work: the worker's, else the daemon's."""
        return self.worker_pid if self.worker_pid is not None else self.pid


def owner_is_gone(owner: str | None) -> bool:
    """True when the owner ran in this machine's boot and PID namespace and its process no longer exists.

    Owners elsewhere, or a PID now used by another process, are left to the heartbeat timeout.
    """
    if not owner:
        return True
    parsed = OwnerId.parse(owner)
    if parsed.host != socket.gethostname() or parsed.space != pid_space() or parsed.process is None:
        return False
    return not pid_alive(parsed.process)


def pid_alive(pid: int) -> bool:
    """Whether the process runs; a zombie (a dead worker its parent has not reaped yet) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def is_ours(owner: str | None, daemon_owner: str) -> bool:
    """Whether a claim is held by this daemon or one of its workers."""
    return bool(owner) and (owner == daemon_owner or owner.startswith(daemon_owner + "/"))  # type: ignore[union-attr]
