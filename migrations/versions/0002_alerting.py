"""Alerting: alert states and history, the outbox, silences, channel health.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("monitor", sa.String(100), nullable=False),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("column_name", sa.String(300), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("value", sa.Float()),
        sa.Column("threshold", sa.Float()),
        sa.Column("op", sa.String(16), nullable=False),
        sa.Column("breaches", sa.Integer(), nullable=False),
        sa.Column("clears", sa.Integer(), nullable=False),
        sa.Column("since", Time),
        sa.Column("last_window_end", Time),
        sa.Column("notified_firing", sa.Boolean(), nullable=False),
        sa.Column("last_notified_at", Time),
        sa.Column("resolved_at", Time),
        sa.Column("updated_at", Time, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("monitor", "rule", "column_name", name="uq_alerts_monitor_rule_column_name"),
    )
    op.create_table(
        "alert_events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("alert_id", BigId, nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.Column("window_end", Time, nullable=False),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("value", sa.Float()),
        sa.PrimaryKeyConstraint("id", name="pk_alert_events"),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name="fk_alert_events_alert_id_alerts", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_alert_events_alert_id", "alert_events", ["alert_id"])
    op.create_table(
        "outbox",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("monitor", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("next_attempt_at", Time, nullable=False),
        sa.Column("give_up_at", Time, nullable=False),
        sa.Column("claimed_by", sa.String(200)),
        sa.Column("claimed_until", Time),
        sa.Column("last_attempt_at", Time),
        sa.Column("last_error", sa.Text()),
        sa.Column("finished_at", Time),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("delivery_id", name="uq_outbox_delivery_id"),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_monitor_channel_status", "outbox", ["monitor", "channel", "status"])
    op.create_table(
        "silences",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("monitor", sa.String(100), nullable=False),
        sa.Column("rule", sa.String(200)),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("ends_at", Time, nullable=False),
        sa.Column("cancelled_at", Time),
        sa.PrimaryKeyConstraint("id", name="pk_silences"),
    )
    op.create_index("ix_silences_monitor", "silences", ["monitor"])
    op.create_table(
        "channel_health",
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("broken", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("broken_since", Time),
        sa.Column("last_success_at", Time),
        sa.PrimaryKeyConstraint("channel", name="pk_channel_health"),
    )


def downgrade() -> None:
    op.drop_table("channel_health")
    op.drop_table("silences")
    op.drop_table("outbox")
    op.drop_table("alert_events")
    op.drop_table("alerts")
