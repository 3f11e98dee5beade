"""Evidently's scripts (3.5 MB), kept once per reports folder rather than inside every report.

They go to reports_dir/_static/evidently-<version>-<hash>/index.js, named by their content, so a report
written by one Evidently keeps the scripts it was drawn with after an upgrade, and a browser may cache
them for good. Reports refer to them by a relative path: a report opens from the folder (file://) as
well as from the daemon. No monitor can be called `_static` (names start with a letter or a digit).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

STATIC_DIR = "_static"
SCRIPT = "index.js"


@lru_cache(maxsize=1)
def evidently_static() -> Path:
    """The installed Evidently's static files (its dashboard script, its icons' font), found without importing
    Evidently: that imports the whole library (seconds), and a run needs only these files."""
    spec = importlib.util.find_spec("evidently")  # a top-level package's spec: found, not executed
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("evidently is not installed: reports need its dashboard script")
    return Path(next(iter(spec.submodule_search_locations))) / "nbextension" / "static"


def evidently_script() -> Path:
    """The installed Evidently's bundled dashboard script."""
    return evidently_static() / SCRIPT


@lru_cache(maxsize=1)
def script_name() -> str:
    """`_static/evidently-<version>-<hash>/index.js`: where the scripts live, relative to reports_dir."""
    digest = hashlib.sha256(evidently_script().read_bytes()).hexdigest()[:12]
    return f"{STATIC_DIR}/evidently-{importlib.metadata.version('evidently')}-{digest}/{SCRIPT}"


def script_src() -> str:
    """The script's address as a report under reports_dir/<monitor>/ refers to it."""
    return f"../{script_name()}"


def ensure_scripts(reports_dir: Path) -> Path:
    """Copies the scripts into reports_dir once; returns their path. Raises OSError."""
    target = reports_dir / script_name()
    if target.is_file() and target.stat().st_size == evidently_script().stat().st_size:
        os.utime(target.parent)  # in use: housekeeping keeps folders used within report_retention
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Copied under a temporary name and renamed: a report never refers to half a script.
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        shutil.copyfile(evidently_script(), temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
