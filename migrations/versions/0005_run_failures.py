"""A run's own failures, counted apart from its claims.

A window was given up after three claims, and a claim cut short because its process was killed (a restart,
a deploy, the OOM killer) counted as one: a daemon restarted three times while catching up lost the window
it was on. Only failures of the window's own (an error, its worker dying under it) count now.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))
    # Existing failed runs keep the budget they had used (their claims, as counted before).
    op.execute("UPDATE runs SET failures = attempts WHERE status = 'failed'")


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("failures")
