"""Alert operators up to 32 characters ("outside_reference" for rules relative to the reference).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("op", existing_type=sa.String(16), type_=sa.String(32), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("op", existing_type=sa.String(32), type_=sa.String(16), existing_nullable=False)
