"""Report files: reports_dir/<monitor>/<window_end>.{html,json}, written atomically, each linked to its neighbours."""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor import report_nav
from monitor.times import file_stamp, parse_file_stamp


def report_name(monitor: str, window_end: datetime) -> str:
    """The report's path relative to reports_dir (also its URL path under /reports/)."""
    return f"{monitor}/{file_stamp(window_end)}.html"


def write_report(reports_dir: Path, monitor: str, window_end: datetime, html: str, snapshot: dict[str, Any]) -> str:
    """Writes the HTML and the snapshot JSON, and links the report with its neighbours; returns the HTML's
    relative path. Raises OSError."""
    relative = report_name(monitor, window_end)
    target = reports_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(target.with_suffix(".json"), json.dumps(_plain(snapshot), allow_nan=False))
    # Locked: two windows written at once (workers, replicas) must not each link a neighbour to itself.
    with _locked(target.parent / ".lock"):
        stamps = {*_stamps(target.parent), target.stem}
        around = report_nav.neighbours(stamps, target.stem)
        _atomic_write(target, report_nav.with_links(html, around))
        for stamp in (around.previous, around.next):
            if stamp is not None:
                _relink(target.parent / f"{stamp}.html", report_nav.neighbours(stamps, stamp))
    return relative


def _stamps(folder: Path) -> set[str]:
    """The window_end stamps of the reports in a monitor's folder."""
    stamps = set()
    for file in folder.glob("*.html"):
        try:
            parse_file_stamp(file.stem)
        except ValueError:
            continue
        stamps.add(file.stem)
    return stamps


def _relink(path: Path, around: report_nav.Neighbours) -> None:
    """Rewrites a neighbour's links; a report that went meanwhile (housekeeping) is left gone."""
    try:
        page = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    linked = report_nav.with_links(page, around)
    if linked != page:
        _atomic_write(path, linked)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _plain(value: Any) -> Any:
    """JSON-safe: numpy scalars as Python numbers, NaN and infinities as null."""
    import math

    import numpy as np

    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _atomic_write(path: Path, text: str) -> None:
    """Readers (the HTTP server, a browser) never see half a file."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
