"""Accrual 计提: interest on the running period and penalty interest 罚息 on overdue principal.

Interest. The interest of a period is fixed by its row. It is posted as it accrues: by the end
of day ``d`` inside a period ``(start, due]`` the accrued amount is
``min(opening × rate/360 × (d − start), row interest)`` (half-up to the fen), and exactly the row
interest on the due date. Posting the *difference* from what was already posted keeps every
posted amount rounded once and the period's total equal to the schedule. The same amount is what
an early repayment on ``d`` owes for the period — interest only for the days used.

Penalty. Each day ``d`` bears ``overdue principal × penalty rate / 360`` (half-up), where
overdue principal is the unpaid principal of rows due before ``d``. Contract interest is not
charged on overdue principal (the schedule's next periods exclude it) and penalty is not
compounded on overdue interest.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from puhui.ledger import AccountKind, Leg, account_code
from puhui.loans.loan import Loan, Row
from puhui.money import daily_interest_fen, rate_to_e8


def accrued_for(row: Row, rate_e8: int, through: date) -> int:
    """Interest of ``row`` accrued by the end of ``through`` (``through`` within the period)."""
    if through >= row.due_date:
        return row.interest_fen
    days = (through - row.period_start).days
    return min(daily_interest_fen(row.opening_fen, rate_e8, days), row.interest_fen)


def accrue_interest(loan: Loan, through: date) -> tuple[Loan, int]:
    """Post interest up to the end of ``through``; returns the loan and the amount posted."""
    assert loan.interest_through is not None
    if loan.status.closed or through <= loan.interest_through:
        return loan, 0
    rate_e8 = rate_to_e8(loan.rate_annual)
    posted_total = 0
    current = loan.interest_through
    accrued_seq, accrued_fen = loan.accrued_seq, loan.accrued_fen
    while current < through:
        row = loan.current_row(current)
        if row is None:  # past maturity: only penalty runs
            current = through
            break
        already = accrued_fen if row.seq == accrued_seq else 0
        stop = min(through, row.due_date)
        target = accrued_for(row, rate_e8, stop)
        posted_total += target - already
        accrued_seq, accrued_fen = row.seq, target
        current = stop
    loan = replace(
        loan,
        interest_through=through,
        accrued_seq=accrued_seq,
        accrued_fen=accrued_fen,
        interest_receivable_fen=loan.interest_receivable_fen + posted_total,
    )
    return loan, posted_total


def accrue_penalty(loan: Loan, through: date) -> tuple[Loan, int]:
    """Post penalty interest for each day after ``penalty_through`` up to ``through``."""
    assert loan.penalty_through is not None
    if loan.status.closed or through <= loan.penalty_through:
        return loan, 0
    rate_e8 = rate_to_e8(loan.penalty_rate_annual)
    total = 0
    day = loan.penalty_through + timedelta(days=1)
    while day <= through:
        total += daily_interest_fen(loan.overdue_principal_fen(day), rate_e8, 1)
        day += timedelta(days=1)
    loan = replace(
        loan,
        penalty_through=through,
        penalty_receivable_fen=loan.penalty_receivable_fen + total,
    )
    return loan, total


def accrue(loan: Loan, through: date) -> tuple[Loan, list[Leg]]:
    """Bring interest and penalty accrual up to the end of ``through``; legs for what accrued."""
    loan, interest_fen = accrue_interest(loan, through)
    loan, penalty_fen = accrue_penalty(loan, through)
    legs = [
        Leg(
            account_code(AccountKind.INTEREST_RECEIVABLE, loan.loan_id),
            account_code(AccountKind.INTEREST_INCOME),
            interest_fen,
        ),
        Leg(
            account_code(AccountKind.PENALTY_RECEIVABLE, loan.loan_id),
            account_code(AccountKind.PENALTY_INCOME),
            penalty_fen,
        ),
    ]
    return loan, [leg for leg in legs if leg.amount_fen > 0]
