"""Connecting to the store (SQLite embedded, PostgreSQL in production)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

READING = "drifthound_reading"


def create_store_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_transactions(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def reading_engine(engine: Engine) -> Engine:
    """The same engine (pool, events) for work that only reads: it neither waits for nor blocks a writer.

    On PostgreSQL its transactions are READ ONLY; on SQLite they begin deferred (see below).
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(**{READING: True}, postgresql_readonly=True)
    return engine.execution_options(**{READING: True})


def _sqlite_transactions(engine: Engine) -> None:
    """A SQLite transaction that may write takes the write lock up front (BEGIN IMMEDIATE); a reading one does not.

    pysqlite's own deferred transactions fail at once with "database is locked" when
    a reader turns writer after another process wrote; taking the lock first makes
    concurrent writers wait (busy timeout) instead. Readers need no lock under WAL,
    so /readyz, /metrics and the pages answer while a run is being finished; query_only
    makes a reading transaction that writes fail at once, not only under contention.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        reading = bool(connection.get_execution_options().get(READING))
        connection.exec_driver_sql(f"PRAGMA query_only = {int(reading)}")
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
