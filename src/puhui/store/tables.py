"""Database tables (SQLAlchemy Core). Money is integer fen, rates integer 1e-8 (``*_e8``).

The database re-states the domain's invariants where it can: every posting leg moves a positive
amount between two different accounts (so entries balance), idempotency keys are unique, wallet
and balances are never negative, and the journal tables reject UPDATE and DELETE (triggers
created by the migration; see ``store.migrations``).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = BigInteger().with_variant(Integer, "sqlite")  # SQLite rowid aliasing needs INTEGER

system_state = Table(
    "system_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("business_date", Date, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

account = Table(
    "account",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(80), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("owner_id", BigInteger),
)

journal_entry = Table(
    "journal_entry",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("key", String(200), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("memo", Text, nullable=False, default=""),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("seq > 0", name="seq_positive"),
)

posting = Table(
    "posting",
    metadata,
    Column("entry_seq", BigInteger, ForeignKey("journal_entry.seq"), primary_key=True),
    Column("leg", Integer, primary_key=True, autoincrement=False),
    Column("debit_account_id", BigInteger, ForeignKey("account.id"), nullable=False),
    Column("credit_account_id", BigInteger, ForeignKey("account.id"), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    CheckConstraint("amount_fen > 0", name="amount_positive"),
    CheckConstraint("debit_account_id <> credit_account_id", name="two_accounts"),
)
Index("ix_posting_debit", posting.c.debit_account_id)
Index("ix_posting_credit", posting.c.credit_account_id)

customer = Table(
    "customer",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("segment", String(40), nullable=False),
    Column("county", String(40), nullable=False, default=""),
    Column("township", String(40), nullable=False, default=""),
    Column("village", String(60), nullable=False, default=""),
    Column("wallet_account_id", BigInteger, ForeignKey("account.id")),
    Column("wallet_balance_fen", BigInteger, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("wallet_balance_fen >= 0", name="wallet_not_negative"),
)

credit_line = Table(
    "credit_line",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("customer_id", BigInteger, ForeignKey("customer.id"), nullable=False, index=True),
    Column("product_code", String(60), nullable=False),
    Column("limit_fen", BigInteger, nullable=False),
    Column("rate_annual_e8", BigInteger, nullable=False),
    Column("band", String(2), nullable=False),
    Column("methods", String(200), nullable=False),
    Column("granted_on", Date, nullable=False),
    Column("expires_on", Date, nullable=False),
    Column("revolving", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("used_fen", BigInteger, nullable=False, default=0),
    Column("drawn_total_fen", BigInteger, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("limit_fen >= 0", name="limit_not_negative"),
    CheckConstraint("used_fen >= 0", name="used_not_negative"),
    CheckConstraint("status in ('active', 'frozen', 'closed')", name="status_known"),
)
Index("ix_credit_line_expiry", credit_line.c.status, credit_line.c.expires_on)

loan = Table(
    "loan",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("line_id", BigInteger, ForeignKey("credit_line.id"), nullable=False, index=True),
    Column("customer_id", BigInteger, ForeignKey("customer.id"), nullable=False, index=True),
    Column("product_code", String(60), nullable=False),
    Column("principal_fen", BigInteger, nullable=False),
    Column("rate_annual_e8", BigInteger, nullable=False),
    Column("penalty_rate_e8", BigInteger, nullable=False),
    Column("method", String(30), nullable=False),
    Column("basis", String(10), nullable=False),
    Column("principal_months", String(40), nullable=False, default=""),
    Column("start_date", Date, nullable=False),
    Column("term_months", Integer, nullable=False),
    Column("principal_outstanding_fen", BigInteger, nullable=False),
    Column("interest_receivable_fen", BigInteger, nullable=False, default=0),
    Column("penalty_receivable_fen", BigInteger, nullable=False, default=0),
    Column("interest_through", Date, nullable=False),
    Column("penalty_through", Date, nullable=False),
    Column("accrued_seq", Integer, nullable=False, default=0),
    Column("accrued_fen", BigInteger, nullable=False, default=0),
    Column("status", String(20), nullable=False),
    Column("days_past_due", Integer, nullable=False, default=0),
    Column("asset_class", String(20), nullable=False),
    Column("closed_on", Date),
    # The running period, denormalised from loan_row so end-of-day accrual is one set-based
    # statement over this table (store.eod). NULL once no scheduled period remains.
    Column("cur_seq", Integer),
    Column("cur_period_start", Date),
    Column("cur_due_date", Date),
    Column("cur_opening_fen", BigInteger),
    Column("cur_interest_fen", BigInteger),
    Column("cur_daily", Boolean),
    # Earliest due date of a row that still owes something: the loan needs the day-close's
    # servicing pass (auto-debit, ageing) once this date arrives.
    Column("next_due_date", Date),
    Column("principal_account_id", BigInteger, ForeignKey("account.id"), nullable=False),
    Column("interest_account_id", BigInteger, ForeignKey("account.id"), nullable=False),
    Column("penalty_account_id", BigInteger, ForeignKey("account.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("principal_outstanding_fen >= 0", name="principal_not_negative"),
    CheckConstraint("interest_receivable_fen >= 0", name="interest_not_negative"),
    CheckConstraint("penalty_receivable_fen >= 0", name="penalty_not_negative"),
    CheckConstraint(
        "status in ('active', 'overdue', 'paid_off', 'written_off')", name="status_known"
    ),
    # Room on each page for the daily accrual UPDATE to stay a HOT update.
    postgresql_with={"fillfactor": 70},
)
Index("ix_loan_service", loan.c.status, loan.c.next_due_date)

loan_row = Table(
    "loan_row",
    metadata,
    Column("loan_id", BigInteger, ForeignKey("loan.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(20), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("opening_fen", BigInteger, nullable=False),
    Column("principal_fen", BigInteger, nullable=False),
    Column("interest_fen", BigInteger, nullable=False),
    Column("daily", Boolean, nullable=False),
    Column("principal_paid_fen", BigInteger, nullable=False, default=0),
    Column("interest_paid_fen", BigInteger, nullable=False, default=0),
    CheckConstraint("principal_paid_fen between 0 and principal_fen", name="principal_paid"),
    CheckConstraint("interest_paid_fen between 0 and interest_fen", name="interest_paid"),
)

idempotency = Table(
    "idempotency",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("operation", String(60), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

eod_step = Table(
    "eod_step",
    metadata,
    Column("business_date", Date, primary_key=True),
    Column("step", String(40), primary_key=True),
    Column("chunk", Integer, primary_key=True, autoincrement=False),
    Column("items", BigInteger, nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
)

#: Tables whose rows are never updated or deleted (enforced by triggers).
APPEND_ONLY = ("journal_entry", "posting", "account")

# -- users and sessions (api) -------------------------------------------------------------

app_user = Table(
    "app_user",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("phone", String(20), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("display_name", String(100), nullable=False),
    Column("county", String(40), nullable=False, default=""),
    Column("customer_id", BigInteger, ForeignKey("customer.id"), unique=True),
    Column("person_key", String(64), unique=True),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(
        "role in ('borrower', 'officer', 'risk', 'admin', 'government')", name="role_known"
    ),
)

user_session = Table(
    "user_session",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", BigInteger, ForeignKey("app_user.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

login_attempt = Table(
    "login_attempt",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("phone", String(20), nullable=False),
    Column("client_ip", String(64), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
Index("ix_login_attempt_phone_at", login_attempt.c.phone, login_attempt.c.at)
Index("ix_login_attempt_ip_at", login_attempt.c.client_ip, login_attempt.c.at)

# -- risk monitoring, alerts, actions, reminders (risk) ------------------------------------

risk_event = Table(
    "risk_event",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", String(120), nullable=False, unique=True),
    Column("content_hash", String(32), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("person_key", String(64)),
    Column("customer_id", BigInteger),
    Column("line_id", BigInteger),
    Column("loan_id", BigInteger),
    Column("township_code", String(20)),
    Column("amount_fen", BigInteger),
    Column("count", BigInteger),
    Column("detail", String(40)),
    Column("counterparty_key", String(64)),
    Column("score_old", Integer),
    Column("score_new", Integer),
    Column("received_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("amount_fen IS NULL OR amount_fen >= 0", name="amount_not_negative"),
)
Index("ix_risk_event_day", risk_event.c.occurred_on)
Index("ix_risk_event_person_day", risk_event.c.person_key, risk_event.c.occurred_on)
Index("ix_risk_event_township", risk_event.c.township_code)

risk_alert = Table(
    "risk_alert",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("alert_key", String(200), nullable=False, unique=True),
    Column("rule", String(40), nullable=False),
    Column("rules_version", String(40), nullable=False),
    Column("severity", Integer, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("person_key", String(64)),
    Column("customer_id", BigInteger),
    Column("line_id", BigInteger),
    Column("loan_id", BigInteger),
    Column("reason_zh", Text, nullable=False),
    Column("reason_en", Text, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("severity between 0 and 4", name="severity_known"),
)
Index("ix_risk_alert_day", risk_alert.c.business_date)
Index("ix_risk_alert_customer", risk_alert.c.customer_id)

risk_action = Table(
    "risk_action",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("alert_id", BigInteger, ForeignKey("risk_alert.id"), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("line_id", BigInteger),
    Column("status", String(20), nullable=False),
    Column("note", String(200), nullable=False, default=""),
    Column("status_before", String(20)),
    Column("status_after", String(20)),
    Column("limit_before_fen", BigInteger),
    Column("limit_after_fen", BigInteger),
    Column("applied_at", DateTime(timezone=True), nullable=False),
    Column("reversed_at", DateTime(timezone=True)),
    Column("reversed_by", String(80)),
    Column("reverse_reason", Text),
    UniqueConstraint("alert_id", "kind", name="uq_risk_action_alert_kind"),
    CheckConstraint("status in ('applied', 'skipped', 'reversed')", name="status_known"),
)

#: Every automatic action and every reversal, one row each; never updated or deleted.
risk_audit = Table(
    "risk_audit",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("what", String(20), nullable=False),
    Column("alert_id", BigInteger, nullable=False),
    Column("action_id", BigInteger, nullable=False),
    Column("line_id", BigInteger),
    Column("detail", Text, nullable=False),
)
Index("ix_risk_audit_alert", risk_audit.c.alert_id)

customer_contact = Table(
    "customer_contact",
    metadata,
    Column("customer_id", BigInteger, ForeignKey("customer.id"), primary_key=True),
    Column("email", String(200)),
    Column("phone", String(20)),
)

notification = Table(
    "notification",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("customer_id", BigInteger, ForeignKey("customer.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("title_zh", String(200), nullable=False),
    Column("body_zh", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_notification_customer", notification.c.customer_id, notification.c.id)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("channel", String(10), nullable=False),
    Column("customer_id", BigInteger, nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("message_id", String(200), nullable=False),
    Column("status", String(10), nullable=False),
    Column("not_before", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_owner", String(64)),
    Column("lease_until", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    Column("last_error", String(300)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status in ('pending', 'sent', 'failed')", name="status_known"),
    CheckConstraint("channel in ('email', 'sms')", name="channel_known"),
)
Index("ix_outbox_due", outbox.c.status, outbox.c.not_before)

#: The reminder job looks instalments up by due date.
Index("ix_loan_row_due", loan_row.c.due_date)

#: Risk tables whose rows are never updated or deleted (enforced by triggers, migration 0004).
RISK_APPEND_ONLY = ("risk_event", "risk_audit")
