"""Runs (each also the claim on its window) and their metric values.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("monitor", sa.String(100), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("rows", sa.Integer()),
        sa.Column("rows_total", sa.Integer()),
        sa.Column("reference_rows", sa.Integer()),
        sa.Column("reference_rows_total", sa.Integer()),
        sa.Column("sample_seed", BigId),
        sa.Column("duration_seconds", sa.Float()),
        sa.Column("report_path", sa.String(500)),
        sa.Column("report_error", sa.Text()),
        sa.Column("owner", sa.String(200)),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.UniqueConstraint("monitor", "window_end", name="uq_runs_monitor_window_end"),
    )
    op.create_index("ix_runs_monitor_status_window_end", "runs", ["monitor", "status", "window_end"])
    op.create_table(
        "metric_values",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("run_id", BigId, nullable=False),
        sa.Column("monitor", sa.String(100), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("column_name", sa.String(300), nullable=False),
        sa.Column("value", sa.Float()),
        sa.Column("method", sa.String(100)),
        sa.PrimaryKeyConstraint("id", name="pk_metric_values"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_metric_values_run_id_runs", ondelete="CASCADE"),
        sa.UniqueConstraint("run_id", "metric", "column_name", name="uq_metric_values_run_id_metric_column_name"),
    )
    op.create_index("ix_metric_values_run_id", "metric_values", ["run_id"])
    op.create_index(
        "ix_metric_values_monitor_metric_column_name_window_end",
        "metric_values",
        ["monitor", "metric", "column_name", "window_end"],
    )


def downgrade() -> None:
    op.drop_table("metric_values")
    op.drop_table("runs")
