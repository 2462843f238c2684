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
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from puhui.data import sources as data_sources

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
    Column("penalty_rate_e8", BigInteger, nullable=False),
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

# -- 310 decisions (decision engine) -------------------------------------------------------

decision_policy = Table(
    "decision_policy",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("version", String(40), nullable=False),
    Column("text", Text, nullable=False),
    Column("first_used_at", DateTime(timezone=True), nullable=False),
)

decision_record = Table(
    "decision_record",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("person_key", String(64), nullable=False, index=True),
    Column("customer_id", BigInteger, ForeignKey("customer.id")),
    Column("product_code", String(60), nullable=False),
    Column("channel", String(30), nullable=False),
    Column("applied_on", Date, nullable=False),
    Column("approved", Boolean, nullable=False),
    Column("credit_points", Integer),
    Column("band", String(2)),
    Column("policy_version", String(40), nullable=False),
    Column("policy_digest", String(64), ForeignKey("decision_policy.digest"), nullable=False),
    Column("model_version", String(80)),
    Column("inputs", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("line_id", BigInteger, ForeignKey("credit_line.id")),
    Column("latency_ms", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

review_request = Table(
    "review_request",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "decision_id", BigInteger, ForeignKey("decision_record.id"), nullable=False, unique=True
    ),
    Column("county", String(40), nullable=False, default=""),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("status", String(20), nullable=False),
    Column("officer_user_id", BigInteger, ForeignKey("app_user.id")),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolution_note", Text),
    CheckConstraint("status in ('open', 'upheld', 'overturned')", name="status_known"),
)
Index("ix_review_request_queue", review_request.c.status, review_request.c.county)

blacklist = Table(
    "blacklist",
    metadata,
    Column("person_key", String(64), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
)
# -- partner data, consent and the feature store (issue 3; migration 0002) -------------------
#
# Facts are stored as the partner delivered them, one table per source of ``data.sources``,
# with the identity number replaced by the person key (HMAC) and two lineage columns: the
# import batch (→ file name and SHA-256) and the record number in that file. The natural key
# is the primary key. Identity numbers live only in ``person.id_encrypted`` (AES-GCM).

import_batch = Table(
    "import_batch",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String(60), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("rows_in_file", BigInteger, nullable=False),
    Column("rows_stored", BigInteger, nullable=False),
    Column("rows_duplicate", BigInteger, nullable=False),
    Column("rows_already_stored", BigInteger, nullable=False),
    Column("rows_no_consent", BigInteger, nullable=False),
    Column("rows_unknown_person", BigInteger, nullable=False),
    # complete: every record is stored; partial: some were skipped (no consent / person not
    # yet known) and a re-import of the same file may store them later.
    Column("status", String(20), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status in ('complete', 'partial')", name="status_known"),
)
Index("ix_import_batch_file", import_batch.c.source, import_batch.c.file_sha256)

person = Table(
    "person",
    metadata,
    Column("person_key", String(64), primary_key=True),
    Column("id_encrypted", Text, nullable=False),
    Column("id_masked", String(18), nullable=False),
    Column("first_batch_id", BigInteger, ForeignKey("import_batch.id")),
    Column("registered_at", DateTime(timezone=True), nullable=False),
)

consent = Table(
    "consent",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("person_key", String(64), ForeignKey("person.person_key"), nullable=False),
    Column("purpose", String(20), nullable=False),
    Column("scope", String(400), nullable=False),
    Column("channel", String(30), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    Column("withdrawn_at", DateTime(timezone=True)),
    CheckConstraint(
        "purpose in ('credit_scoring', 'data_sharing', 'marketing')", name="purpose_known"
    ),
    CheckConstraint("channel in ('app', 'cooperative_window', 'paper')", name="channel_known"),
    CheckConstraint("withdrawn_at is null or withdrawn_at >= granted_at", name="withdrawn_after"),
)
Index("ix_consent_person", consent.c.person_key, consent.c.purpose)

# Append-only (triggers in migration 0002): every grant and withdrawal, never edited.
consent_audit = Table(
    "consent_audit",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("consent_id", BigInteger, ForeignKey("consent.id"), nullable=False),
    Column("person_key", String(64), nullable=False, index=True),
    Column("action", String(20), nullable=False),
    Column("purpose", String(20), nullable=False),
    Column("scope", String(400), nullable=False),
    Column("channel", String(30), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("note", String(200), nullable=False, default=""),
    CheckConstraint("action in ('grant', 'withdraw')", name="action_known"),
)

feature_build = Table(
    "feature_build",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("as_of", Date, nullable=False),
    Column("built_at", DateTime(timezone=True), nullable=False),
    Column("feature_version", String(20), nullable=False),
    Column("persons", BigInteger, nullable=False),
    Column("refused_no_consent", BigInteger, nullable=False),
    # The newest import batch the build could see: which data went into it.
    Column("last_batch_id", BigInteger),
    Column("feature_names", Text, nullable=False),
)

feature_snapshot = Table(
    "feature_snapshot",
    metadata,
    Column("person_key", String(64), primary_key=True),
    Column("as_of", Date, primary_key=True),
    Column("build_id", BigInteger, ForeignKey("feature_build.id"), nullable=False),
    # One JSON object per person: {feature name: number or null} (decision 0303).
    Column("features", Text, nullable=False),
)
Index("ix_feature_snapshot_as_of", feature_snapshot.c.as_of)


def _fact_type(col: data_sources.Col) -> TypeEngine[object]:
    kind = col.kind
    if kind is data_sources.Kind.ID:
        return String(64)
    if kind is data_sources.Kind.INT:
        return BigInteger()
    if kind is data_sources.Kind.FLOAT:
        return Float()
    if kind in (data_sources.Kind.DATE, data_sources.Kind.MONTH, data_sources.Kind.MONTH_END):
        return Date()
    if kind is data_sources.Kind.DIGITS:
        return String(col.length)
    return String(col.max_length)


def _fact_table(source: data_sources.Source) -> Table:
    columns = [
        Column(
            "person_key" if col.kind is data_sources.Kind.ID else col.name,
            _fact_type(col),
            nullable=col.nullable,
        )
        for col in source.columns
    ]
    table = Table(
        source.table,
        metadata,
        Column("batch_id", BigInteger, ForeignKey("import_batch.id"), nullable=False),
        Column("source_row", BigInteger, nullable=False),
        *columns,
        PrimaryKeyConstraint(*source.stored_key),
    )
    if source.has_id_number and source.stored_key[0] != "person_key":
        Index(f"ix_{source.table}_person_key", table.c.person_key)
    return table


#: Fact table of each source, by source name (``government/residents`` → its Table).
FACT_TABLES: dict[str, Table] = {s.name: _fact_table(s) for s in data_sources.SOURCES}

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

# -- score history (scoring: re-scoring on new behaviour) ---------------------------------

#: Every (re-)score of a person, appended and never updated or deleted (triggers, migration
#: 0007). ``scored_at`` keeps the record's stamp exactly as given (ISO text: a date, or a
#: datetime with or without its zone); ``scored_on`` is its day, for queries.
score_history = Table(
    "score_history",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("person_key", String(64), nullable=False),
    Column("scored_on", Date, nullable=False),
    Column("scored_at", String(40), nullable=False),
    Column("model_version", String(80), nullable=False),
    Column("pd", Float, nullable=False),
    Column("credit_points", Integer, nullable=False),
    Column("band", String(2), nullable=False),
    # JSON array of reason codes (feature names), most important first.
    Column("reasons", Text, nullable=False),
    Column("features_sha256", String(64), nullable=False),
    CheckConstraint("pd >= 0 AND pd <= 1", name="pd_probability"),
)
Index("ix_score_history_person", score_history.c.person_key, score_history.c.id)
Index("ix_score_history_day", score_history.c.scored_on)

#: The reminder job looks instalments up by due date.
Index("ix_loan_row_due", loan_row.c.due_date)

#: Risk tables whose rows are never updated or deleted (enforced by triggers, migration 0004).
RISK_APPEND_ONLY = ("risk_event", "risk_audit")
#: The score history is append-only too (triggers, migration 0007).
SCORE_APPEND_ONLY = ("score_history",)
