"""A credit line carries its own penalty rate (capped at the judicial ceiling by the policy).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credit_line") as batch:
        batch.add_column(sa.Column("penalty_rate_e8", sa.BigInteger(), nullable=True))
    # Lines granted before this revision used the products' 1.5 × multiple.
    op.execute("UPDATE credit_line SET penalty_rate_e8 = rate_annual_e8 * 3 / 2")
    with op.batch_alter_table("credit_line") as batch:
        batch.alter_column("penalty_rate_e8", existing_type=sa.BigInteger(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("credit_line") as batch:
        batch.drop_column("penalty_rate_e8")
