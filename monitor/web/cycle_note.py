"""The cycle warning a monitor's newest run left in its figures JSON (evaluation/cycle_step.py): the page shows
it without reading the source. One small file read per page view."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from monitor.reports import CYCLE_WARNING_KEY
from monitor.store.models import Run


def cycle_warning(reports_dir: Path | None, runs: Iterable[Run]) -> str | None:
    """The newest ok run's warning (`runs` newest first); None without one, or when its file cannot be read."""
    if reports_dir is None:
        return None
    newest = next((run for run in runs if run.status == "ok" and run.report_path), None)
    if newest is None or newest.report_path is None:
        return None
    try:
        figures = json.loads((reports_dir / newest.report_path).with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    warning = figures.get(CYCLE_WARNING_KEY) if isinstance(figures, dict) else None
    return warning if isinstance(warning, str) else None
