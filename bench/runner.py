"""What the benches that measure through the daemon's own Runner share: a generated log written to a SQLite
table `predictions` (indexed on `ts`), and a config over it with a fresh SQLite store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from monitor.config import Config, parse_config
from monitor.runner import Runner
from monitor.store import Store


def write_log(frame: pd.DataFrame, path: Path) -> str:
    """`frame` as the table `predictions` of a new SQLite file; its URL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    engine = sa.create_engine(f"sqlite:///{path}")
    frame.to_sql("predictions", engine, index=False, chunksize=50_000)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE INDEX ix_ts ON predictions (ts)"))
    engine.dispose()
    return f"sqlite:///{path}"


def monitor_section(name: str, columns: str, *, every: str, reference: tuple[str, str] | str, extra: str = "") -> str:
    """A monitor section over the table `predictions` (timestamps in `ts`): `columns` the TOML lines naming its
    columns and task, `window = every`, a fixed reference [start, end) (ISO times) or a reference's TOML
    (say '{ last = "7d" }'), and `extra` TOML lines."""
    if isinstance(reference, tuple):
        reference = f'{{ start = "{reference[0]}", end = "{reference[1]}" }}'
    return f"""
[[monitors]]
name = "{name}"
source = "main"
table = "predictions"
timestamp_column = "ts"
{columns}
every = "{every}"
window = "{every}"
reference = {reference}
{extra}
"""


def cost_log_monitor(name: str, task: str, *, every: str, reference: tuple[str, str] | str, extra: str = "") -> str:
    """A monitor section over bench/estimation.py's cost logs (features x0..x7, c0, c1; the model's output p, a
    classifier's decided class d; the target y)."""
    features = ", ".join(f'"x{i}"' for i in range(8))
    columns = [
        f"numerical_features = [{features}]",
        'categorical_features = ["c0", "c1"]',
        'prediction_column = "p"',
        *(['prediction_label_column = "d"'] if task == "binary_classification" else []),
        'target_column = "y"',
        f'task = "{task}"',
    ]
    return monitor_section(name, "\n".join(columns), every=every, reference=reference, extra=extra)


def config_text(store: Path, reports_dir: Path, source_url: str, monitors: str) -> str:
    """A config with a fresh (emptied) SQLite store at `store`, one source `main` and the `monitors` TOML."""
    store.unlink(missing_ok=True)
    shutil.rmtree(store.with_name(store.name + "-references"), ignore_errors=True)  # nothing fitted before
    return (
        f'[service]\nstore_url = "sqlite:///{store}"\nreports_dir = "{reports_dir}"\n'
        f'[sources.main]\nurl = "{source_url}"\n{monitors}'
    )


def fresh_runner(store: Path, reports_dir: Path, source_url: str, monitors: str) -> tuple[Config, Runner]:
    config = parse_config(config_text(store, reports_dir, source_url, monitors))
    runner = Runner(config, Store(config.service.store_url))
    runner.store.ensure_schema()
    return config, runner
