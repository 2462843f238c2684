"""Bulk opening of a loan book 批量建账: many customers, lines and loans in a few transactions.

For the demo county, benchmarks and tests that need a portfolio of 10⁴–10⁶ loans, and for an
operator moving a book of newly granted loans into puhui. Every loan goes through the same
domain rules as a single drawdown (``CreditLine.draw``, ``schedule.build_schedule``,
``loans.open_loan``); only the writes are batched (PostgreSQL ``COPY``, SQLite
``executemany``), and each batch's disbursements are one balanced journal entry.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import islice

from sqlalchemy import Connection, select

from puhui.errors import ValidationError
from puhui.ledger import AccountKind, account_code
from puhui.loans import CreditLine, open_loan
from puhui.money import to_fen
from puhui.products import Catalogue, Segment
from puhui.schedule import Basis, Method, Schedule, add_months, build_schedule
from puhui.store import ledger as ledger_store
from puhui.store import loans as loan_store
from puhui.store.db import Database
from puhui.store.rows import advance_sequence, claim_ids, insert_rows
from puhui.store.tables import account, credit_line, customer, loan, loan_row


@dataclass(frozen=True, slots=True)
class LoanSpec:
    """One customer with one line and (optionally) one drawdown on it."""

    name: str
    segment: str
    product_code: str
    limit_yuan: Decimal
    band: str
    amount_yuan: Decimal | None = None
    term_months: int = 12
    method: Method = Method.EQUAL_INSTALLMENT
    wallet_yuan: Decimal = Decimal(0)
    #: A borrower usually moves the loan to their bank card at once 提现; True keeps it in
    #: the wallet (where the day-close would auto-debit instalments from it).
    keep_disbursement: bool = False
    #: Draw date when moving in loans drawn recently (within the month before the business
    #: date, so that no instalment is past due); None means the open business date.
    start_date: date | None = None
    county: str = ""
    township: str = ""
    village: str = ""


@lru_cache(maxsize=65_536)
def _schedule(
    amount_fen: int,
    rate_annual: Decimal,
    term: int,
    on: date,
    method: Method,
    basis: Basis,
    months: frozenset[int],
) -> Schedule:
    return build_schedule(amount_fen, rate_annual, term, on, method, basis, months)


def _draw_date(spec: LoanSpec, on: date) -> date:
    drawn_on = spec.start_date or on
    if not (drawn_on <= on <= add_months(drawn_on, 1)):
        raise ValidationError(
            "BULK_START_DATE",
            f"迁入贷款的放款日必须在营业日 {on} 之前一个月以内（首期尚未逾期）",
            f"start_date must lie in the month before the business date {on}, "
            f"so that no instalment is past due; got {drawn_on}",
        )
    return drawn_on


def _batches(items: Iterable[LoanSpec], size: int) -> Iterator[list[LoanSpec]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def open_book(
    db: Database,
    catalogue: Catalogue,
    specs: Iterable[LoanSpec],
    *,
    batch_size: int = 20_000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Open customers, lines and loans for ``specs`` on the open business date; returns count."""
    total = 0
    for batch in _batches(specs, batch_size):
        with db.write() as conn:
            _open_batch(conn, db.business_date(conn), catalogue, batch)
        total += len(batch)
        if progress is not None:
            progress(total)
    return total


def _open_batch(conn: Connection, on: date, catalogue: Catalogue, batch: list[LoanSpec]) -> None:
    first_customer = loan_store.next_customer_id(conn)
    line_ids = claim_ids(conn, credit_line, len(batch))
    first_loan = loan_store.next_loan_id(conn)
    next_account = (
        int(conn.execute(select(account.c.id).order_by(account.c.id.desc()).limit(1)).scalar_one())
        + 1
    )
    ids = ledger_store.account_ids(conn, [k.value for k in AccountKind if not k.per_owner])
    now = ledger_store.utcnow()
    accounts, customers, lines, loans, rows = [], [], [], [], []
    legs: list[tuple[int, int, int]] = []

    def new_account(kind: AccountKind, owner: int) -> int:
        nonlocal next_account
        accounts.append(
            {
                "id": next_account,
                "code": account_code(kind, owner),
                "kind": kind.value,
                "owner_id": owner,
            }
        )
        next_account += 1
        return next_account - 1

    loan_id = first_loan
    for offset, spec in enumerate(batch):
        product = catalogue.get(spec.product_code)
        customer_id, line_id = first_customer + offset, line_ids[offset]
        wallet_id = new_account(AccountKind.WALLET, customer_id)
        wallet_fen = to_fen(spec.wallet_yuan)
        line = CreditLine(
            line_id=line_id,
            customer_id=customer_id,
            product_code=product.code,
            limit_fen=to_fen(spec.limit_yuan),
            rate_annual=product.rate_for(spec.band),
            band=spec.band,
            methods=product.methods_for(spec.band),
            granted_on=on,
            expires_on=add_months(on, product.line_validity_months),
            revolving=product.revolving,
            penalty_rate_annual=product.penalty_rate(product.rate_for(spec.band)),
        )
        if spec.amount_yuan is not None:
            amount_fen = to_fen(spec.amount_yuan)
            drawn_on = _draw_date(spec, on)
            product.check_draw(spec.amount_yuan, spec.term_months, spec.method)
            line = line.draw(amount_fen, on)
            schedule = _schedule(
                amount_fen,
                line.rate_annual,
                spec.term_months,
                drawn_on,
                spec.method,
                product.interest_basis,
                product.principal_months,
            )
            item, _ = open_loan(
                loan_id,
                line_id,
                customer_id,
                product.code,
                schedule,
                line.penalty_rate_annual,
                drawn_on,
                product.principal_months,
            )
            principal_id = new_account(AccountKind.LOAN_PRINCIPAL, loan_id)
            interest_id = new_account(AccountKind.INTEREST_RECEIVABLE, loan_id)
            penalty_id = new_account(AccountKind.PENALTY_RECEIVABLE, loan_id)
            loans.append(
                {
                    "id": loan_id,
                    "principal_account_id": principal_id,
                    "interest_account_id": interest_id,
                    "penalty_account_id": penalty_id,
                    "created_at": now,
                    **loan_store.loan_values(item),
                }
            )
            rows.extend(loan_store.row_values(loan_id, r) for r in item.rows)
            legs.append((principal_id, wallet_id, amount_fen))
            if spec.keep_disbursement:
                wallet_fen += amount_fen
            else:
                legs.append((wallet_id, ids["settlement"], amount_fen))
            loan_id += 1
        if spec.wallet_yuan:
            legs.append((ids["settlement"], wallet_id, to_fen(spec.wallet_yuan)))
        customers.append(
            {
                "id": customer_id,
                "name": spec.name,
                "segment": spec.segment,
                "county": spec.county,
                "township": spec.township,
                "village": spec.village,
                "wallet_account_id": wallet_id,
                "wallet_balance_fen": wallet_fen,
                "created_at": now,
            }
        )
        lines.append({"id": line_id, "created_at": now, **loan_store.line_values(line)})
    insert_rows(conn, account, accounts)
    advance_sequence(conn, account)  # ``ensure_accounts`` lets the id default to the sequence
    insert_rows(conn, customer, customers)
    insert_rows(conn, credit_line, lines)
    insert_rows(conn, loan, loans)
    insert_rows(conn, loan_row, rows)
    if legs:
        ledger_store.append(
            conn,
            f"bulk:{on.isoformat()}:{first_customer}",
            "drawdown",
            on,
            legs,
            memo=f"批量放款 bulk disbursement, customers {first_customer}+{len(batch) - 1}",
        )


_SEGMENT_FOR = {
    "xintai_farmer_line": Segment.FARMER,
    "merchant_sales_line": Segment.MERCHANT,
    "seasonal_farm_loan": Segment.FARMER,
    "disaster_insurance_loan": Segment.FARMER,
    "green_agri_loan": Segment.FARMER,
}


def _recent_date(rng: random.Random, on: date) -> date:
    """A draw date in the month before ``on`` whose first instalment is not yet past due."""
    span = (on - add_months(on, -1)).days
    drawn_on = on - timedelta(days=rng.randrange(0, span + 1))
    while add_months(drawn_on, 1) < on:  # month-end clipping (Mar 31 → Feb 28 → Mar 28)
        drawn_on += timedelta(days=1)
    return drawn_on


def synthetic_book(
    catalogue: Catalogue,
    n: int,
    seed: int,
    wallet_share: float = 0.7,
    spread_before: date | None = None,
    payer_share: float = 0.0,
) -> Iterator[LoanSpec]:
    """A seeded random book for demos, benchmarks and tests: every product, method and basis.

    ``n`` customers, each with one line and one drawdown. A ``payer_share`` of them fund their
    wallet with everything the loan will cost (the day-close auto-debits them to the end); of
    the rest, ``wallet_share`` keep some money there and the others nothing.

    With ``spread_before`` the loans were drawn over the month before that date, so due dates
    spread over the month as in a real book (some fall due on that very date).
    """
    rng = random.Random(seed)
    codes = sorted(catalogue.products)
    for i in range(n):
        product = catalogue.get(rng.choice(codes))
        band = rng.choice(sorted(product.rate_bands))
        methods = product.methods_for(band)
        low, high = int(product.amount_min_yuan), int(product.amount_max_yuan)
        limit = Decimal(rng.randrange(max(low, 2000), min(high, 100_000) + 1, 100))
        amount = Decimal(rng.randrange(int(product.draw_min_yuan), int(limit) + 1, 100))
        term = rng.choice(product.terms_months)
        if payer_share > 0 and rng.random() < payer_share:
            cost = amount * (1 + product.rate_for(band) * term / 12)
            wallet = cost.quantize(Decimal(10)) + 10
        else:  # some keep enough for a few instalments, some nothing
            wallet = (
                Decimal(rng.randrange(0, int(amount) // 2 + 1, 10))
                if rng.random() < wallet_share
                else Decimal(0)
            )
        yield LoanSpec(
            name=f"客户{i + 1}",
            segment=_SEGMENT_FOR[product.code].value,
            product_code=product.code,
            limit_yuan=limit,
            band=band,
            amount_yuan=amount,
            term_months=term,
            method=rng.choice(methods),
            wallet_yuan=wallet,
            keep_disbursement=rng.random() < 0.2,
            start_date=_recent_date(rng, spread_before) if spread_before else None,
            county="新泰市",
            township=rng.choice(["羊流镇", "楼德镇", "天宝镇", "小协镇"]),
        )
