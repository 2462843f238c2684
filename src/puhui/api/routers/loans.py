"""Loans: list, view, schedule, payoff quote, repay."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select

from puhui.api import schemas
from puhui.api.authz import Action, authorize, visible
from puhui.api.deps import IdempotencyKeyDep, LoanScope, PrincipalDep, RecordId, ServicesDep
from puhui.errors import ValidationError
from puhui.store import loans as loan_store
from puhui.store.tables import customer, loan

router = APIRouter(prefix="/loans", tags=["loans 借据"])


@router.get("")
def list_loans(principal: PrincipalDep, svc: ServicesDep) -> list[schemas.LoanOut]:
    scope = visible(principal)
    if scope.nothing:
        return []
    query = select(loan.c.id).join(customer, customer.c.id == loan.c.customer_id)
    if scope.customer_id is not None:
        query = query.where(loan.c.customer_id == scope.customer_id)
    if scope.county is not None:
        query = query.where(customer.c.county == scope.county)
    with svc.db.read() as conn:
        ids = list(conn.execute(query.order_by(loan.c.id.desc()).limit(500)).scalars())
        loans = loan_store.load_loans(conn, ids)
    return [schemas.loan_out(x) for x in sorted(loans, key=lambda x: -x.loan_id)]


@router.get("/{loan_id}")
def get_loan(
    loan_id: RecordId, scope: LoanScope, principal: PrincipalDep, svc: ServicesDep
) -> schemas.LoanOut:
    authorize(principal, Action.READ, scope)
    return schemas.loan_out(svc.lending.loan(loan_id))


@router.get("/{loan_id}/schedule")
def schedule(
    loan_id: RecordId, scope: LoanScope, principal: PrincipalDep, svc: ServicesDep
) -> list[schemas.RowOut]:
    """还款计划 with what has been paid against each row."""
    authorize(principal, Action.READ, scope)
    return schemas.rows_out(svc.lending.loan(loan_id))


@router.get("/{loan_id}/payoff")
def payoff(
    loan_id: RecordId, scope: LoanScope, principal: PrincipalDep, svc: ServicesDep
) -> schemas.PayoffOut:
    """提前结清金额 Everything owed to settle today: interest only to date, no fee."""
    authorize(principal, Action.READ, scope)
    return schemas.PayoffOut(
        loan_id=loan_id,
        payoff=schemas.yuan(svc.lending.payoff(loan_id)),
        as_of=svc.lending.business_date(),
    )


@router.post("/{loan_id}/repayments", status_code=status.HTTP_201_CREATED)
def repay(
    loan_id: RecordId,
    body: schemas.RepayIn,
    key: IdempotencyKeyDep,
    scope: LoanScope,
    principal: PrincipalDep,
    svc: ServicesDep,
) -> schemas.RepayOut:
    """还款 An amount (dues first, the rest prepays) or ``full`` to settle.

    Needs an ``Idempotency-Key`` header.
    """
    authorize(principal, Action.REPAY, scope)
    if body.full == (body.amount is not None):
        raise ValidationError(
            "REPAY_AMOUNT_OR_FULL",
            "请填写还款金额，或选择全部结清（二选一）",
            "give either amount or full=true",
        )
    result = svc.lending.repay(
        key, loan_id, None if body.full else body.amount, from_channel=body.from_channel
    )
    return schemas.RepayOut(
        loan_id=loan_id,
        amount=schemas.yuan(result.amount_fen),
        penalty=schemas.yuan(result.penalty_fen),
        interest=schemas.yuan(result.interest_fen),
        principal=schemas.yuan(result.principal_fen),
        prepaid_principal=schemas.yuan(result.prepaid_principal_fen),
        status=result.status,
        outstanding=schemas.yuan(result.principal_outstanding_fen),
        wallet_balance=schemas.yuan(result.wallet_balance_fen),
    )
