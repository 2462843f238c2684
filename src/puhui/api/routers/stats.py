"""Aggregates for management, officers and the county government — no personal data."""

from __future__ import annotations

from fastapi import APIRouter

from puhui.api import schemas
from puhui.api.authz import aggregate_county
from puhui.api.deps import PrincipalDep, ServicesDep
from puhui.store.reports import portfolio

router = APIRouter(prefix="/stats", tags=["statistics 统计"])


@router.get("/portfolio")
def portfolio_stats(principal: PrincipalDep, svc: ServicesDep) -> schemas.PortfolioOut:
    """普惠成效 reach, borrowing, balance and NPL.

    An officer or a government viewer sees their own county; risk and admin the whole book.
    """
    county = aggregate_county(principal)
    with svc.db.read() as conn:
        p = portfolio(conn, county)
    ratio = p.npl_fen / p.outstanding_fen if p.outstanding_fen else 0
    return schemas.PortfolioOut(
        county=county,
        customers=p.customers,
        lines_active=p.lines_active,
        borrowers_now=p.borrowers_now,
        loans_open=p.loans_open,
        outstanding=schemas.yuan(p.outstanding_fen),
        npl=schemas.yuan(p.npl_fen),
        npl_ratio=f"{ratio:.2%}",
        by_class={k: schemas.yuan(v) for k, v in p.by_class_fen.items()},
        by_township={k: schemas.yuan(v) for k, v in p.by_township_fen.items()},
    )
