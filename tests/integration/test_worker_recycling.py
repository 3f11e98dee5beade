"""Evaluation workers are kept while their memory stays in bounds (they hold every reference they fitted), and
replaced after a run that leaves one holding more than the limit."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from monitor.config import parse_config
from monitor.service import dispatch
from monitor.service.dispatch import Dispatcher
from monitor.service.prom import DaemonMetrics
from monitor.store import Store
from monitor.windows import Window
from tests.helpers import T0, monitor_config_text, predictions, write_table

DAY = T0 + timedelta(days=1)


def _dispatcher(tmp_path: Path) -> Dispatcher:
    source = f"sqlite:///{tmp_path / 'predictions.db'}"
    write_table(source, "predictions", predictions(60, hours=30))
    text = monitor_config_text(
        tmp_path,
        source,
        service_extra="workers = 1",
        reference='{ start = "2026-11-20T00:00:00Z", end = "2026-11-20T12:00:00Z" }',
        min_rows=20,
    )
    path = tmp_path / "config.toml"
    path.write_text(text)
    config = parse_config(text)
    store = Store(config.service.store_url)
    store.ensure_schema()
    clock = lambda: DAY + timedelta(hours=6)  # noqa: E731
    return Dispatcher(
        config=lambda: config,
        config_text=lambda: text,
        config_file=path,
        store=store,
        owner="recycling-test",
        metrics=DaemonMetrics(store, lambda: config, clock),
        clock=clock,
        on_notifications=lambda: None,
    )


def _owners(tmp_path: Path) -> list[str]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.connect() as connection:
        owners = [row[0] for row in connection.execute(sa.text("SELECT owner FROM runs ORDER BY window_end"))]
    engine.dispose()
    return owners


def test_a_worker_is_kept_in_bounds_and_replaced_beyond_them(tmp_path, monkeypatch):
    dispatcher = _dispatcher(tmp_path)
    windows = [Window(DAY + timedelta(hours=h), DAY + timedelta(hours=h + 1)) for h in range(4)]
    try:
        first_pool = dispatcher.pool
        for window in windows[:2]:
            summary = dispatcher.evaluate("credit", window, notify=False)
            assert summary is not None and summary.status == "ok", summary
            assert summary.worker_memory is not None and 50 * 2**20 < summary.worker_memory < 2 * 2**30
        assert dispatcher.pool is first_pool  # in bounds: the same worker, its reference kept

        monkeypatch.setattr(dispatch, "WORKER_MEMORY_LIMIT", 50 * 2**20)  # now every worker holds too much
        for window in windows[2:]:
            summary = dispatcher.evaluate("credit", window, notify=False)
            assert summary is not None and summary.status == "ok", summary
        assert dispatcher.pool is not first_pool
    finally:
        dispatcher.stop(grace=30)
    owners = _owners(tmp_path)
    assert owners[0] == owners[1] == owners[2]  # one worker ran the first three windows...
    assert owners[3] != owners[2]  # ...and after the third left it over the limit, a new one ran the fourth
