"""Report files: reports_dir/<monitor>/<window_end>.{html,json}, written atomically; a report's links to its
neighbours are filled in when it is served (`served_report`), from the files that exist then."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor import report_nav
from monitor.times import file_stamp, parse_file_stamp

# The figures JSON's entry holding a run's cycle warning (evaluation/cycle_step.py), which the monitor page shows.
CYCLE_WARNING_KEY = "cycle_warning"


def report_name(monitor: str, window_end: datetime) -> str:
    """The report's path relative to reports_dir (also its URL path under /reports/)."""
    return f"{monitor}/{file_stamp(window_end)}.html"


def write_report(reports_dir: Path, monitor: str, window_end: datetime, html: str, snapshot: dict[str, Any]) -> str:
    """Writes the HTML and the snapshot JSON; returns the HTML's relative path. Raises OSError."""
    relative = report_name(monitor, window_end)
    target = reports_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(target.with_suffix(".json"), json.dumps(_plain(snapshot), allow_nan=False))
    _atomic_write(target, html)
    return relative


def report_stamps(folder: Path) -> set[str]:
    """The window_end stamps of the HTML reports in a monitor's folder."""
    stamps = set()
    try:
        files = list(folder.glob("*.html"))
    except OSError:
        return stamps
    for file in files:
        if file.is_symlink():  # DriftHound writes none, and the daemon serves none that leads out
            continue
        try:
            parse_file_stamp(file.stem)
        except ValueError:
            continue
        stamps.add(file.stem)
    return stamps


def served_report(path: Path) -> bytes:
    """A report's HTML as served: with links to the neighbours that exist now. Raises OSError."""
    raw = path.read_bytes()
    try:
        page = raw.decode("utf-8")
    except UnicodeDecodeError:  # not a page DriftHound wrote: served as it is
        return raw
    around = report_nav.neighbours(report_stamps(path.parent), path.stem)
    return report_nav.with_links(page, around).encode("utf-8")


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
