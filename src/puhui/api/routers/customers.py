"""A customer's wallet and statement."""

from __future__ import annotations

from fastapi import APIRouter, status

from puhui.api import schemas
from puhui.api.authz import Action, authorize
from puhui.api.deps import CustomerScope, IdempotencyKeyDep, PrincipalDep, RecordId, ServicesDep
from puhui.ledger import AccountKind, account_code
from puhui.store import ledger as ledger_store
from puhui.store import loans as loan_store

router = APIRouter(prefix="/customers", tags=["wallets 钱包"])


@router.get("/{customer_id}/wallet")
def wallet(
    customer_id: RecordId, scope: CustomerScope, principal: PrincipalDep, svc: ServicesDep
) -> schemas.WalletOut:
    authorize(principal, Action.READ, scope)
    with svc.db.read() as conn:
        balance = loan_store.wallet_balance(conn, customer_id)
    return schemas.WalletOut(customer_id=customer_id, balance=schemas.yuan(balance))


@router.post("/{customer_id}/wallet/deposits", status_code=status.HTTP_201_CREATED)
def deposit(
    customer_id: RecordId,
    body: schemas.MoneyIn,
    key: IdempotencyKeyDep,
    scope: CustomerScope,
    principal: PrincipalDep,
    svc: ServicesDep,
) -> schemas.WalletOut:
    """充值 From the borrower's bank card. Needs ``Idempotency-Key``."""
    authorize(principal, Action.DEPOSIT, scope)
    result = svc.lending.deposit(key, customer_id, body.amount)
    return schemas.WalletOut(
        customer_id=customer_id, balance=schemas.yuan(result.wallet_balance_fen)
    )


@router.post("/{customer_id}/wallet/withdrawals", status_code=status.HTTP_201_CREATED)
def withdraw(
    customer_id: RecordId,
    body: schemas.MoneyIn,
    key: IdempotencyKeyDep,
    scope: CustomerScope,
    principal: PrincipalDep,
    svc: ServicesDep,
) -> schemas.WalletOut:
    """提现 To the borrower's bank card. Needs ``Idempotency-Key``."""
    authorize(principal, Action.DEPOSIT, scope)
    result = svc.lending.withdraw(key, customer_id, body.amount)
    return schemas.WalletOut(
        customer_id=customer_id, balance=schemas.yuan(result.wallet_balance_fen)
    )


@router.get("/{customer_id}/statement")
def statement(
    customer_id: RecordId, scope: CustomerScope, principal: PrincipalDep, svc: ServicesDep
) -> schemas.StatementOut:
    """对账单 Every movement of the wallet, with the running balance."""
    authorize(principal, Action.READ, scope)
    code = account_code(AccountKind.WALLET, customer_id)
    with svc.db.read() as conn:
        opening, lines = ledger_store.statement(conn, code)
    return schemas.StatementOut(
        account=code,
        opening=schemas.yuan(opening),
        lines=[
            schemas.StatementLineOut(
                seq=x.seq,
                date=x.effective_date,
                kind=x.kind,
                change=schemas.yuan(x.change_fen),
                balance=schemas.yuan(x.balance_fen),
            )
            for x in lines
        ],
    )
