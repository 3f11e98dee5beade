"""Which token set a silence: the name of an HTTP token (`created_by`); empty for silences set from the CLI.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("silences") as batch:
        batch.add_column(sa.Column("created_by", sa.String(100)))


def downgrade() -> None:
    with op.batch_alter_table("silences") as batch:
        batch.drop_column("created_by")
