"""Risk monitoring: behaviour events, alerts, actions and their audit, reminders outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

``risk_event`` and ``risk_audit`` are append-only (triggers refuse UPDATE and DELETE, as for
the journal in 0001): an event is a fact as received, an audit row a fact as done.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
APPEND_ONLY = ("risk_event", "risk_audit")


def upgrade() -> None:
    op.create_table(
        "risk_event",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(120), nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("person_key", sa.String(64)),
        sa.Column("customer_id", sa.BigInteger()),
        sa.Column("line_id", sa.BigInteger()),
        sa.Column("loan_id", sa.BigInteger()),
        sa.Column("township_code", sa.String(20)),
        sa.Column("amount_fen", sa.BigInteger()),
        sa.Column("count", sa.BigInteger()),
        sa.Column("detail", sa.String(40)),
        sa.Column("counterparty_key", sa.String(64)),
        sa.Column("score_old", sa.Integer()),
        sa.Column("score_new", sa.Integer()),
        sa.Column("received_at", TS, nullable=False),
        sa.CheckConstraint(
            "amount_fen IS NULL OR amount_fen >= 0", name=op.f("ck_risk_event_amount_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_event")),
        sa.UniqueConstraint("event_id", name=op.f("uq_risk_event_event_id")),
    )
    op.create_index("ix_risk_event_day", "risk_event", ["occurred_on"])
    op.create_index("ix_risk_event_person_day", "risk_event", ["person_key", "occurred_on"])
    op.create_index("ix_risk_event_township", "risk_event", ["township_code"])

    op.create_table(
        "risk_alert",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("alert_key", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("rules_version", sa.String(40), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("person_key", sa.String(64)),
        sa.Column("customer_id", sa.BigInteger()),
        sa.Column("line_id", sa.BigInteger()),
        sa.Column("loan_id", sa.BigInteger()),
        sa.Column("reason_zh", sa.Text(), nullable=False),
        sa.Column("reason_en", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("severity between 0 and 4", name=op.f("ck_risk_alert_severity_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_alert")),
        sa.UniqueConstraint("alert_key", name=op.f("uq_risk_alert_alert_key")),
    )
    op.create_index("ix_risk_alert_day", "risk_alert", ["business_date"])
    op.create_index("ix_risk_alert_customer", "risk_alert", ["customer_id"])

    op.create_table(
        "risk_action",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("line_id", sa.BigInteger()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("status_before", sa.String(20)),
        sa.Column("status_after", sa.String(20)),
        sa.Column("limit_before_fen", sa.BigInteger()),
        sa.Column("limit_after_fen", sa.BigInteger()),
        sa.Column("applied_at", TS, nullable=False),
        sa.Column("reversed_at", TS),
        sa.Column("reversed_by", sa.String(80)),
        sa.Column("reverse_reason", sa.Text()),
        sa.CheckConstraint(
            "status in ('applied', 'skipped', 'reversed')", name=op.f("ck_risk_action_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["risk_alert.id"], name=op.f("fk_risk_action_alert_id_risk_alert")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_action")),
        sa.UniqueConstraint("alert_id", "kind", name="uq_risk_action_alert_kind"),
    )

    op.create_table(
        "risk_audit",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("what", sa.String(20), nullable=False),
        sa.Column("alert_id", sa.BigInteger(), nullable=False),
        sa.Column("action_id", sa.BigInteger(), nullable=False),
        sa.Column("line_id", sa.BigInteger()),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_audit")),
    )
    op.create_index("ix_risk_audit_alert", "risk_audit", ["alert_id"])

    op.create_table(
        "customer_contact",
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(200)),
        sa.Column("phone", sa.String(20)),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_customer_contact_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_contact")),
    )

    op.create_table(
        "notification",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title_zh", sa.String(200), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_notification_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("key", name=op.f("uq_notification_key")),
    )
    op.create_index("ix_notification_customer", "notification", ["customer_id", "id"])

    op.create_table(
        "outbox",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("not_before", TS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", TS),
        sa.Column("sent_at", TS),
        sa.Column("last_error", sa.String(300)),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint(
            "status in ('pending', 'sent', 'failed')", name=op.f("ck_outbox_status_known")
        ),
        sa.CheckConstraint("channel in ('email', 'sms')", name=op.f("ck_outbox_channel_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    op.create_index("ix_outbox_due", "outbox", ["status", "not_before"])
    op.create_index("ix_loan_row_due", "loan_row", ["due_date"])
    _append_only_triggers()


def _append_only_triggers() -> None:
    """Events and the audit trail are facts: refuse UPDATE and DELETE (0001's pattern)."""
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
    op.drop_index("ix_loan_row_due", table_name="loan_row")
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_notification_customer", table_name="notification")
    op.drop_table("notification")
    op.drop_table("customer_contact")
    op.drop_index("ix_risk_audit_alert", table_name="risk_audit")
    op.drop_table("risk_audit")
    op.drop_table("risk_action")
    op.drop_index("ix_risk_alert_customer", table_name="risk_alert")
    op.drop_index("ix_risk_alert_day", table_name="risk_alert")
    op.drop_table("risk_alert")
    op.drop_index("ix_risk_event_township", table_name="risk_event")
    op.drop_index("ix_risk_event_person_day", table_name="risk_event")
    op.drop_index("ix_risk_event_day", table_name="risk_event")
    op.drop_table("risk_event")
