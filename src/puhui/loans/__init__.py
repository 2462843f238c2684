"""Loans 贷款: credit lines 授信, drawdowns 支用, repayment, accrual, delinquency, the day's close.

Owns the pure servicing rules, as functions from an immutable state (and a date — never
"today") to a new state plus the ledger legs that record the change:

- ``lines``     — credit line state machine (active ⇄ frozen → closed), available limit,
                  revolving restore;
- ``loan``      — the loan and its schedule rows, state machine (active ⇄ overdue →
                  paid_off | written_off), 五级分类 classification;
- ``accrual``   — daily interest on the current period and penalty interest on overdue
                  principal, each posted as it accrues;
- ``repayment`` — allocation (penalty → interest → principal by default), early repayment
                  with interest only to date and re-amortisation of what remains;
- ``daily``     — one loan's end of day: accrue, auto-debit, age, classify, write off.

This package is the *reference model*: ``store.eod`` runs the same day for a whole portfolio
with set-based SQL and is tested against these functions loan by loan.

Invariants: principal outstanding = Σ unpaid row principal ≥ 0; receivables ≥ 0; every state
change comes with legs that move exactly the change in each balance; a closed loan owes nothing.
May import: ``money``, ``schedule``, ``products``, ``ledger``, ``errors``.
"""

from puhui.loans.accrual import accrue
from puhui.loans.daily import DayResult, close_day
from puhui.loans.lines import CreditLine, LineStatus
from puhui.loans.loan import AssetClass, Loan, LoanStatus, Row, RowKind, classify, open_loan
from puhui.loans.policy import Component, ServicingPolicy
from puhui.loans.repayment import Allocation, amounts_due, payoff_fen, repay

__all__ = [
    "Allocation",
    "AssetClass",
    "Component",
    "CreditLine",
    "DayResult",
    "LineStatus",
    "Loan",
    "LoanStatus",
    "Row",
    "RowKind",
    "ServicingPolicy",
    "accrue",
    "amounts_due",
    "classify",
    "close_day",
    "open_loan",
    "payoff_fen",
    "repay",
]
