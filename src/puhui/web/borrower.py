"""The borrower's own pages: credit line, wallet, loans and schedules, statement, messages.

Reads go through ``services.lending`` and the store's read functions; each page first asks
``authz.authorize`` about the customer or loan it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from fastapi import APIRouter, Request, Response

from puhui.api.authz import Action, authorize
from puhui.api.deps import Services, ServicesDep, customer_scope, loan_scope
from puhui.api.schemas import Price, price
from puhui.errors import Forbidden
from puhui.ledger import AccountKind, account_code
from puhui.loans import CreditLine, LineStatus, Loan
from puhui.products import Product
from puhui.store import ledger as ledger_store
from puhui.store import loans as loan_store
from puhui.web import i18n
from puhui.web.pages import BorrowerDep, PageRoute, Viewer, ViewerDep, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: A due date this close (or already past) is a message on the notifications page.
DUE_SOON = timedelta(days=7)


def own_customer(reader: Viewer, svc: Services) -> int:
    """The reader's customer id, after ``authz`` agrees they may read that customer."""
    customer_id = reader.principal.customer_id
    if customer_id is None:
        raise i18n.error(Forbidden, "FORBIDDEN", "err.no_customer")
    authorize(reader.principal, Action.READ, customer_scope(customer_id, svc))
    return customer_id


@dataclass(frozen=True, slots=True)
class LineView:
    line: CreditLine
    product: Product
    available_fen: int
    price: Price

    @property
    def drawable(self) -> bool:
        return self.line.status is LineStatus.ACTIVE and self.available_fen > 0


def line_views(svc: Services, customer_id: int) -> list[LineView]:
    with svc.db.read() as conn:
        lines = loan_store.lines_of(conn, customer_id)
        on = svc.db.business_date(conn)
    return [
        LineView(
            line,
            svc.lending.catalogue.get(line.product_code),
            line.available_fen(on),
            price(line.rate_annual),
        )
        for line in lines
    ]


def customer_loans(svc: Services, customer_id: int) -> list[Loan]:
    """All the customer's loans, open ones first, newest first."""
    with svc.db.read() as conn:
        loans = loan_store.loans_of(conn, customer_id=customer_id)
    return sorted(loans, key=lambda x: (x.status.closed, -x.loan_id))


def wallet_fen(svc: Services, customer_id: int) -> int:
    with svc.db.read() as conn:
        return loan_store.wallet_balance(conn, customer_id)


@router.get("/line")
def line_page(request: Request, reader: BorrowerDep, svc: ServicesDep) -> Response:
    """我的额度 limit, available, APR and daily rate, methods, expiry; wallet; loans."""
    customer_id = own_customer(reader, svc)
    return render(
        request,
        "line.html",
        {
            "lines": line_views(svc, customer_id),
            "wallet_fen": wallet_fen(svc, customer_id),
            "loans": [x for x in customer_loans(svc, customer_id) if not x.status.closed],
        },
        reader=reader,
    )


@router.get("/wallet")
def wallet_page(
    request: Request, reader: BorrowerDep, svc: ServicesDep, drawn: int | None = None
) -> Response:
    """钱包 the balance; after a drawdown, the money that just arrived."""
    customer_id = own_customer(reader, svc)
    arrived = None
    if drawn is not None:
        authorize(reader.principal, Action.READ, loan_scope(drawn, svc))
        arrived = svc.lending.loan(drawn)
    return render(
        request,
        "wallet.html",
        {"wallet_fen": wallet_fen(svc, customer_id), "arrived": arrived},
        reader=reader,
    )


@router.get("/loans")
def loans_page(request: Request, reader: BorrowerDep, svc: ServicesDep) -> Response:
    customer_id = own_customer(reader, svc)
    return render(request, "loans.html", {"loans": customer_loans(svc, customer_id)}, reader=reader)


def next_row_due_fen(item: Loan) -> tuple[date | None, int]:
    """The next unsettled row's due date and what it still asks for."""
    for row in item.rows:
        if not row.settled:
            return row.due_date, row.principal_unpaid_fen + row.interest_unpaid_fen
    return None, 0


@router.get("/loans/{loan_id}")
def loan_page(
    request: Request,
    loan_id: int,
    reader: ViewerDep,
    svc: ServicesDep,
    repaid: int = 0,
) -> Response:
    """还款计划 one loan: rows with what was paid, the next due date, the APR."""
    authorize(reader.principal, Action.READ, loan_scope(loan_id, svc))
    item = svc.lending.loan(loan_id)
    next_due, next_fen = next_row_due_fen(item)
    return render(
        request,
        "loan.html",
        {
            "loan": item,
            "price": price(item.rate_annual),
            "next_due": next_due,
            "next_fen": next_fen,
            "today": svc.lending.business_date(),
            "repaid": bool(repaid),
            "may_repay": reader.is_borrower and not item.status.closed,
        },
        reader=reader,
    )


@router.get("/statement")
def statement_page(request: Request, reader: BorrowerDep, svc: ServicesDep) -> Response:
    """对账单 every movement of the wallet with the running balance, newest first."""
    customer_id = own_customer(reader, svc)
    with svc.db.read() as conn:
        opening, lines = ledger_store.statement(conn, account_code(AccountKind.WALLET, customer_id))
    return render(
        request,
        "statement.html",
        {"opening_fen": opening, "lines": list(reversed(lines))},
        reader=reader,
    )


@dataclass(frozen=True, slots=True)
class Notice:
    """A message for the borrower: a row due soon or overdue."""

    loan_id: int
    due_date: date
    amount_fen: int
    days: int  # days until due; negative = days overdue


def due_notices(loans: list[Loan], today: date) -> list[Notice]:
    """Unsettled rows due within :data:`DUE_SOON` of ``today`` or already past due."""
    notices = [
        Notice(
            item.loan_id,
            row.due_date,
            row.principal_unpaid_fen + row.interest_unpaid_fen,
            (row.due_date - today).days,
        )
        for item in loans
        if not item.status.closed
        for row in item.rows
        if not row.settled and row.due_date <= today + DUE_SOON
    ]
    return sorted(notices, key=lambda n: (n.due_date, n.loan_id))


@router.get("/notifications")
def notifications_page(request: Request, reader: BorrowerDep, svc: ServicesDep) -> Response:
    """消息 due-soon and overdue reminders, computed from the schedules.

    Integration point (issue 6, risk monitoring): when the risk engineer's notification table
    lands, list its rows for this customer here as well; the schedule-derived reminders stay.
    """
    customer_id = own_customer(reader, svc)
    today = svc.lending.business_date()
    return render(
        request,
        "notifications.html",
        {"notices": due_notices(customer_loans(svc, customer_id), today), "today": today},
        reader=reader,
    )
