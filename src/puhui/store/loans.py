"""Repositories for customers, credit lines and loans (domain objects ⇄ rows).

Loan ids are assigned as ``MAX(id) + 1`` inside the serialised write transaction
(``Database.write``) because a loan's ledger accounts are named after its id and must exist
before the loan row. Credit-line ids come from the table's sequence (``insert_lines``): a 310
decision opens lines outside the ledger lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping

from puhui.errors import NotFound, ValidationError, invariant
from puhui.ledger import AccountKind, account_code
from puhui.loans import AssetClass, CreditLine, LineStatus, Loan, LoanStatus, Row, RowKind
from puhui.money import rate_from_e8, rate_to_e8
from puhui.products import Segment
from puhui.schedule import Basis, Method
from puhui.store.ledger import ensure_accounts, utcnow
from puhui.store.rows import insert_batch, next_id
from puhui.store.tables import app_user, credit_line, customer, loan, loan_row

# -- customers ----------------------------------------------------------------------------


def next_customer_id(conn: Connection) -> int:
    return next_id(conn, customer)


def add_customer(
    conn: Connection,
    name: str,
    segment: str,
    county: str = "",
    township: str = "",
    village: str = "",
) -> int:
    """Create a customer and their wallet account; returns the customer id."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError(
            "CUSTOMER_NAME", "姓名不能为空且不超过 100 字", "name must be 1..100 characters"
        )
    try:
        Segment(segment)
    except ValueError:
        raise ValidationError(
            "CUSTOMER_SEGMENT",
            f"客群必须是 {', '.join(s.value for s in Segment)} 之一",
            f"segment must be one of {', '.join(s.value for s in Segment)}; got {segment!r}",
        ) from None
    customer_id = next_customer_id(conn)
    wallet_code = account_code(AccountKind.WALLET, customer_id)
    wallet_id = ensure_accounts(conn, [wallet_code])[wallet_code]
    conn.execute(
        insert(customer).values(
            id=customer_id,
            name=name,
            segment=segment,
            county=county,
            township=township,
            village=village,
            wallet_account_id=wallet_id,
            wallet_balance_fen=0,
            created_at=utcnow(),
        )
    )
    return customer_id


_CUSTOMER = select(customer).where(customer.c.id == bindparam("customer_id"))


def get_customer(conn: Connection, customer_id: int) -> RowMapping:
    row = conn.execute(_CUSTOMER, {"customer_id": customer_id}).mappings().first()
    if row is None:
        raise NotFound(
            "CUSTOMER_NOT_FOUND", f"客户不存在：{customer_id}", f"no customer {customer_id}"
        )
    return row


def wallet_balance(conn: Connection, customer_id: int) -> int:
    return int(get_customer(conn, customer_id)["wallet_balance_fen"])


def add_to_wallet(conn: Connection, customer_id: int, delta_fen: int) -> int:
    """Change the wallet balance by ``delta_fen``; returns the new balance (never negative)."""
    new = wallet_balance(conn, customer_id) + delta_fen
    if new < 0:
        raise ValidationError(
            "INSUFFICIENT_FUNDS",
            "钱包余额不足",
            f"wallet balance is insufficient (short by {-new} fen)",
        )
    conn.execute(
        update(customer).where(customer.c.id == customer_id).values(wallet_balance_fen=new)
    )
    return new


# -- credit lines -------------------------------------------------------------------------


def _line_from(row: RowMapping) -> CreditLine:
    return CreditLine(
        line_id=row["id"],
        customer_id=row["customer_id"],
        product_code=row["product_code"],
        limit_fen=row["limit_fen"],
        rate_annual=rate_from_e8(row["rate_annual_e8"]),
        penalty_rate_annual=rate_from_e8(row["penalty_rate_e8"]),
        band=row["band"],
        methods=tuple(Method(m) for m in row["methods"].split(",") if m),
        granted_on=row["granted_on"],
        expires_on=row["expires_on"],
        revolving=row["revolving"],
        status=LineStatus(row["status"]),
        used_fen=row["used_fen"],
        drawn_total_fen=row["drawn_total_fen"],
    )


def line_values(line: CreditLine) -> dict[str, Any]:
    return {
        "customer_id": line.customer_id,
        "product_code": line.product_code,
        "limit_fen": line.limit_fen,
        "rate_annual_e8": rate_to_e8(line.rate_annual),
        "penalty_rate_e8": rate_to_e8(line.penalty_rate_annual),
        "band": line.band,
        "methods": ",".join(m.value for m in line.methods),
        "granted_on": line.granted_on,
        "expires_on": line.expires_on,
        "revolving": line.revolving,
        "status": line.status.value,
        "used_fen": line.used_fen,
        "drawn_total_fen": line.drawn_total_fen,
    }


#: The ``line_id`` of a line not yet stored: ``insert_lines`` numbers it.
UNNUMBERED = 0


def insert_lines(conn: Connection, lines: Sequence[CreditLine]) -> list[CreditLine]:
    """Store new lines (one statement, ``rows.insert_batch``) and return them numbered, in
    order: the ids are the column default — the table's sequence on PostgreSQL (no ledger lock
    needed), the rowid on SQLite — taken in the same statement as the insert."""
    for line in lines:
        invariant(line.line_id == UNNUMBERED, f"line {line.line_id} is already numbered")
    if not lines:
        return []
    created_at = utcnow()
    ids = insert_batch(
        conn,
        credit_line,
        [{"created_at": created_at, **line_values(line)} for line in lines],
        ids=True,
    )
    return [replace(line, line_id=int(i)) for line, i in zip(lines, ids, strict=True)]


def load_line(conn: Connection, line_id: int) -> CreditLine:
    row = conn.execute(select(credit_line).where(credit_line.c.id == line_id)).mappings().first()
    if row is None:
        raise NotFound("LINE_NOT_FOUND", f"授信额度不存在：{line_id}", f"no credit line {line_id}")
    return _line_from(row)


def lines_of(conn: Connection, customer_id: int) -> list[CreditLine]:
    rows = conn.execute(
        select(credit_line)
        .where(credit_line.c.customer_id == customer_id)
        .order_by(credit_line.c.id)
    ).mappings()
    return [_line_from(r) for r in rows]


@dataclass(frozen=True, slots=True)
class LineHolder:
    person_key: str
    customer_id: int
    line_id: int


def line_holders(conn: Connection, on: date) -> list[LineHolder]:
    """Everyone holding an open (active or frozen) line granted on or before ``on`` who is
    known by a person key, with their newest such line, in person-key order (a person key
    belongs to one borrower account, so to one customer)."""
    query = (
        select(app_user.c.person_key, credit_line.c.customer_id, func.max(credit_line.c.id))
        .join(app_user, app_user.c.customer_id == credit_line.c.customer_id)
        .where(
            (credit_line.c.status != LineStatus.CLOSED.value)
            & (credit_line.c.granted_on <= on)
            & app_user.c.person_key.is_not(None)
        )
        .group_by(app_user.c.person_key, credit_line.c.customer_id)
        .order_by(app_user.c.person_key)
    )
    return [LineHolder(str(k), int(c), int(i)) for k, c, i in conn.execute(query)]


def save_line(conn: Connection, line: CreditLine) -> None:
    conn.execute(
        update(credit_line).where(credit_line.c.id == line.line_id).values(**line_values(line))
    )


# -- loans --------------------------------------------------------------------------------


def next_loan_id(conn: Connection) -> int:
    return next_id(conn, loan)


def loan_account_ids(conn: Connection, loan_id: int) -> tuple[int, int, int]:
    codes = [
        account_code(AccountKind.LOAN_PRINCIPAL, loan_id),
        account_code(AccountKind.INTEREST_RECEIVABLE, loan_id),
        account_code(AccountKind.PENALTY_RECEIVABLE, loan_id),
    ]
    ids = ensure_accounts(conn, codes)
    return ids[codes[0]], ids[codes[1]], ids[codes[2]]


def loan_values(item: Loan) -> dict[str, Any]:
    """Column values of a loan, with the running-period and next-due denormalisation."""
    assert item.interest_through is not None
    assert item.penalty_through is not None
    current = None if item.status.closed else item.current_row(item.interest_through)
    open_dues = [r.due_date for r in item.rows if not r.settled]
    return {
        "line_id": item.line_id,
        "customer_id": item.customer_id,
        "product_code": item.product_code,
        "principal_fen": item.principal_fen,
        "rate_annual_e8": rate_to_e8(item.rate_annual),
        "penalty_rate_e8": rate_to_e8(item.penalty_rate_annual),
        "method": item.method.value,
        "basis": item.basis.value,
        "principal_months": ",".join(str(m) for m in sorted(item.principal_months)),
        "start_date": item.start_date,
        "term_months": item.term_months,
        "principal_outstanding_fen": item.principal_outstanding_fen,
        "interest_receivable_fen": item.interest_receivable_fen,
        "penalty_receivable_fen": item.penalty_receivable_fen,
        "interest_through": item.interest_through,
        "penalty_through": item.penalty_through,
        "accrued_seq": item.accrued_seq,
        "accrued_fen": item.accrued_fen,
        "status": item.status.value,
        "days_past_due": item.days_past_due,
        "asset_class": item.asset_class.value,
        "closed_on": item.closed_on,
        "cur_seq": current.seq if current else None,
        "cur_period_start": current.period_start if current else None,
        "cur_due_date": current.due_date if current else None,
        "cur_opening_fen": current.opening_fen if current else None,
        "cur_interest_fen": current.interest_fen if current else None,
        "cur_daily": current.daily if current else None,
        "next_due_date": None if item.status.closed or not open_dues else min(open_dues),
    }


def row_values(loan_id: int, r: Row) -> dict[str, Any]:
    return {
        "loan_id": loan_id,
        "seq": r.seq,
        "kind": r.kind.value,
        "period_start": r.period_start,
        "due_date": r.due_date,
        "opening_fen": r.opening_fen,
        "principal_fen": r.principal_fen,
        "interest_fen": r.interest_fen,
        "daily": r.daily,
        "principal_paid_fen": r.principal_paid_fen,
        "interest_paid_fen": r.interest_paid_fen,
    }


def insert_loan(conn: Connection, item: Loan) -> None:
    principal_id, interest_id, penalty_id = loan_account_ids(conn, item.loan_id)
    conn.execute(
        insert(loan).values(
            id=item.loan_id,
            principal_account_id=principal_id,
            interest_account_id=interest_id,
            penalty_account_id=penalty_id,
            created_at=utcnow(),
            **loan_values(item),
        )
    )
    conn.execute(insert(loan_row), [row_values(item.loan_id, r) for r in item.rows])


def save_loan(conn: Connection, item: Loan) -> None:
    """Write a loan's state and its rows (rows are rewritten: a prepayment reshapes them)."""
    conn.execute(update(loan).where(loan.c.id == item.loan_id).values(**loan_values(item)))
    conn.execute(delete(loan_row).where(loan_row.c.loan_id == item.loan_id))
    conn.execute(insert(loan_row), [row_values(item.loan_id, r) for r in item.rows])


def save_loans_serviced(conn: Connection, items: Sequence[Loan]) -> None:
    """Batch write of loans whose rows changed only in paid amounts (the day-close pass)."""
    if not items:
        return
    conn.execute(
        update(loan).where(loan.c.id == bindparam("b_id")),
        [{"b_id": it.loan_id, **loan_values(it)} for it in items],
    )
    conn.execute(
        update(loan_row).where(
            (loan_row.c.loan_id == bindparam("b_loan")) & (loan_row.c.seq == bindparam("b_seq"))
        ),
        [
            {
                "b_loan": it.loan_id,
                "b_seq": r.seq,
                "principal_paid_fen": r.principal_paid_fen,
                "interest_paid_fen": r.interest_paid_fen,
            }
            for it in items
            for r in it.rows
        ],
    )


def _loan_from(row: RowMapping, rows: Iterable[RowMapping]) -> Loan:
    months = frozenset(int(m) for m in row["principal_months"].split(",") if m)
    return Loan(
        loan_id=row["id"],
        line_id=row["line_id"],
        customer_id=row["customer_id"],
        product_code=row["product_code"],
        principal_fen=row["principal_fen"],
        rate_annual=rate_from_e8(row["rate_annual_e8"]),
        penalty_rate_annual=rate_from_e8(row["penalty_rate_e8"]),
        method=Method(row["method"]),
        basis=Basis(row["basis"]),
        principal_months=months,
        start_date=row["start_date"],
        term_months=row["term_months"],
        rows=tuple(
            Row(
                seq=r["seq"],
                period_start=r["period_start"],
                due_date=r["due_date"],
                opening_fen=r["opening_fen"],
                principal_fen=r["principal_fen"],
                interest_fen=r["interest_fen"],
                daily=r["daily"],
                principal_paid_fen=r["principal_paid_fen"],
                interest_paid_fen=r["interest_paid_fen"],
                kind=RowKind(r["kind"]),
            )
            for r in rows
        ),
        principal_outstanding_fen=row["principal_outstanding_fen"],
        interest_receivable_fen=row["interest_receivable_fen"],
        penalty_receivable_fen=row["penalty_receivable_fen"],
        interest_through=row["interest_through"],
        penalty_through=row["penalty_through"],
        accrued_seq=row["accrued_seq"],
        accrued_fen=row["accrued_fen"],
        status=LoanStatus(row["status"]),
        days_past_due=row["days_past_due"],
        asset_class=AssetClass(row["asset_class"]),
        closed_on=row["closed_on"],
    )


def load_loans(conn: Connection, loan_ids: Sequence[int]) -> list[Loan]:
    """Loans by id (in id order), with their rows."""
    out: list[Loan] = []
    for start in range(0, len(loan_ids), 1000):
        chunk = list(loan_ids[start : start + 1000])
        heads = (
            conn.execute(select(loan).where(loan.c.id.in_(chunk)).order_by(loan.c.id))
            .mappings()
            .all()
        )
        rows: dict[int, list[RowMapping]] = {}
        for r in conn.execute(
            select(loan_row)
            .where(loan_row.c.loan_id.in_(chunk))
            .order_by(loan_row.c.loan_id, loan_row.c.seq)
        ).mappings():
            rows.setdefault(r["loan_id"], []).append(r)
        out.extend(_loan_from(h, rows.get(h["id"], [])) for h in heads)
    return out


def load_loan(conn: Connection, loan_id: int) -> Loan:
    found = load_loans(conn, [loan_id])
    if not found:
        raise NotFound("LOAN_NOT_FOUND", f"借据不存在：{loan_id}", f"no loan {loan_id}")
    return found[0]


def loans_of(
    conn: Connection, *, customer_id: int | None = None, line_id: int | None = None
) -> list[Loan]:
    query = select(loan.c.id).order_by(loan.c.id)
    if customer_id is not None:
        query = query.where(loan.c.customer_id == customer_id)
    if line_id is not None:
        query = query.where(loan.c.line_id == line_id)
    return load_loans(conn, list(conn.execute(query).scalars()))
