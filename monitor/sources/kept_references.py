"""References kept on disk across processes: a reference as read, with what runs derived from it (prepared
frame, drift profile, calibrations, estimator, PCA, baselines), pickled under a hash of everything it depends
on, so a new process (`check`, a restarted daemon, a worker after a config reload) loads it instead of reading
and fitting it again.

The key holds the monitor's configuration (less its rules and schedule), the resolved roles, the reference's
spans, columns and row cap, the source (URL without its password, table or query), this code (version and
a hash of the package's source files) and the versions of the libraries that fitted it; and a cheap
fingerprint of the data: the reference's row count and, where labels matter, its labelled-row count. Rows
changed in place that keep both counts are not noticed: delete the folder to refit (README.md).

A file is written to a temporary name and renamed (readers never see half of one), readable by this user
only; one that cannot be read is logged once, removed and replaced by the next save, never an error for a run.
The folder is pruned to a size budget, oldest use first, and of monitors no longer configured.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import structlog

import monitor
from monitor.config.schema import ServiceConfig

log = structlog.get_logger("drifthound.reference_cache")

# Bumped when what a file holds changes shape in a way the code hash would not catch (it catches any edit).
FORMAT = 1
SUFFIX = ".pickle"
# What the kept references may take on disk, in all.
DEFAULT_BUDGET_MB = 2048
_LIBRARIES = ("numpy", "pandas", "scikit-learn", "scipy", "evidently", "sqlalchemy")
# Monitor settings no kept artefact depends on: changing them does not refit. (Rules are not here: the
# reference ranges they want are kept under their own keys inside a reference.)
_NOT_DEPENDED_ON = {"rules", "schedule", "every", "min_rows"}


def cache_folder(service: ServiceConfig) -> Path | None:
    """Where references are kept: `reference_cache_dir` if set; beside a SQLite store's file
    (`drifthound.db` -> `drifthound.db-references/`); else beside the reports folder (not inside it: the
    reports folder is served over HTTP). None when `reference_cache_mb` is 0."""
    if service.reference_cache_mb == 0:
        return None
    if service.reference_cache_dir is not None:
        return service.reference_cache_dir
    url = sa.make_url(service.store_url)
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not database.startswith("file:"):
        path = Path(database)
        return path.with_name(path.name + "-references")
    reports = service.reports_dir
    return reports.with_name(reports.name + "-references")


@cache
def code_fingerprint() -> str:
    """This code and its libraries: the package version, a hash of every source file of the package (a fitted
    reference pickles its classes, and a changed fit must not be reused), Python's and the libraries' versions.
    Computed once per process."""
    digest = hashlib.sha256(f"{FORMAT}|{monitor.__version__}|{sys.version}".encode())
    root = Path(monitor.__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    for name in _LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"|{name}={version}".encode())
    return digest.hexdigest()


def monitor_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """A monitor's configuration (as `model_dump(mode="json")`) less what no kept artefact depends on."""
    return {name: value for name, value in settings.items() if name not in _NOT_DEPENDED_ON}


def reference_key(*parts: object) -> str:
    """The hash naming a kept reference: of `parts` (their reprs: plain data, dataclasses) and this code."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for part in parts:
        digest.update(b"\x00")
        digest.update(repr(part).encode())
    return digest.hexdigest()[:40]


def _monitor_prefix(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:16]


class ReferenceCache:
    """One folder of kept references. Safe to share between processes: writes are atomic renames."""

    def __init__(self, folder: Path, budget_bytes: int = DEFAULT_BUDGET_MB * 1024 * 1024) -> None:
        self.folder = folder
        self.budget_bytes = budget_bytes
        self._reported: set[str] = set()
        self._lock = threading.Lock()

    def _path(self, monitor_name: str, key: str) -> Path:
        return self.folder / f"{_monitor_prefix(monitor_name)}.{key}{SUFFIX}"

    def load(self, monitor_name: str, key: str) -> Any | None:
        """What was saved under `key`, or None (absent, unreadable, or written by other code)."""
        path = self._path(monitor_name, key)
        try:
            status = path.stat()
        except OSError:
            return None
        if status.st_uid != os.getuid() or status.st_mode & 0o022:
            self._unusable(path, "owned by another user or writable by others")
            return None
        try:
            with path.open("rb") as file:
                saved_format, saved_key, value = pickle.load(file)  # our own files (owner and mode checked above)
        except FileNotFoundError:  # pruned by another process meanwhile
            return None
        except Exception as error:  # truncated, corrupt, or classes that moved: fit again
            self._unusable(path, f"{error.__class__.__name__}: {str(error)[:200]}", remove=True)
            return None
        if saved_format != FORMAT or saved_key != key:
            self._unusable(path, "written by another version", remove=True)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # pruning removes the longest unused first
        return value

    def save(self, monitor_name: str, key: str, value: object) -> None:
        """Keeps `value` under `key`, replacing the monitor's other kept references (superseded: its reference
        moved on, or its configuration changed). Never raises: a reference not kept is only fitted again."""
        path = self._path(monitor_name, key)
        started = time.perf_counter()
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".writing-")  # mode 0600
            try:
                with os.fdopen(handle, "wb") as file:
                    pickle.dump((FORMAT, key, value), file, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(temporary, path)
                size = path.stat().st_size
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except Exception as error:  # a full disk, a read-only folder, something that does not pickle
            self._unusable(path, f"not kept: {error.__class__.__name__}: {str(error)[:200]}")
            return
        seconds = round(time.perf_counter() - started, 3)
        log.info("reference_cache.kept", monitor=monitor_name, file=path.name, mb=round(size / 1e6, 1), seconds=seconds)
        prefix = _monitor_prefix(monitor_name) + "."
        for other in self._files():
            if other.name.startswith(prefix) and other != path:
                other.unlink(missing_ok=True)
        self.prune_to_budget(keep=path)

    def prune_to_budget(self, keep: Path | None = None) -> None:
        """Removes the longest unused files until the folder fits its budget (never `keep`, just written)."""
        with self._lock:
            files = []
            for path in self._files():
                try:
                    status = path.stat()
                except OSError:
                    continue
                files.append((status.st_mtime, status.st_size, path))
            total = sum(size for _, size, _ in files)
            for _, size, path in sorted(files, key=lambda item: item[0]):
                if total <= self.budget_bytes:
                    break
                if path == keep:
                    continue
                path.unlink(missing_ok=True)
                total -= size

    def prune_unused(self, monitor_names: Iterable[str]) -> None:
        """Removes the kept references of monitors no longer configured."""
        used = {_monitor_prefix(name) for name in monitor_names}
        for path in self._files():
            if path.name.split(".", 1)[0] not in used:
                path.unlink(missing_ok=True)

    def _files(self) -> list[Path]:
        """The kept references (not the files being written, whose names begin with a dot)."""
        try:
            return [p for p in self.folder.iterdir() if p.name.endswith(SUFFIX) and not p.name.startswith(".")]
        except OSError:
            return []

    def _unusable(self, path: Path, why: str, *, remove: bool = False) -> None:
        if remove:
            path.unlink(missing_ok=True)
        if path.name not in self._reported:  # once per file and process
            self._reported.add(path.name)
            log.warning("reference_cache.unusable", file=str(path), reason=why)
