"""Alembic environment: runs against the engine DriftHound hands over (never a URL from a file)."""

from __future__ import annotations

from alembic import context

from monitor.store.schema import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    raise RuntimeError("run migrations through `drifthound db upgrade`, which passes the store's engine")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # Every migration in one transaction, SQLite included: Alembic takes SQLite's DDL for non-transactional and
        # commits each step, so a daemon killed while it created a new store left it at 0001, and the next start
        # refused it as an old schema. The store's engine opens each SQLite transaction with BEGIN IMMEDIATE,
        # inside which SQLite's DDL is transactional: a process killed mid-upgrade leaves the store as it was.
        transactional_ddl=True,
        on_version_apply=config.attributes.get("on_version_apply", ()),
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
