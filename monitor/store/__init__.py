"""The store: runs, metric values (and, later, alerts and the outbox), in SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from monitor.store.engine import create_store_engine, reading_engine, session_factory
from monitor.store.migrate import ensure_schema


class Store:
    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or create_store_engine(url)
        self._sessions = session_factory(self.engine)
        self._reader = reading_engine(self.engine)
        self._reading_sessions = session_factory(self._reader)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def ensure_schema(self) -> None:
        ensure_schema(self.engine)

    def session(self) -> Session:
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for work that only reads (pages, /metrics, status): it does not wait behind writers.

        Its transaction cannot write (SQLite: query_only; PostgreSQL: READ ONLY) and is rolled back at the end.
        """
        with self._reading_sessions() as session:
            yield session

    def ping(self) -> None:
        """Whether the store answers, without taking SQLite's write lock."""
        with self._reader.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
