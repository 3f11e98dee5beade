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
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
