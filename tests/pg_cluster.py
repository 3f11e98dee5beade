"""A throwaway PostgreSQL cluster in a temporary folder (initdb, pg_ctl), for tests that stop or break a
database: the shared server on 5432 is never touched."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.e2e.daemon import free_port


def _bin(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


def available() -> bool:
    return _bin("initdb") is not None and _bin("pg_ctl") is not None


class Cluster:
    """`name` only labels the folder: it is made under /tmp, outside pytest's private (0700) folders, so that
    the postgres user can reach it when the tests run as root."""

    def __init__(self, name: str) -> None:
        directory = Path(tempfile.mkdtemp(prefix=f"drifthound-{name}-"))
        self.directory = directory
        self.data = directory / "pgdata"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        # PostgreSQL refuses to run as root: run it as the postgres user then.
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(directory, "postgres")
        self._run(_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            _bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.directory / "pg.log"), "-w", "start"
        )

    def stop(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        if self.running():
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def running(self) -> bool:
        status = subprocess.run([*self._as, _bin("pg_ctl"), "-D", str(self.data), "status"], capture_output=True)
        return status.returncode == 0

    def _run(self, *command: str | None) -> None:
        subprocess.run([*self._as, *command], check=True, capture_output=True, timeout=120)
