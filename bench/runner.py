"""What the benches that measure through the daemon's own Runner share: a generated log written to a SQLite
table `predictions` (indexed on `ts`), and a config over it with a fresh SQLite store."""

from __future__ import annotations

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


def config_text(store: Path, reports_dir: Path, source_url: str, monitors: str) -> str:
    """A config with a fresh (emptied) SQLite store at `store`, one source `main` and the `monitors` TOML."""
    store.unlink(missing_ok=True)
    return (
        f'[service]\nstore_url = "sqlite:///{store}"\nreports_dir = "{reports_dir}"\n'
        f'[sources.main]\nurl = "{source_url}"\n{monitors}'
    )


def fresh_runner(store: Path, reports_dir: Path, source_url: str, monitors: str) -> tuple[Config, Runner]:
    config = parse_config(config_text(store, reports_dir, source_url, monitors))
    runner = Runner(config, Store(config.service.store_url))
    runner.store.ensure_schema()
    return config, runner
