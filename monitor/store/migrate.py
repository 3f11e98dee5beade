"""The store's schema, through Alembic only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, inspect, text

import migrations
from monitor.errors import DriftHoundError
from monitor.store.engine import reading_engine
from monitor.store.schema import metadata


class StoreSchemaError(DriftHoundError):
    exit_code = 2


def alembic_config(engine: Engine) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config(None))  # type: ignore[arg-type]
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    # A read: every command checks it on start, and `status` must not wait behind a daemon's write.
    with reading_engine(engine).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


# Any constant will do: it only has to be the same for every DriftHound process on one store.
_MIGRATION_LOCK = 0x44524654484F554E  # "DRFTHOUN"


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """One migration at a time per store: replicas starting together on an empty PostgreSQL would race.

    SQLite needs nothing more: its migrations take the database's write lock (BEGIN IMMEDIATE).
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK - 2**63})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK - 2**63})
            connection.commit()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Migrates the store; returns (revision before, revision after)."""
    with _migration_lock(engine):
        before = current_revision(engine)
        command.upgrade(alembic_config(engine), revision)
        return before, current_revision(engine) or ""


def _known_revision(revision: str) -> bool:
    script = ScriptDirectory.from_config(alembic_config(None))  # type: ignore[arg-type]
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def ensure_schema(engine: Engine) -> None:
    """A new store is created on first use; an old schema needs `drifthound db upgrade`.

    The store may share a database with other tables (a prediction log, say); only
    DriftHound's own tables without a version are suspicious. Upgrading an existing
    store is left to the operator, who should back it up first.
    """
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None:
        with _migration_lock(engine):
            if current_revision(engine) == head:  # another process created it meanwhile
                return
            ours = set(metadata.tables) & set(inspect(engine).get_table_names())
            if ours:
                raise StoreSchemaError(
                    f"the store has DriftHound's tables ({', '.join(sorted(ours))}) but no schema version; "
                    "restore it from a backup, or point store_url at another database"
                )
            command.upgrade(alembic_config(engine), "head")
        return
    if not _known_revision(current):
        raise StoreSchemaError(
            f"the store's schema ({current}) is newer than this DriftHound knows ({head}); upgrade DriftHound"
        )
    raise StoreSchemaError(
        f"the store's schema is at {current}, this version needs {head}; back up the store, "
        "then run `drifthound db upgrade`"
    )
