"""Due-soon reminders computed from the schedule (until the risk notification table lands)."""

from __future__ import annotations

from datetime import date, timedelta

from puhui.loans import open_loan
from puhui.products import load_catalogue
from puhui.schedule import Method, build_schedule
from puhui.web.borrower import DUE_SOON, due_notices

START = date(2026, 1, 15)


def a_loan(loan_id: int = 1):
    product = load_catalogue(None).get("xintai_farmer_line")
    schedule = build_schedule(
        600_000,
        product.rate_bands["A"],
        6,
        START,
        Method.EQUAL_INSTALLMENT,
        product.interest_basis,
        product.principal_months,
    )
    loan, _ = open_loan(
        loan_id,
        1,
        1,
        product.code,
        schedule,
        product.penalty_multiplier,
        START,
        product.principal_months,
    )
    return loan


def test_no_notice_long_before_the_due_date():
    assert due_notices([a_loan()], START) == []


def test_a_row_due_within_a_week_is_a_notice():
    loan = a_loan()
    first = loan.rows[0]
    notices = due_notices([loan], first.due_date - DUE_SOON)
    assert [(n.loan_id, n.due_date, n.days) for n in notices] == [(1, first.due_date, 7)]
    assert notices[0].amount_fen == first.principal_fen + first.interest_fen


def test_an_unpaid_past_row_is_an_overdue_notice():
    loan = a_loan()
    first = loan.rows[0]
    late = due_notices([loan], first.due_date + timedelta(days=3))
    assert late[0].days == -3
    assert [n.due_date for n in late] == sorted(n.due_date for n in late)
