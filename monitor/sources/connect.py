"""Engines for prediction databases: shared per URL, and read-only on every connection."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import QueuePool

_lock = threading.Lock()
_engines: dict[str, Engine] = {}


def source_engine(url: str) -> Engine:
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create(url)
            _engines[url] = engine
        return engine


def dispose_all() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _create(url: str) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    else:
        engine = create_engine(url, **_pool_options(parsed))
    _read_only(engine, backend)
    return engine


def _pool_options(url: URL) -> dict[str, Any]:
    """A pool's sizes only where the dialect pools connections in a queue: an in-memory database (DuckDB's
    `duckdb:///:memory:`) gets one connection per thread, and create_engine refuses sizes for that pool."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if issubclass(url.get_dialect().get_pool_class(url), QueuePool):
        options |= {"pool_size": 4, "max_overflow": 4, "pool_recycle": 1800}
    return options


def _read_only(engine: Engine, backend: str) -> None:
    """A source is only ever read: the database itself refuses writes, whatever a query says."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if backend == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        elif backend == "postgresql":
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            cursor.execute("SET TIME ZONE 'UTC'")
            # psycopg opens a transaction for SET; end it so the settings apply to the session.
            dbapi_connection.commit()
        elif backend in ("mysql", "mariadb"):
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
            cursor.execute("SET time_zone = '+00:00'")
        cursor.close()
