"""Late labels: when a run's model quality is due (window end + delay), and when it was computed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("labels_due_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("labels_at", sa.DateTime(timezone=True)))
    op.create_index("ix_runs_monitor_labels_due_at", "runs", ["monitor", "labels_due_at"])


def downgrade() -> None:
    op.drop_index("ix_runs_monitor_labels_due_at", "runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("labels_at")
        batch.drop_column("labels_due_at")
