"""What an evaluation worker keeps: it lives on while its memory stays in bounds and is replaced after a run that
leaves it holding more than the limit; it keeps references up to a budget of cells, the most recently run."""

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
    pids = []
    try:
        for window in windows[:2]:
            summary = dispatcher.evaluate("credit", window, notify=False)
            assert summary is not None and summary.status == "ok", summary
            assert summary.worker_memory is not None and 50 * 2**20 < summary.worker_memory < 2 * 2**30
            pids.append(summary.worker_pid)
        assert pids[0] == pids[1]  # in bounds: the same worker, its reference kept

        monkeypatch.setattr(dispatch, "WORKER_MEMORY_LIMIT", 50 * 2**20)  # now every worker holds too much
        for window in windows[2:]:
            summary = dispatcher.evaluate("credit", window, notify=False)
            assert summary is not None and summary.status == "ok", summary
            pids.append(summary.worker_pid)
        assert pids[2] == pids[1] and pids[3] != pids[2]  # a new process in its place took its monitor
    finally:
        dispatcher.stop(grace=30)
    owners = _owners(tmp_path)
    assert owners[0] == owners[1] == owners[2]  # one worker ran the first three windows...
    assert owners[3] != owners[2]  # ...and after the third left it over the limit, a new one ran the fourth


def test_a_worker_keeps_references_up_to_a_budget_of_cells(tmp_path, monkeypatch):
    """Many small references are all kept (a hundred small monitors are not refitted at every run); past the
    budget, the least recently run monitor's reference goes."""
    from monitor import runner as runner_module
    from monitor.runner import Runner
    from tests.helpers import monitor_config

    source = f"sqlite:///{tmp_path / 'predictions.db'}"
    write_table(source, "predictions", predictions(60, hours=30))
    reference = '{ start = "2026-11-20T00:00:00Z", end = "2026-11-20T12:00:00Z" }'
    monitors = "".join(
        f'\n[[monitors]]\nname = "m{k}"\nsource = "main"\ntable = "predictions"\ntimestamp_column = "ts"\n'
        f'numerical_features = ["age", "income"]\nevery = "1h"\nwindow = "1h"\nreference = {reference}\nmin_rows = 20\n'
        for k in range(3)
    )
    config = monitor_config(tmp_path, source, reference=reference, min_rows=20, extra=monitors)
    runner = Runner(config, Store(config.service.store_url))
    runner.store.ensure_schema()
    window = Window(DAY, DAY + timedelta(hours=1))
    for name in ("credit", "m0", "m1", "m2"):
        assert runner.run(config.monitor(name), window).status == "ok"
    kept = dict(runner._inputs)
    assert list(kept) == ["credit", "m0", "m1", "m2"]  # 720 rows each: far within the budget
    cells = kept["m2"].reference_cells()
    assert 2 * 600 < cells < 2 * 900  # about 720 rows (12 hours) times its two feature columns

    monkeypatch.setattr(runner_module, "CACHED_REFERENCE_CELLS", 2 * cells)  # room for two such references
    window = Window(DAY + timedelta(hours=1), DAY + timedelta(hours=2))
    assert runner.run(config.monitor("m0"), window).status == "ok"
    assert list(runner._inputs) == ["m2", "m0"]  # the least recently run went, until two were left
    assert runner.inputs(config.monitor("m0")) is kept["m0"]  # a kept monitor's reference is not read again
    assert runner.inputs(config.monitor("credit")) is not kept["credit"]  # one that went is
