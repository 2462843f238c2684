"""One loan's end of day 日终: accrue, auto-debit, age, classify, write off.

:func:`close_day` is the reference the portfolio batch (``store.eod``) is tested against. The
order within a day is fixed: accrual to the end of the day; auto-debit of what is due from the
borrower's wallet (never more than the wallet holds, never a prepayment); days past due and
五级分类 as of the end of the day; write-off once DPD exceeds the policy's threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from puhui.ledger import AccountKind, Leg, account_code
from puhui.loans.accrual import accrue
from puhui.loans.loan import AssetClass, Loan, LoanStatus, refresh_status
from puhui.loans.policy import ServicingPolicy
from puhui.loans.repayment import Allocation, allocate_due, payment_legs


@dataclass(frozen=True, slots=True)
class DayResult:
    """A loan after its day, the legs to post, and what the shell must apply elsewhere."""

    loan: Loan
    legs: list[Leg] = field(default_factory=list)
    wallet_debited_fen: int = 0
    principal_repaid_fen: int = 0
    principal_written_off_fen: int = 0


def write_off(loan: Loan, on: date) -> tuple[Loan, list[Leg]]:
    """核销: take the loan off the books against the loss allowance; receivables to expense."""
    principal_acc, interest_acc, penalty_acc = loan.accounts()
    legs = [
        Leg(
            account_code(AccountKind.LOSS_ALLOWANCE), principal_acc, loan.principal_outstanding_fen
        ),
        Leg(account_code(AccountKind.WRITE_OFF), interest_acc, loan.interest_receivable_fen),
        Leg(account_code(AccountKind.WRITE_OFF), penalty_acc, loan.penalty_receivable_fen),
    ]
    closed = replace(
        loan,
        status=LoanStatus.WRITTEN_OFF,
        asset_class=AssetClass.LOSS,
        principal_outstanding_fen=0,
        interest_receivable_fen=0,
        penalty_receivable_fen=0,
        closed_on=on,
    )
    return closed, [leg for leg in legs if leg.amount_fen > 0]


def close_day(loan: Loan, on: date, wallet_fen: int, policy: ServicingPolicy) -> DayResult:
    """Run ``loan`` through the end of day ``on`` with ``wallet_fen`` available for auto-debit."""
    if loan.status.closed:
        return DayResult(loan)
    loan, legs = accrue(loan, on)
    allocation = Allocation()
    due_total = loan.penalty_receivable_fen + sum(
        r.interest_unpaid_fen + r.principal_unpaid_fen for r in loan.due_rows(on)
    )
    debit = min(max(wallet_fen, 0), due_total)
    if debit > 0:
        loan, allocation, left = allocate_due(loan, debit, on, policy)
        legs += payment_legs(loan, account_code(AccountKind.WALLET, loan.customer_id), allocation)
        debit -= left
    loan = refresh_status(loan, on)
    written_off = 0
    if loan.status is LoanStatus.OVERDUE and loan.days_past_due > policy.write_off_after_dpd:
        written_off = loan.principal_outstanding_fen
        loan, wo_legs = write_off(loan, on)
        legs += wo_legs
    return DayResult(
        loan=loan.check(),
        legs=legs,
        wallet_debited_fen=debit,
        principal_repaid_fen=allocation.principal_fen,
        principal_written_off_fen=written_off,
    )
