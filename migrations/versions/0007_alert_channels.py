"""What each channel was told of an alert, so a channel added to a firing rule is told at the next run.

Alerts told before this revision have no rows: the pipeline takes every channel of their rule as told, as
`alerts.notified_firing` says, until their next notification writes rows per channel.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alert_channels",
        sa.Column("alert_id", BigId, nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("notified_firing", sa.Boolean(), nullable=False),
        sa.Column("last_notified_at", Time),
        sa.PrimaryKeyConstraint("alert_id", "channel", name="pk_alert_channels"),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name="fk_alert_channels_alert_id_alerts", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("alert_channels")
