"""Loan servicing rules, as pure functions: accrual, repayment, overdue, classification."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.errors import Conflict, ValidationError
from puhui.ledger import Leg
from puhui.loans import (
    AssetClass,
    Component,
    CreditLine,
    LineStatus,
    Loan,
    LoanStatus,
    ServicingPolicy,
    accrue,
    amounts_due,
    classify,
    close_day,
    open_loan,
    payoff_fen,
    repay,
)
from puhui.money import daily_interest_fen, rate_to_e8
from puhui.schedule import Basis, Method, build_schedule

START = date(2026, 1, 15)
POLICY = ServicingPolicy()
WALLET = "wallet:7"


def new_loan(
    amount_fen: int = 1_000_000,
    rate: str = "0.072",
    term: int = 12,
    method: Method = Method.EQUAL_INSTALLMENT,
    basis: Basis = Basis.MONTHLY,
    months: frozenset[int] = frozenset(),
) -> Loan:
    schedule = build_schedule(amount_fen, Decimal(rate), term, START, method, basis, months)
    loan, _ = open_loan(
        1, 1, 7, "xintai_farmer_line", schedule, Decimal(rate) * Decimal("1.5"), START, months
    )
    return loan


def run_days(loan: Loan, days: int, wallet_fen: int = 0) -> tuple[Loan, list[Leg]]:
    legs: list[Leg] = []
    day = loan.interest_through
    for _ in range(days):
        day += timedelta(days=1)
        result = close_day(loan, day, wallet_fen, POLICY)
        wallet_fen -= result.wallet_debited_fen
        loan = result.loan
        legs += result.legs
    return loan, legs


def test_interest_accrues_daily_and_reaches_the_scheduled_amount_on_the_due_date():
    loan = new_loan()
    loan, legs = run_days(loan, 31)  # Jan 15 -> Feb 15, the first due date
    daily = [lg.amount_fen for lg in legs if lg.credit == "interest_income"]
    assert daily[0] == daily_interest_fen(1_000_000, rate_to_e8(Decimal("0.072")), 1) == 200
    assert sum(daily) == loan.rows[0].interest_fen == 6_000


def test_early_repayment_charges_interest_only_to_date_and_no_fee():
    loan = new_loan()
    loan, _ = run_days(loan, 10)
    owed = payoff_fen(loan, START + timedelta(days=10))
    assert owed == 1_000_000 + 10 * 200  # principal + 10 days at 7.2 %/360, nothing else
    paid, _legs, alloc = repay(loan, owed, START + timedelta(days=10), POLICY, WALLET)
    assert paid.status is LoanStatus.PAID_OFF
    assert alloc.interest_fen == 2_000
    assert alloc.principal_fen == 1_000_000
    assert paid.principal_outstanding_fen == paid.interest_receivable_fen == 0


def test_same_day_payoff_costs_no_interest():
    loan = new_loan()
    assert payoff_fen(loan, START) == 1_000_000


def test_partial_prepayment_keeps_the_term_and_lowers_the_instalment():
    loan = new_loan()
    loan, _ = run_days(loan, 5)
    day = START + timedelta(days=5)
    before = loan.rows[1].principal_fen + loan.rows[1].interest_fen
    after, _, alloc = repay(loan, 301_000, day, POLICY, WALLET)
    assert alloc.interest_fen == 1_000  # 5 days of interest to date
    assert alloc.prepaid_principal_fen == 300_000
    scheduled = [r for r in after.rows if r.kind.value == "scheduled"]
    assert scheduled[-1].due_date == loan.rows[-1].due_date  # same maturity
    assert scheduled[1].principal_fen + scheduled[1].interest_fen < before
    assert after.principal_outstanding_fen == 700_000
    assert after.check()


def test_missed_instalment_becomes_overdue_with_penalty_at_one_and_a_half_times():
    loan = new_loan()
    loan, _ = run_days(loan, 31)  # due date, wallet empty
    assert loan.status is LoanStatus.ACTIVE  # due today, not yet late
    loan, legs = run_days(loan, 1)
    assert loan.status is LoanStatus.OVERDUE
    assert loan.days_past_due == 1
    assert loan.asset_class is AssetClass.SPECIAL_MENTION
    overdue_principal = loan.rows[0].principal_fen
    expected = daily_interest_fen(overdue_principal, rate_to_e8(Decimal("0.108")), 1)
    assert [lg.amount_fen for lg in legs if lg.credit == "penalty_income"] == [expected]


def test_auto_debit_pays_what_is_due_from_the_wallet_and_no_more():
    loan = new_loan()
    loan, _ = run_days(loan, 30)
    result = close_day(loan, START + timedelta(days=31), 10_000_000, POLICY)
    due = loan.rows[0].principal_fen + loan.rows[0].interest_fen
    assert result.wallet_debited_fen == due
    assert result.loan.rows[0].settled
    assert result.loan.status is LoanStatus.ACTIVE


def test_allocation_order_is_configurable():
    loan = new_loan()
    loan, _ = run_days(loan, 40)  # 9 days late
    day = loan.interest_through
    due = amounts_due(loan, day)
    assert due.penalty_fen > 0
    default_order, _, a = repay(loan, due.penalty_fen + 10, day, POLICY, WALLET)
    assert (a.penalty_fen, a.interest_fen, a.principal_fen) == (due.penalty_fen, 10, 0)
    principal_first = ServicingPolicy(
        allocation_order=(Component.PRINCIPAL, Component.INTEREST, Component.PENALTY)
    )
    _, _, b = repay(loan, due.penalty_fen + 10, day, principal_first, WALLET)
    assert (b.penalty_fen, b.interest_fen, b.principal_fen) == (0, 0, due.penalty_fen + 10)
    assert default_order.check()


def test_allocation_order_must_name_each_component_once():
    with pytest.raises(ValidationError):
        ServicingPolicy(
            allocation_order=(Component.PENALTY, Component.PENALTY, Component.PRINCIPAL)
        )
    with pytest.raises(ValidationError):
        ServicingPolicy.parse_order("penalty,fees,principal")


@pytest.mark.parametrize(
    ("dpd", "expected"),
    [
        (0, AssetClass.NORMAL),
        (1, AssetClass.SPECIAL_MENTION),
        (90, AssetClass.SPECIAL_MENTION),
        (91, AssetClass.SUBSTANDARD),
        (270, AssetClass.SUBSTANDARD),
        (271, AssetClass.DOUBTFUL),
        (360, AssetClass.DOUBTFUL),
        (361, AssetClass.LOSS),
    ],
)
def test_five_category_classification(dpd, expected):
    assert classify(dpd) is expected
    assert expected.non_performing == (dpd > 90)


def test_write_off_after_the_configured_days_past_due():
    loan = new_loan(amount_fen=300_000, term=3)
    policy = ServicingPolicy(write_off_after_dpd=120)
    day, legs = loan.interest_through, []
    while loan.status is not LoanStatus.WRITTEN_OFF:
        day += timedelta(days=1)
        result = close_day(loan, day, 0, policy)
        loan, legs = result.loan, result.legs
    assert loan.days_past_due == 121
    assert loan.closed_on == day
    assert {lg.debit for lg in legs} >= {"loss_allowance", "write_off"}
    assert loan.principal_outstanding_fen == 0
    with pytest.raises(Conflict) as err:
        repay(loan, 100, day, policy, WALLET)
    assert err.value.code == "LOAN_CLOSED"


def test_payment_above_everything_owed_is_refused_whole():
    loan = new_loan()
    with pytest.raises(Conflict) as err:
        repay(loan, 1_000_001, START, POLICY, WALLET)
    assert err.value.code == "REPAY_EXCEEDS_OWED"


def test_seasonal_loan_only_pays_interest_until_harvest():
    loan = new_loan(method=Method.SEASONAL, months=frozenset({6, 10}))
    paid_months = [r.due_date.month for r in loan.rows if r.principal_fen]
    assert paid_months == [6, 10, 1]


# -- credit lines -------------------------------------------------------------------------


def new_line(revolving: bool = True) -> CreditLine:
    return CreditLine(
        line_id=1,
        customer_id=7,
        product_code="xintai_farmer_line",
        limit_fen=5_000_000,
        rate_annual=Decimal("0.081"),
        band="B",
        methods=(Method.EQUAL_INSTALLMENT,),
        granted_on=START,
        expires_on=date(2027, 1, 15),
        revolving=revolving,
        penalty_rate_annual=Decimal("0.1215"),
    )


def test_revolving_line_restores_the_limit_as_principal_is_repaid():
    line = new_line().draw(3_000_000, START)
    assert line.available_fen(START) == 2_000_000
    assert line.restore(1_000_000).available_fen(START) == 3_000_000


def test_single_draw_line_does_not_restore():
    line = new_line(revolving=False).draw(3_000_000, START).restore(3_000_000)
    assert line.available_fen(START) == 2_000_000


@pytest.mark.parametrize(
    ("status", "code"), [(LineStatus.FROZEN, "LINE_FROZEN"), (LineStatus.CLOSED, "LINE_CLOSED")]
)
def test_drawing_on_a_frozen_or_closed_line_is_refused(status, code):
    line = new_line().transition(status)
    with pytest.raises(Conflict) as err:
        line.draw(100, START)
    assert err.value.code == code


def test_line_state_machine_rejects_illegal_transitions():
    closed = new_line().transition(LineStatus.CLOSED)
    with pytest.raises(Conflict) as err:
        closed.transition(LineStatus.ACTIVE)
    assert err.value.code == "LINE_TRANSITION"
    with pytest.raises(Conflict):
        new_line().transition(LineStatus.ACTIVE)  # already active


def test_expired_and_overdrawn_lines_are_refused():
    with pytest.raises(Conflict) as err:
        new_line().draw(100, date(2027, 1, 16))
    assert err.value.code == "LINE_EXPIRED"
    with pytest.raises(Conflict) as err:
        new_line().draw(5_000_001, START)
    assert err.value.code == "INSUFFICIENT_AVAILABLE"
    cut = new_line().draw(4_000_000, START).with_limit(1_000_000)
    assert cut.available_fen(START) == 0  # never negative


# -- a reference check: the legs always move exactly what the loan's balances moved ------


@settings(max_examples=60, deadline=None)
@given(
    amount=st.integers(min_value=100_000, max_value=5_000_000),
    term=st.sampled_from([3, 6, 12]),
    method=st.sampled_from(
        [Method.EQUAL_INSTALLMENT, Method.INTEREST_FIRST, Method.EQUAL_PRINCIPAL]
    ),
    basis=st.sampled_from(list(Basis)),
    steps=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=45), st.integers(min_value=0, max_value=400_000)
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_legs_mirror_balances(amount, term, method, basis, steps):
    loan = new_loan(amount, "0.09", term, method, basis)
    ledger: dict[str, int] = defaultdict(int)
    ledger["loan_principal:1"] = amount
    ledger[WALLET] = -amount  # the disbursement
    day = START
    wallet = 10**9
    for gap, wanted in steps:
        for _ in range(gap):
            day += timedelta(days=1)
            result = close_day(loan, day, wallet if wanted % 2 else 0, POLICY)
            wallet -= result.wallet_debited_fen
            loan = result.loan
            for lg in result.legs:
                ledger[lg.debit] += lg.amount_fen
                ledger[lg.credit] -= lg.amount_fen
        if loan.status.closed:
            break
        if wanted:
            pay = min(wanted, payoff_fen(loan, day))
            loan, legs, alloc = repay(loan, pay, day, POLICY, WALLET)
            assert alloc.total_fen == pay
            for lg in legs:
                ledger[lg.debit] += lg.amount_fen
                ledger[lg.credit] -= lg.amount_fen
        loan.check()
        assert ledger["loan_principal:1"] == loan.principal_outstanding_fen
        assert ledger["interest_receivable:1"] == loan.interest_receivable_fen
        assert ledger["penalty_receivable:1"] == loan.penalty_receivable_fen
        assert sum(ledger.values()) == 0


def test_accrue_is_idempotent_for_a_date():
    loan = new_loan()
    once, legs1 = accrue(loan, START + timedelta(days=3))
    twice, legs2 = accrue(once, START + timedelta(days=3))
    assert legs1
    assert legs2 == []
    assert twice == once
