"""What most commands start with: the config, logging, and the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from monitor import logs
from monitor.config import Config, config_path, load_config

__all__ = ["Context", "config_path", "load", "monitor_argument", "open_context", "since_argument", "time_argument"]
from monitor.errors import UsageError
from monitor.store import Store
from monitor.times import parse_since, parse_time


@dataclass
class Context:
    config: Config
    config_file: Path
    store: Store


def load(config_file: str | None, *, verbose: bool = False, daemon: bool = False) -> tuple[Config, Path]:
    path = config_path(config_file)
    config = load_config(path)
    logs.configure(config.service.log_format, level="INFO" if (verbose or daemon) else "WARNING")
    return config, path


def open_context(config_file: str | None, *, verbose: bool = False) -> Context:
    config, path = load(config_file, verbose=verbose)
    store = Store(config.service.store_url)
    store.ensure_schema()
    return Context(config, path, store)


def time_argument(value: str | None, flag: str):
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as error:
        raise UsageError(f"{flag}: {error}") from None


def since_argument(value: str | None, flag: str, *, now: datetime) -> datetime | None:
    """A time, or a duration back from now ("1d")."""
    if value is None:
        return None
    try:
        return parse_since(value, now=now)
    except ValueError as error:
        raise UsageError(f"{flag}: {error}") from None


def monitor_argument(config: Config, name: str):
    try:
        return config.monitor(name)
    except KeyError as error:
        raise UsageError(str(error.args[0])) from None
