"""Credit line and decision ids from their sequences on PostgreSQL.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26

Ids were ``MAX(id) + 1`` inside the serialised write (decision 0006), which made every 310
decision take the ledger head lock although it moves no money. On PostgreSQL ``credit_line``
and ``decision_record`` ids now come from the sequences their ``BIGSERIAL`` columns already
own (``store.rows.claim_ids``); this revision moves each sequence past the ids already used.
SQLite serialises every write, so ``MAX(id) + 1`` stays there and this revision does nothing.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("credit_line", "decision_record")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )


def downgrade() -> None:
    """Nothing to undo: ``MAX(id) + 1`` works whatever the sequences say."""
