"""Score history 评分历史: every (re-)score of a person, append-only.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

``score_history`` is append-only like the journal (0001), the consent audit (0002) and the
risk events (0004): triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL). A score
is a fact as computed; a later score is a new row.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APPEND_ONLY = ("score_history",)


def upgrade() -> None:
    op.create_table(
        "score_history",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("person_key", sa.String(64), nullable=False),
        sa.Column("scored_on", sa.Date(), nullable=False),
        sa.Column("scored_at", sa.String(40), nullable=False),
        sa.Column("model_version", sa.String(80), nullable=False),
        sa.Column("pd", sa.Float(), nullable=False),
        sa.Column("credit_points", sa.Integer(), nullable=False),
        sa.Column("band", sa.String(2), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("features_sha256", sa.String(64), nullable=False),
        sa.CheckConstraint("pd >= 0 AND pd <= 1", name=op.f("ck_score_history_pd_probability")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_history")),
    )
    op.create_index("ix_score_history_person", "score_history", ["person_key", "id"])
    op.create_index("ix_score_history_day", "score_history", ["scored_on"])
    _append_only_triggers()


def _append_only_triggers() -> None:
    """Scores are facts: refuse UPDATE and DELETE (0001's pattern)."""
    if op.get_bind().dialect.name == "postgresql":
        # puhui_append_only() is created by 0001
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION puhui_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION puhui_append_only()"
            )
    else:
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )


def downgrade() -> None:
    bind = op.get_bind()
    for table in APPEND_ONLY:
        if bind.dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    op.drop_index("ix_score_history_day", table_name="score_history")
    op.drop_index("ix_score_history_person", table_name="score_history")
    op.drop_table("score_history")
