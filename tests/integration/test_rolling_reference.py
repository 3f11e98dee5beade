"""A rolling reference is read and fitted once while its rows stay much the same, refitted once enough of them
changed, and every run says which reference it used and why."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from monitor.runner import Runner
from monitor.sources.inputs import MonitorInputs
from monitor.sources.reader import Source
from monitor.store import Store
from monitor.times import span
from monitor.windows import Window
from tests.helpers import T0, monitor_config, predictions, write_table

H = timedelta(hours=1)


def _window(hour: int) -> Window:
    return Window(T0 + timedelta(hours=hour), T0 + timedelta(hours=hour + 1))


@pytest.fixture
def log_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    write_table(url, "predictions", predictions(80, hours=36), timestamps="naive")
    return url


@pytest.fixture
def reference_reads(monkeypatch) -> list[tuple[Window, ...]]:
    """The spans of every reference read from a source (a window's own read passes one Window)."""
    reads: list[tuple[Window, ...]] = []
    read = Source.read

    def counted(self, columns, window, **options):
        if not isinstance(window, Window):
            reads.append(tuple(window))
        return read(self, columns, window, **options)

    monkeypatch.setattr(Source, "read", counted)
    return reads


def _inputs(tmp_path, url: str, refit: str) -> MonitorInputs:
    config = monitor_config(tmp_path, url, reference=f'{{ last = "24h"{refit} }}')
    return MonitorInputs(config.monitors[0], url)


def test_a_rolling_reference_is_refitted_once_enough_of_its_rows_changed(tmp_path, log_url, reference_reads):
    inputs = _inputs(tmp_path, log_url, ", refit = 0.12")  # an hour's move changes ~8% of 24h, two ~17%
    first = inputs.read_reference(_window(24))
    kept = inputs.read_reference(_window(25))
    assert kept.spans == first.spans and kept.derived is first.derived, "the fitted artefacts stay with it"
    assert kept.refit is not None and kept.refit.keep and 0.06 < (kept.refit.share or 0) < 0.11
    refitted = inputs.read_reference(_window(26))
    assert refitted.refit is not None and not refitted.refit.keep and refitted.bounds == Window(T0 + 2 * H, T0 + 26 * H)
    assert inputs.read_reference(_window(27)).refit.keep  # type: ignore[union-attr]
    assert len(reference_reads) == 2, "read for the windows ending 25:00 and 27:00 only"
    # A window behind the one held (a backfill) gets its own, even an hour behind; the next is kept again.
    behind = inputs.read_reference(_window(25))
    assert behind.bounds == Window(T0 + H, T0 + 25 * H) and len(reference_reads) == 3
    assert inputs.read_reference(_window(26)).refit.keep and len(reference_reads) == 3  # type: ignore[union-attr]


def test_with_refit_0_every_window_reads_its_own_reference(tmp_path, log_url, reference_reads):
    inputs = _inputs(tmp_path, log_url, ", refit = 0")
    for hour in (24, 25, 26):
        assert inputs.read_reference(_window(hour)).bounds == Window(T0 + (hour - 24) * H, T0 + hour * H)
    assert len(reference_reads) == 3


def test_a_run_says_which_reference_it_used(tmp_path, log_url):
    config = monitor_config(tmp_path, log_url, reference='{ last = "24h", refit = 0.12 }', min_rows=30)
    store = Store(config.service.store_url)
    store.ensure_schema()
    runner = Runner(config, store, owner="test")
    monitor = config.monitors[0]
    try:
        assert runner.run(monitor, _window(24)).reason is None
        kept = runner.run(monitor, _window(25))
    finally:
        store.dispose()
    assert kept.status == "ok" and kept.reason is not None
    assert kept.reason.startswith("reference fitted for the window ending 2026-11-21T01:00:00Z: ")
    assert kept.reason.endswith("% of its rows have changed since; refitted at 12%")
    report = (tmp_path / "reports" / (kept.report_path or "")).read_text()
    held = json.dumps(span(T0, T0 + 24 * H))[1:-1]  # as the report's widgets hold it
    assert held in report, "the report names the reference held, not the would-be one"
    assert "refitted at 12%" in report
