"""References kept on disk: a fresh process loads the fitted reference instead of reading and fitting it, gives
the same figures, and fits again when anything the reference depends on changes."""

from __future__ import annotations

import math
import os
import pickle
import stat
from datetime import timedelta

import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

from monitor import redaction
from monitor.runner import Runner
from monitor.sources import kept_references
from monitor.sources.inputs import MonitorInputs
from monitor.sources.kept_references import ReferenceCache, cache_folder
from monitor.sources.reader import Source
from monitor.store import Store
from monitor.windows import Window
from tests.helpers import T0, monitor_config, predictions, write_table

WINDOW = Window(T0 + timedelta(hours=40), T0 + timedelta(hours=41))
EVERYTHING = """segments = ["region"]
[[monitors.rules]]
name = "accuracy off"
metric = "accuracy"
outside_reference = 3.0
"""


@pytest.fixture
def config(tmp_path):
    url = f"sqlite:///{tmp_path / 'data.db'}"
    write_table(url, "predictions", predictions(100, hours=48, shift_from=T0 + timedelta(hours=30)))
    return monitor_config(tmp_path, url, monitor_extra=EVERYTHING)


def fresh_run(config, monkeypatch) -> tuple[dict, int]:
    """One window in a new Runner (as a new process would), forced: its figures and how many reads it made."""
    reads = []
    original = Source.read
    monkeypatch.setattr(Source, "read", lambda self, *a, **k: reads.append(1) or original(self, *a, **k))
    store = Store(config.service.store_url)
    store.ensure_schema()
    try:
        result = Runner(config, store, owner="test").run(config.monitors[0], WINDOW, force=True)
    finally:
        store.dispose()
    assert result.status == "ok", result.reason
    monkeypatch.setattr(Source, "read", original)
    return {(row.metric, row.column, row.segment): row.value for row in result.metrics}, len(reads)


def same(a: dict, b: dict) -> bool:
    nan = lambda v: isinstance(v, float) and math.isnan(v)  # noqa: E731
    return a.keys() == b.keys() and all(a[k] == b[k] or (nan(a[k]) and nan(b[k])) for k in a)


def kept_files(config):
    return sorted(cache_folder(config.service).glob("*.pickle"))


def test_a_fresh_process_loads_the_fitted_reference_and_stores_the_same_figures(config, monkeypatch):
    fitted, reads = fresh_run(config, monkeypatch)
    assert reads == 2  # the window and its reference
    (kept,) = kept_files(config)
    assert kept.parent.name == "store.db-references"  # beside the SQLite store
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    loaded, reads = fresh_run(config, monkeypatch)
    assert reads == 1  # the window only
    assert ("multivariate.drift.score", "", "") in fitted and ("accuracy.reference_mean", "", "") in fitted
    assert same(fitted, loaded)


def test_an_unreadable_kept_reference_is_ignored_and_replaced(config, monkeypatch):
    fitted, _ = fresh_run(config, monkeypatch)
    (kept,) = kept_files(config)
    kept.write_bytes(b"not a pickle")
    with capture_logs() as logs:
        again, reads = fresh_run(config, monkeypatch)
    assert reads == 2 and same(fitted, again)
    assert [entry["event"] for entry in logs if entry["log_level"] == "warning"] == ["reference_cache.unusable"]
    assert kept.exists() and kept.read_bytes() != b"not a pickle"  # replaced by the refit
    assert pickle.loads(kept.read_bytes())[0] == kept_references.FORMAT


def disk_key(config, **changes) -> str:
    monitor = config.monitors[0].model_copy(update=changes)
    inputs = MonitorInputs(monitor, config.sources["main"].url, cache=ReferenceCache(cache_folder(config.service)))
    inputs.read_reference(WINDOW)
    assert inputs._kept_key is not None
    return inputs._kept_key


def test_the_key_changes_with_the_configuration_the_rows_the_labels_and_the_code(config, monkeypatch):
    url = config.sources["main"].url
    base = disk_key(config)
    assert disk_key(config) == base
    assert disk_key(config, rules=()) == base  # the rules' reference ranges are kept under their own keys
    assert disk_key(config, drift_min_effect=0.1) != base
    assert disk_key(config, max_rows=5000) != base
    engine = sa.create_engine(url)
    in_reference = "ts >= '2026-11-21 14:00:00' AND ts < '2026-11-21 16:00:00'"
    with engine.begin() as connection:
        one = f"rowid IN (SELECT rowid FROM predictions WHERE {in_reference} LIMIT 1)"
        connection.execute(sa.text(f"UPDATE predictions SET label = NULL WHERE {one}"))
    unlabelled = disk_key(config)
    assert unlabelled != base
    with engine.begin() as connection:
        connection.execute(sa.text(f"DELETE FROM predictions WHERE {one}"))
    assert disk_key(config) not in (base, unlabelled)
    engine.dispose()
    monkeypatch.setattr(kept_references, "code_fingerprint", lambda: "other code")
    assert disk_key(config) not in (base, unlabelled)


def test_kept_references_are_pruned_to_the_budget_and_to_the_monitors_configured(tmp_path):
    cache = ReferenceCache(tmp_path / "kept", budget_bytes=2500)
    cache.save("a", "k1", b"x" * 1000)
    cache.save("a", "k2", b"x" * 1000)  # supersedes a's k1
    assert cache.load("a", "k1") is None and cache.load("a", "k2") == b"x" * 1000
    (a,) = cache.folder.glob("*.pickle")
    os.utime(a, (1, 1))  # used long ago
    cache.save("b", "k1", b"x" * 1000)
    cache.save("c", "k1", b"x" * 1000)  # over the budget: a's, the longest unused, goes
    assert cache.load("a", "k2") is None
    assert cache.load("b", "k1") is not None and cache.load("c", "k1") is not None
    cache.prune_unused(["c"])
    assert cache.load("b", "k1") is None and cache.load("c", "k1") is not None


def test_the_folder_is_beside_a_sqlite_store_else_beside_the_reports_and_none_when_turned_off(tmp_path):
    pg = "postgresql+psycopg://dh:secret@db/drifthound"
    sqlite = monitor_config(tmp_path, "sqlite://", store_url=f"sqlite:///{tmp_path / 'dh.db'}").service
    postgres = monitor_config(tmp_path, "sqlite://", store_url=pg).service
    assert cache_folder(sqlite) == tmp_path / "dh.db-references"
    assert cache_folder(postgres) == tmp_path / "reports-references"  # not inside the served reports folder
    set_here = monitor_config(tmp_path, "sqlite://", store_url=pg, service_extra='reference_cache_dir = "kept"')
    assert cache_folder(set_here.service) == tmp_path / "kept"
    off = monitor_config(tmp_path, "sqlite://", service_extra="reference_cache_mb = 0")
    assert cache_folder(off.service) is None
    assert "secret" not in redaction.safe_url(pg)  # what the key is made of
