"""Storage of 310 decisions: the policies used, each decision with its inputs and trace, the
human review queue (only at the applicant's request), the exclusion list, the lending facts
a decision needs about a customer (open DPD, limits held, yearly debt service), and the score a
line was granted on (the re-scoring run's first comparison).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    CTE,
    BigInteger,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    Integer,
    Select,
    String,
    bindparam,
    column,
    exists,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from puhui.errors import Conflict, NotFound
from puhui.store.db import opened_business_date
from puhui.store.features import Snapshot, newest_snapshot_of
from puhui.store.rows import insert_batch, next_id
from puhui.store.tables import (
    FACT_TABLES,
    blacklist,
    consent,
    credit_line,
    customer,
    decision_policy,
    decision_record,
    feature_snapshot,
    loan,
    loan_row,
    review_request,
    system_state,
)


def ensure_policy(conn: Connection, digest: str, version: str, text: str, now: datetime) -> None:
    """Keep the exact text of every policy a decision used (for replay)."""
    found = conn.execute(
        select(decision_policy.c.digest).where(decision_policy.c.digest == digest)
    ).first()
    if found is None:
        conn.execute(
            insert(decision_policy).values(
                digest=digest, version=version, text=text, first_used_at=now
            )
        )


def policy_text(conn: Connection, digest: str) -> str:
    text = conn.execute(
        select(decision_policy.c.text).where(decision_policy.c.digest == digest)
    ).scalar()
    if text is None:
        raise NotFound(
            "POLICY_NOT_FOUND", "找不到该授信政策版本", f"no stored policy {digest[:12]}"
        )
    return text


@dataclass(frozen=True, slots=True)
class NewDecision:
    """A decision to store: what was decided, on what inputs, under which policy."""

    person_key: str
    customer_id: int | None
    product_code: str
    channel: str
    applied_on: date
    outcome: dict[str, Any]
    inputs: dict[str, Any]
    policy_digest: str
    line_id: int | None
    latency_ms: int
    now: datetime


def record(conn: Connection, decisions: Sequence[NewDecision]) -> list[int]:
    """Store decisions (``rows.insert_batch``); their ids, in order. An id defaults to the
    table's sequence (rowid on SQLite): no claim, no lock."""
    if not decisions:
        return []
    rows = [
        {
            "person_key": d.person_key,
            "customer_id": d.customer_id,
            "product_code": d.product_code,
            "channel": d.channel,
            "applied_on": d.applied_on,
            "approved": d.outcome["approved"],
            "credit_points": d.outcome["credit_points"],
            "band": d.outcome["band"],
            "policy_version": d.outcome["policy_version"],
            "policy_digest": d.policy_digest,
            "model_version": d.outcome["model_version"],
            # In the records' own field order (sorting the keys cost more than the rest of
            # the encoding; replay compares parsed values, not this text).
            "inputs": json.dumps(d.inputs, ensure_ascii=False, default=str),
            "outcome": json.dumps(d.outcome, ensure_ascii=False, default=str),
            "line_id": d.line_id,
            "latency_ms": d.latency_ms,
            "created_at": d.now,
        }
        for d in decisions
    ]
    # arrays=False: the inputs and outcome are JSON documents (see insert_batch).
    return insert_batch(conn, decision_record, rows, ids=True, arrays=False)


@dataclass(frozen=True, slots=True)
class StoredDecision:
    decision_id: int
    person_key: str
    customer_id: int | None
    product_code: str
    applied_on: date
    approved: bool
    policy_digest: str
    model_version: str | None
    inputs: dict[str, Any]
    outcome: dict[str, Any]
    outcome_text: str
    line_id: int | None
    created_at: datetime


def get(conn: Connection, decision_id: int) -> StoredDecision:
    row = (
        conn.execute(select(decision_record).where(decision_record.c.id == decision_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(
            "DECISION_NOT_FOUND", f"找不到审批记录 {decision_id}", f"no decision {decision_id}"
        )
    return StoredDecision(
        decision_id=row["id"],
        person_key=row["person_key"],
        customer_id=row["customer_id"],
        product_code=row["product_code"],
        applied_on=row["applied_on"],
        approved=row["approved"],
        policy_digest=row["policy_digest"],
        model_version=row["model_version"],
        inputs=json.loads(row["inputs"]),
        outcome=json.loads(row["outcome"]),
        outcome_text=row["outcome"],
        line_id=row["line_id"],
        created_at=row["created_at"],
    )


@dataclass(frozen=True, slots=True)
class GrantedScore:
    """The score of the approved decision that opened a line, with the features it scored."""

    line_id: int
    model_version: str
    credit_points: int
    features: dict[str, Any]


def granted_scores(conn: Connection, line_ids: Sequence[int]) -> dict[int, GrantedScore]:
    """The scored decision behind each of ``line_ids`` that has one (by line id)."""
    found: dict[int, GrantedScore] = {}
    ids = sorted(set(line_ids))
    for start in range(0, len(ids), 1000):
        query = select(
            decision_record.c.line_id,
            decision_record.c.model_version,
            decision_record.c.credit_points,
            decision_record.c.inputs,
        ).where(
            decision_record.c.line_id.in_(ids[start : start + 1000])
            & decision_record.c.approved
            & decision_record.c.credit_points.is_not(None)
            & decision_record.c.model_version.is_not(None)
        )
        for row in conn.execute(query):
            found[int(row.line_id)] = GrantedScore(
                int(row.line_id),
                str(row.model_version),
                int(row.credit_points),
                dict(json.loads(row.inputs).get("features") or {}),
            )
    return found


def decisions_of(conn: Connection, person_key: str, limit: int = 20) -> list[StoredDecision]:
    ids = conn.execute(
        select(decision_record.c.id)
        .where(decision_record.c.person_key == person_key)
        .order_by(decision_record.c.id.desc())
        .limit(limit)
    ).scalars()
    return [get(conn, i) for i in ids]


# -- what the lender knows of an applicant ------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApplicantFacts:
    """Everything a 310 decision reads about the applicant, in one round trip: the customer
    record, the household register 户籍 entry (None if absent), an active consent for the
    policy's purpose, the exclusion list, the last decline, and the lending facts — worst open
    DPD, limits held (active or frozen lines), scheduled repayments of the next 12 months."""

    #: The open business date 营业日 the facts are as of.
    business_date: date
    name: str
    county: str
    segment: str
    registered_name: str | None
    birth_date: date | None
    has_consent: bool
    blacklisted: bool
    last_decline_on: date | None
    max_open_days_past_due: int
    existing_limit_fen: int
    annual_debt_service_fen: int
    #: The newest feature snapshot — read only when the consent covers the policy's purpose.
    snapshot: Snapshot | None


def applicants_facts(
    conn: Connection,
    applicants: Sequence[tuple[int, str, datetime]],
    consent_purpose: str,
) -> list[ApplicantFacts | None]:
    """The facts of each ``(customer_id, person_key, at)`` as of the open business date (read
    with them) and the applicant's instant ``at`` (for consent), in one statement for all (a
    decision is latency-bound: ten reads per applicant cost more than the work they feed);
    None for an unknown customer."""
    found: list[ApplicantFacts | None] = [None] * len(applicants)
    arrays = conn.dialect.name == "postgresql"
    for start in range(0, len(applicants), MAX_FACTS_PER_STATEMENT):
        chunk = applicants[start : start + MAX_FACTS_PER_STATEMENT]
        parameters: dict[str, object] = {"purpose": consent_purpose}
        if arrays:
            parameters["customer_ids"] = [customer_id for customer_id, _, _ in chunk]
            parameters["person_keys"] = [person_key for _, person_key, _ in chunk]
            parameters["ats"] = [at for _, _, at in chunk]
        else:
            for position, (customer_id, person_key, at) in enumerate(chunk):
                parameters[f"c{position}"] = customer_id
                parameters[f"k{position}"] = person_key
                parameters[f"t{position}"] = at
        query = _applicant_facts_query(None if arrays else len(chunk))
        for row in conn.execute(query, parameters):
            position = int(row.position)
            found[start + position] = _facts(row, chunk[position][1])
    return found


def applicant_facts(
    conn: Connection,
    customer_id: int,
    person_key: str,
    consent_purpose: str,
    now: datetime,
) -> ApplicantFacts:
    """One applicant's facts (``applicants_facts``); ``CUSTOMER_NOT_FOUND`` if unknown."""
    (facts,) = applicants_facts(conn, [(customer_id, person_key, now)], consent_purpose)
    if facts is None:
        raise NotFound(
            "CUSTOMER_NOT_FOUND", f"客户不存在：{customer_id}", f"no customer {customer_id}"
        )
    return facts


def _facts(row: Any, person_key: str) -> ApplicantFacts:
    return ApplicantFacts(
        business_date=opened_business_date(row.business_date),
        name=str(row.name),
        county=str(row.county),
        segment=str(row.segment),
        registered_name=None if row.registered_name is None else str(row.registered_name),
        birth_date=row.birth_date,
        has_consent=bool(row.has_consent),
        blacklisted=bool(row.blacklisted),
        last_decline_on=row.last_decline_on,
        max_open_days_past_due=int(row.dpd or 0),
        existing_limit_fen=int(row.limits or 0),
        annual_debt_service_fen=int(row.service or 0),
        snapshot=None
        if row.snapshot_features is None
        else Snapshot(
            person_key,
            row.snapshot_as_of,
            int(row.snapshot_build_id),
            json.loads(row.snapshot_features),
        ),
    )


#: Applicants per facts statement (a batch of 310 applications is at most 32).
MAX_FACTS_PER_STATEMENT = 64


#: The debt service a decision counts: repayments due within this many days of the business date.
SERVICE_HORIZON_DAYS = 365


class _DaysAfter(FunctionElement[date]):
    """``day`` plus a fixed number of days, as a date, in either engine's SQL."""

    type = Date()
    inherit_cache = True
    name = "days_after"

    def __init__(self, day: ColumnElement[date], days: int) -> None:
        self.days = int(days)
        super().__init__(day)


@compiles(_DaysAfter, "postgresql")
def _days_after_postgresql(element: _DaysAfter, compiler: SQLCompiler, **kw: Any) -> str:
    (day,) = element.clauses
    return f"({compiler.process(day, **kw)} + {element.days})"


@compiles(_DaysAfter, "sqlite")
def _days_after_sqlite(element: _DaysAfter, compiler: SQLCompiler, **kw: Any) -> str:
    (day,) = element.clauses
    return f"date({compiler.process(day, **kw)}, '+{element.days} days')"


def _applicants(size: int | None) -> CTE:
    """The applicants as a table (``position`` from 0, ``customer_id``, ``person_key``,
    ``at``). ``None``: three array parameters unnested (PostgreSQL) — one statement for any
    number of applicants, converted by the driver and planned by the server once. Otherwise
    ``size`` rows of parameters ``c0, k0, t0, c1, …`` (a ``VALUES`` list would read better,
    but SQLAlchemy cannot cache a statement holding one and compiled it on every execution:
    1.3 ms a decision)."""
    if size is None:
        rows = (
            func.unnest(
                bindparam("customer_ids", type_=ARRAY(BigInteger)),
                bindparam("person_keys", type_=ARRAY(String)),
                bindparam("ats", type_=ARRAY(DateTime(timezone=True))),
            )
            .table_valued(
                column("customer_id", BigInteger),
                column("person_key", String),
                column("at", DateTime(timezone=True)),
                with_ordinality="ordinality",
            )
            .render_derived()
        )
        return select(
            (rows.c.ordinality - 1).label("position"),
            rows.c.customer_id,
            rows.c.person_key,
            rows.c.at,
        ).cte("applicant")
    return union_all(
        *(
            select(
                literal(position, Integer).label("position"),
                bindparam(f"c{position}", type_=BigInteger).label("customer_id"),
                bindparam(f"k{position}", type_=String).label("person_key"),
                bindparam(f"t{position}", type_=DateTime(timezone=True)).label("at"),
            )
            for position in range(size)
        )
    ).cte("applicant")


@lru_cache(maxsize=MAX_FACTS_PER_STATEMENT + 1)
def _applicant_facts_query(size: int | None) -> Select[Any]:
    """The facts statement for the applicants of ``_applicants(size)``, built once per size:
    composing it costs more CPU than running it. The applicants are a table (a common table
    expression) joined to the customer; every other fact is a subquery on that applicant's
    row."""
    applicant = _applicants(size)
    customer_id = applicant.c.customer_id
    person_key = applicant.c.person_key
    now = applicant.c.at
    residents = FACT_TABLES["government/residents"]
    today = select(system_state.c.business_date).scalar_subquery()
    open_loans = (loan.c.customer_id == customer_id) & loan.c.status.in_(("active", "overdue"))
    has_consent = exists().where(
        (consent.c.person_key == person_key)
        & (consent.c.purpose == bindparam("purpose", type_=String))
        & (consent.c.granted_at <= now)
        & (consent.c.withdrawn_at.is_(None) | (consent.c.withdrawn_at > now))
    )
    blacklisted = exists().where(blacklist.c.person_key == person_key)
    last_decline = select(func.max(decision_record.c.applied_on)).where(
        (decision_record.c.person_key == person_key) & decision_record.c.approved.is_(False)
    )
    dpd = select(func.max(loan.c.days_past_due)).where(open_loans)
    limits = select(func.sum(credit_line.c.limit_fen)).where(
        (credit_line.c.customer_id == customer_id) & credit_line.c.status.in_(("active", "frozen"))
    )
    owed = (
        loan_row.c.principal_fen
        + loan_row.c.interest_fen
        - loan_row.c.principal_paid_fen
        - loan_row.c.interest_paid_fen
    )
    service = (
        select(func.sum(owed))
        .select_from(loan_row.join(loan, loan.c.id == loan_row.c.loan_id))
        .where(open_loans & (loan_row.c.due_date <= _DaysAfter(today, SERVICE_HORIZON_DAYS)))
    )
    return select(
        applicant.c.position,
        today.label("business_date"),
        customer.c.name,
        customer.c.county,
        customer.c.segment,
        residents.c.name.label("registered_name"),
        residents.c.birth_date,
        has_consent.label("has_consent"),
        blacklisted.label("blacklisted"),
        last_decline.scalar_subquery().label("last_decline_on"),
        dpd.scalar_subquery().label("dpd"),
        limits.scalar_subquery().label("limits"),
        service.scalar_subquery().label("service"),
        feature_snapshot.c.as_of.label("snapshot_as_of"),
        feature_snapshot.c.build_id.label("snapshot_build_id"),
        feature_snapshot.c.features.label("snapshot_features"),
    ).select_from(
        applicant.join(customer, customer.c.id == customer_id)
        .outerjoin(residents, residents.c.person_key == person_key)
        # Consent gates the join: without it the snapshot never leaves the database.
        .outerjoin(feature_snapshot, newest_snapshot_of(person_key) & has_consent)
    )


# -- exclusion list -----------------------------------------------------------------------


def is_blacklisted(conn: Connection, person_key: str) -> bool:
    found = conn.execute(select(blacklist.c.person_key).where(blacklist.c.person_key == person_key))
    return found.first() is not None


def add_to_blacklist(conn: Connection, person_key: str, reason: str, now: datetime) -> None:
    if not is_blacklisted(conn, person_key):
        conn.execute(insert(blacklist).values(person_key=person_key, reason=reason, added_at=now))


# -- human review queue -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Review:
    review_id: int
    decision_id: int
    county: str
    status: str
    requested_at: datetime
    note: str
    officer_user_id: int | None
    resolution_note: str | None


def _review(row: Any) -> Review:
    return Review(
        review_id=row["id"],
        decision_id=row["decision_id"],
        county=row["county"],
        status=row["status"],
        requested_at=row["requested_at"],
        note=row["note"],
        officer_user_id=row["officer_user_id"],
        resolution_note=row["resolution_note"],
    )


def request_review(
    conn: Connection, decision_id: int, county: str, note: str, now: datetime
) -> Review:
    existing = (
        conn.execute(select(review_request).where(review_request.c.decision_id == decision_id))
        .mappings()
        .first()
    )
    if existing is not None:
        return _review(existing)
    review_id = next_id(conn, review_request)
    conn.execute(
        insert(review_request).values(
            id=review_id,
            decision_id=decision_id,
            county=county,
            requested_at=now,
            note=note,
            status="open",
        )
    )
    return get_review(conn, review_id)


def review_of_decision(conn: Connection, decision_id: int) -> Review | None:
    row = (
        conn.execute(select(review_request).where(review_request.c.decision_id == decision_id))
        .mappings()
        .first()
    )
    return None if row is None else _review(row)


def get_review(conn: Connection, review_id: int) -> Review:
    row = (
        conn.execute(select(review_request).where(review_request.c.id == review_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("REVIEW_NOT_FOUND", "找不到该人工复核申请", f"no review request {review_id}")
    return _review(row)


def reviews(conn: Connection, county: str | None, status: str | None = "open") -> list[Review]:
    query = select(review_request).order_by(review_request.c.id)
    if county is not None:
        query = query.where(review_request.c.county == county)
    if status is not None:
        query = query.where(review_request.c.status == status)
    return [_review(r) for r in conn.execute(query.limit(500)).mappings()]


def resolve_review(
    conn: Connection, review_id: int, officer_user_id: int, status: str, note: str, now: datetime
) -> Review:
    current = get_review(conn, review_id)
    if current.status != "open":
        raise Conflict(
            "REVIEW_CLOSED",
            "该复核申请已处理",
            f"review request {review_id} is already {current.status}",
        )
    conn.execute(
        update(review_request)
        .where(review_request.c.id == review_id)
        .values(
            status=status, officer_user_id=officer_user_id, resolved_at=now, resolution_note=note
        )
    )
    return get_review(conn, review_id)
