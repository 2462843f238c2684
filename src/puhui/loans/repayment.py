"""Repayment 还款: allocation of a payment, early repayment 提前还款, and the payoff amount.

A payment on day ``d`` is applied in three steps:

1. accrual is brought up to ``d`` (interest for the days used, penalty to date);
2. what is *due* — penalty, interest and principal of rows due on or before ``d`` — is paid in
   the policy's component order (default penalty → interest → principal, oldest row first);
3. any surplus is an early repayment: first the running period's interest to date, then
   principal. What principal remains is re-amortised over the remaining due dates (term kept,
   instalments reduced); the settled part is kept as a ``prepayment`` row. No fee is charged.

A payment larger than everything owed is refused (``REPAY_EXCEEDS_OWED``) rather than
half-applied: the caller asks for the payoff amount (:func:`payoff_fen`) to settle in full.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from puhui.errors import Conflict, ValidationError, invariant
from puhui.ledger import Leg
from puhui.loans.accrual import accrue
from puhui.loans.loan import Loan, Row, RowKind, refresh_status, replace_rows
from puhui.loans.policy import Component, ServicingPolicy
from puhui.money import from_fen
from puhui.schedule import reschedule_remaining


@dataclass(frozen=True, slots=True)
class Allocation:
    """Where a payment went (integer fen)."""

    penalty_fen: int = 0
    interest_fen: int = 0
    principal_fen: int = 0
    prepaid_principal_fen: int = 0

    @property
    def total_fen(self) -> int:
        return self.penalty_fen + self.interest_fen + self.principal_fen


@dataclass(frozen=True, slots=True)
class Due:
    """What is due on a day: penalty, billed interest and principal of due rows."""

    penalty_fen: int
    interest_fen: int
    principal_fen: int

    @property
    def total_fen(self) -> int:
        return self.penalty_fen + self.interest_fen + self.principal_fen


def _due_of(loan: Loan, on: date) -> Due:
    rows = loan.due_rows(on)
    return Due(
        penalty_fen=loan.penalty_receivable_fen,
        interest_fen=sum(r.interest_unpaid_fen for r in rows),
        principal_fen=sum(r.principal_unpaid_fen for r in rows),
    )


def amounts_due(loan: Loan, on: date) -> Due:
    """What the borrower must pay on ``on`` to be current (accrual brought to ``on``)."""
    accrued, _ = accrue(loan, on)
    return _due_of(accrued, on)


def payoff_fen(loan: Loan, on: date) -> int:
    """Everything owed to settle the loan in full on ``on`` — interest only to date."""
    if loan.status.closed:
        return 0
    accrued, _ = accrue(loan, on)
    return _owed(accrued)


def _owed(loan: Loan) -> int:
    return (
        loan.penalty_receivable_fen + loan.interest_receivable_fen + loan.principal_outstanding_fen
    )


def _pay_rows(
    rows: list[Row], on: date, remaining: int, interest: bool
) -> tuple[list[Row], int, int]:
    """Pay interest (or principal) of due rows oldest first; returns rows, paid, remaining."""
    paid_total = 0
    out: list[Row] = []
    for row in rows:
        owed = row.interest_unpaid_fen if interest else row.principal_unpaid_fen
        pay = min(remaining, owed) if row.due_date <= on else 0
        if pay == 0:
            out.append(row)
            continue
        out.append(
            replace(row, interest_paid_fen=row.interest_paid_fen + pay)
            if interest
            else replace(row, principal_paid_fen=row.principal_paid_fen + pay)
        )
        remaining -= pay
        paid_total += pay
    return out, paid_total, remaining


def allocate_due(
    loan: Loan, amount_fen: int, on: date, policy: ServicingPolicy
) -> tuple[Loan, Allocation, int]:
    """Apply up to ``amount_fen`` to what is due (accrual must already be at ``on``).

    Returns the loan, the allocation and the amount left over.
    """
    remaining = amount_fen
    rows = list(loan.rows)
    penalty = interest = principal = 0
    for component in policy.allocation_order:
        if component is Component.PENALTY:
            penalty = min(remaining, loan.penalty_receivable_fen)
            remaining -= penalty
        elif component is Component.INTEREST:
            rows, interest, remaining = _pay_rows(rows, on, remaining, interest=True)
        else:
            rows, principal, remaining = _pay_rows(rows, on, remaining, interest=False)
    loan = replace(
        replace_rows(loan, rows),
        penalty_receivable_fen=loan.penalty_receivable_fen - penalty,
        interest_receivable_fen=loan.interest_receivable_fen - interest,
    )
    return loan, Allocation(penalty, interest, principal), remaining


def _prepay(loan: Loan, amount_fen: int, on: date) -> tuple[Loan, Allocation]:
    """Early repayment of ``amount_fen`` after everything due is paid."""
    current = loan.current_row(on)
    invariant(current is not None, f"loan {loan.loan_id}: surplus but nothing left to prepay")
    assert current is not None
    accrued_now = loan.accrued_fen if loan.accrued_seq == current.seq else 0
    interest = min(amount_fen, accrued_now - current.interest_paid_fen)
    principal = amount_fen - interest
    rows = [
        replace(r, interest_paid_fen=r.interest_paid_fen + interest) if r is current else r
        for r in loan.rows
    ]
    loan = replace(
        replace_rows(loan, rows),
        interest_receivable_fen=loan.interest_receivable_fen - interest,
    )
    if principal == 0:
        return loan, Allocation(interest_fen=interest)

    current = loan.current_row(on)
    assert current is not None
    future = [r for r in loan.rows if r.kind is RowKind.SCHEDULED and r.due_date > on]
    past = [r for r in loan.rows if r not in future]
    left = sum(r.principal_unpaid_fen for r in future) - principal
    invariant(left >= 0, f"loan {loan.loan_id}: prepayment exceeds principal")
    settled = Row(
        seq=current.seq,
        period_start=current.period_start,
        due_date=on,
        opening_fen=current.opening_fen,
        principal_fen=principal,
        interest_fen=accrued_now,
        daily=True,
        principal_paid_fen=principal,
        interest_paid_fen=accrued_now,
        kind=RowKind.PREPAYMENT,
    )
    rest: tuple[Row, ...] = ()
    if left > 0:
        rest = tuple(
            Row.from_instalment(i)
            for i in reschedule_remaining(
                left,
                loan.rate_annual,
                on,
                [r.due_date for r in future],
                loan.method,
                loan.basis,
                loan.principal_months,
                current.seq + 1,
                broken_first_period=on != current.period_start,
            )
        )
    loan = replace(
        replace_rows(loan, [*past, settled, *rest]),
        accrued_seq=rest[0].seq if rest else 0,
        accrued_fen=0,
    )
    return loan, Allocation(
        interest_fen=interest, principal_fen=principal, prepaid_principal_fen=principal
    )


def payment_legs(loan: Loan, source: str, allocation: Allocation) -> list[Leg]:
    """Legs moving a payment from ``source`` (a wallet) to the loan's receivables."""
    principal_acc, interest_acc, penalty_acc = loan.accounts()
    legs = [
        Leg(source, penalty_acc, allocation.penalty_fen),
        Leg(source, interest_acc, allocation.interest_fen),
        Leg(source, principal_acc, allocation.principal_fen),
    ]
    return [leg for leg in legs if leg.amount_fen > 0]


def repay(
    loan: Loan, amount_fen: int, on: date, policy: ServicingPolicy, source: str
) -> tuple[Loan, list[Leg], Allocation]:
    """Apply a payment of ``amount_fen`` from account ``source`` on ``on``.

    Returns the new loan, the legs (accrual to date, then the payment) and the allocation.
    """
    loan.require_open()
    if amount_fen <= 0:
        raise ValidationError(
            "AMOUNT_NOT_POSITIVE", "还款金额必须大于零", f"amount must be > 0; got {amount_fen}"
        )
    loan, legs = accrue(loan, on)
    owed = _owed(loan)
    if amount_fen > owed:
        raise Conflict(
            "REPAY_EXCEEDS_OWED",
            f"还款金额 {from_fen(amount_fen)} 元超过全部欠款 {from_fen(owed)} 元",
            f"payment {from_fen(amount_fen)} yuan exceeds everything owed, {from_fen(owed)} yuan",
            loan_id=loan.loan_id,
            owed_fen=owed,
        )
    loan, due_alloc, surplus = allocate_due(loan, amount_fen, on, policy)
    allocation = due_alloc
    if surplus > 0:
        loan, pre = _prepay(loan, surplus, on)
        allocation = Allocation(
            penalty_fen=due_alloc.penalty_fen,
            interest_fen=due_alloc.interest_fen + pre.interest_fen,
            principal_fen=due_alloc.principal_fen + pre.principal_fen,
            prepaid_principal_fen=pre.prepaid_principal_fen,
        )
    invariant(allocation.total_fen == amount_fen, "a payment must be allocated in full")
    loan = refresh_status(loan, on).check()
    return loan, legs + payment_legs(loan, source, allocation), allocation
