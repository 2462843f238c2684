"""Portfolio aggregates for management and the county government (no personal data)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from puhui.store.tables import credit_line, customer, loan


@dataclass(frozen=True, slots=True)
class Portfolio:
    customers: int
    lines_active: int
    borrowers_now: int
    loans_open: int
    outstanding_fen: int
    npl_fen: int
    by_class_fen: dict[str, int]
    by_township_fen: dict[str, int]


def portfolio(conn: Connection, county: str | None = None) -> Portfolio:
    """普惠 figures: who was reached, who borrows now, balance, NPL — optionally one county."""
    in_county = customer.c.county == county if county else customer.c.id.is_not(None)
    open_loan = loan.c.status.in_(("active", "overdue"))
    joined = loan.join(customer, customer.c.id == loan.c.customer_id)
    customers = conn.execute(
        select(func.count()).select_from(customer).where(in_county)
    ).scalar_one()
    lines_active = conn.execute(
        select(func.count())
        .select_from(credit_line.join(customer, customer.c.id == credit_line.c.customer_id))
        .where(in_county & (credit_line.c.status == "active"))
    ).scalar_one()
    borrowers, loans_open = conn.execute(
        select(func.count(func.distinct(loan.c.customer_id)), func.count())
        .select_from(joined)
        .where(in_county & open_loan)
    ).one()
    by_class = dict(
        conn.execute(
            select(loan.c.asset_class, func.sum(loan.c.principal_outstanding_fen))
            .select_from(joined)
            .where(in_county & open_loan)
            .group_by(loan.c.asset_class)
        ).all()
    )
    by_township = dict(
        conn.execute(
            select(customer.c.township, func.sum(loan.c.principal_outstanding_fen))
            .select_from(joined)
            .where(in_county & open_loan)
            .group_by(customer.c.township)
        ).all()
    )
    by_class = {k: int(v) for k, v in by_class.items()}
    npl = sum(v for k, v in by_class.items() if k in ("substandard", "doubtful", "loss"))
    return Portfolio(
        customers=int(customers),
        lines_active=int(lines_active),
        borrowers_now=int(borrowers),
        loans_open=int(loans_open),
        outstanding_fen=sum(by_class.values()),
        npl_fen=npl,
        by_class_fen=by_class,
        by_township_fen={k or "-": int(v) for k, v in by_township.items()},
    )
