"""The segment dimension: every figure may be a whole window's (segment "") or one segment's ("region=north").

Existing figures and alerts become whole-window ones. A figure is unique on (run, metric, column, segment);
an alert on (monitor, rule, column, segment).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("metric_values") as batch:
        batch.add_column(sa.Column("segment", sa.String(300), nullable=False, server_default=""))
        batch.drop_constraint("uq_metric_values_run_id_metric_column_name", type_="unique")
        batch.create_unique_constraint(
            "uq_metric_values_run_id_metric_column_name_segment", ["run_id", "metric", "column_name", "segment"]
        )
        batch.drop_index("ix_metric_values_monitor_metric_column_name_window_end")
        batch.create_index(
            "ix_metric_values_monitor_metric_column_name_segment_window_end",
            ["monitor", "metric", "column_name", "segment", "window_end"],
        )
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("segment", sa.String(300), nullable=False, server_default=""))
        batch.drop_constraint("uq_alerts_monitor_rule_column_name", type_="unique")
        batch.create_unique_constraint(
            "uq_alerts_monitor_rule_column_name_segment", ["monitor", "rule", "column_name", "segment"]
        )


def downgrade() -> None:
    op.execute("DELETE FROM metric_values WHERE segment <> ''")
    op.execute("DELETE FROM alerts WHERE segment <> ''")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint("uq_alerts_monitor_rule_column_name_segment", type_="unique")
        batch.create_unique_constraint("uq_alerts_monitor_rule_column_name", ["monitor", "rule", "column_name"])
        batch.drop_column("segment")
    with op.batch_alter_table("metric_values") as batch:
        batch.drop_index("ix_metric_values_monitor_metric_column_name_segment_window_end")
        batch.create_index(
            "ix_metric_values_monitor_metric_column_name_window_end", ["monitor", "metric", "column_name", "window_end"]
        )
        batch.drop_constraint("uq_metric_values_run_id_metric_column_name_segment", type_="unique")
        batch.create_unique_constraint(
            "uq_metric_values_run_id_metric_column_name", ["run_id", "metric", "column_name"]
        )
        batch.drop_column("segment")
