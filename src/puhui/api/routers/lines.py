"""Credit lines: list, view, preview a drawdown (schedule + APR), draw, freeze/unfreeze/close."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select

from puhui.api import schemas
from puhui.api.authz import Action, authorize, visible
from puhui.api.deps import IdempotencyKeyDep, LineScope, PrincipalDep, RecordId, ServicesDep
from puhui.loans import LineStatus
from puhui.store import loans as loan_store
from puhui.store.tables import credit_line, customer

router = APIRouter(prefix="/lines", tags=["credit lines 授信额度"])


@router.get("")
def list_lines(principal: PrincipalDep, svc: ServicesDep) -> list[schemas.LineOut]:
    """The lines the caller may see (a borrower's own, an officer's county, …)."""
    scope = visible(principal)
    if scope.nothing:
        return []
    query = select(credit_line.c.id).join(customer, customer.c.id == credit_line.c.customer_id)
    if scope.customer_id is not None:
        query = query.where(credit_line.c.customer_id == scope.customer_id)
    if scope.county is not None:
        query = query.where(customer.c.county == scope.county)
    with svc.db.read() as conn:
        ids = list(conn.execute(query.order_by(credit_line.c.id).limit(500)).scalars())
        lines = [loan_store.load_line(conn, i) for i in ids]
        on = svc.db.business_date(conn)
    return [schemas.line_out(x, svc.lending.catalogue.get(x.product_code), on) for x in lines]


@router.get("/{line_id}")
def get_line(
    line_id: RecordId, scope: LineScope, principal: PrincipalDep, svc: ServicesDep
) -> schemas.LineOut:
    authorize(principal, Action.READ, scope)
    line = svc.lending.line(line_id)
    return schemas.line_out(
        line, svc.lending.catalogue.get(line.product_code), svc.lending.business_date()
    )


@router.post("/{line_id}/preview")
def preview(
    line_id: RecordId,
    body: schemas.DrawIn,
    scope: LineScope,
    principal: PrincipalDep,
    svc: ServicesDep,
) -> schemas.SchedulePreviewOut:
    """试算 The schedule a drawdown would have today, with its APR; nothing is written."""
    authorize(principal, Action.READ, scope)
    return schemas.preview_out(
        svc.lending.preview(line_id, body.amount, body.term_months, body.method)
    )


@router.post("/{line_id}/drawdowns", status_code=status.HTTP_201_CREATED)
def draw(
    line_id: RecordId,
    body: schemas.DrawIn,
    key: IdempotencyKeyDep,
    scope: LineScope,
    principal: PrincipalDep,
    svc: ServicesDep,
) -> schemas.DrawOut:
    """支用 Draw on the line; the money goes to the wallet. Needs ``Idempotency-Key``."""
    authorize(principal, Action.DRAW, scope)
    result = svc.lending.draw(key, line_id, body.amount, body.term_months, body.method)
    from decimal import Decimal

    return schemas.DrawOut(
        loan_id=result.loan_id,
        amount=schemas.yuan(result.amount_fen),
        price=schemas.price(Decimal(result.rate_annual), Decimal(result.apr)),
        first_due_date=result.first_due_date,
        first_payment=schemas.yuan(result.first_payment_fen),
        total_interest=schemas.yuan(result.total_interest_fen),
        available_after=schemas.yuan(result.available_after_fen),
    )


def _set_status(
    line_id: RecordId, to: LineStatus, scope: LineScope, principal: PrincipalDep, svc: ServicesDep
) -> schemas.LineOut:
    authorize(principal, Action.MANAGE_LINE, scope)
    line = svc.lending.set_line_status(line_id, to)
    return schemas.line_out(
        line, svc.lending.catalogue.get(line.product_code), svc.lending.business_date()
    )


@router.post("/{line_id}/freeze")
def freeze(
    line_id: RecordId, scope: LineScope, principal: PrincipalDep, svc: ServicesDep
) -> schemas.LineOut:
    """冻结 No new drawdowns until unfrozen."""
    return _set_status(line_id, LineStatus.FROZEN, scope, principal, svc)


@router.post("/{line_id}/unfreeze")
def unfreeze(
    line_id: RecordId, scope: LineScope, principal: PrincipalDep, svc: ServicesDep
) -> schemas.LineOut:
    return _set_status(line_id, LineStatus.ACTIVE, scope, principal, svc)


@router.post("/{line_id}/close")
def close(
    line_id: RecordId, scope: LineScope, principal: PrincipalDep, svc: ServicesDep
) -> schemas.LineOut:
    return _set_status(line_id, LineStatus.CLOSED, scope, principal, svc)


@router.post("/{line_id}/limit")
def set_limit(
    line_id: RecordId,
    body: schemas.LimitIn,
    scope: LineScope,
    principal: PrincipalDep,
    svc: ServicesDep,
) -> schemas.LineOut:
    """调额 Raise or cut the limit (a cut below usage leaves nothing available)."""
    authorize(principal, Action.MANAGE_LINE, scope)
    line = svc.lending.set_line_limit(line_id, body.limit)
    return schemas.line_out(
        line, svc.lending.catalogue.get(line.product_code), svc.lending.business_date()
    )
