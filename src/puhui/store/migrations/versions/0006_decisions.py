"""310 decisions: stored policies, decision records with their inputs and trace, the human
review queue, the exclusion list.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "decision_policy",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_decision_policy")),
    )
    op.create_table(
        "decision_record",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("product_code", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("credit_points", sa.Integer(), nullable=True),
        sa.Column("band", sa.String(length=2), nullable=True),
        sa.Column("policy_version", sa.String(length=40), nullable=False),
        sa.Column("policy_digest", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=80), nullable=True),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("line_id", sa.BigInteger(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_decision_record_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["credit_line.id"], name=op.f("fk_decision_record_line_id_credit_line")
        ),
        sa.ForeignKeyConstraint(
            ["policy_digest"],
            ["decision_policy.digest"],
            name=op.f("fk_decision_record_policy_digest_decision_policy"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_record")),
    )
    op.create_index(
        op.f("ix_decision_record_person_key"), "decision_record", ["person_key"], unique=False
    )
    op.create_table(
        "review_request",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("decision_id", sa.BigInteger(), nullable=False),
        sa.Column("county", sa.String(length=40), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("officer_user_id", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status in ('open', 'upheld', 'overturned')",
            name=op.f("ck_review_request_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decision_record.id"],
            name=op.f("fk_review_request_decision_id_decision_record"),
        ),
        sa.ForeignKeyConstraint(
            ["officer_user_id"],
            ["app_user.id"],
            name=op.f("fk_review_request_officer_user_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_request")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_review_request_decision_id")),
    )
    op.create_index("ix_review_request_queue", "review_request", ["status", "county"])
    op.create_table(
        "blacklist",
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_key", name=op.f("pk_blacklist")),
    )


def downgrade() -> None:
    op.drop_table("blacklist")
    op.drop_index("ix_review_request_queue", table_name="review_request")
    op.drop_table("review_request")
    op.drop_index(op.f("ix_decision_record_person_key"), table_name="decision_record")
    op.drop_table("decision_record")
    op.drop_table("decision_policy")
