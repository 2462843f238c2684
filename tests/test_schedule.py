"""Schedules: correct to the fen for any amount, rate, term and start date (hypothesis)."""

from datetime import date
from decimal import Decimal

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.errors import ValidationError
from puhui.money import daily_interest_fen, rate_to_e8
from puhui.schedule import (
    Basis,
    Method,
    add_months,
    annual_percentage_rate,
    apr_by_bisection,
    build_schedule,
    due_dates,
    reschedule_remaining,
)

amounts_fen = st.integers(min_value=100_000, max_value=30_000_000)  # 1,000 – 300,000 CNY
any_amount_fen = st.integers(min_value=1, max_value=100_000_000)
rates = st.integers(min_value=0, max_value=2_400).map(lambda bp: Decimal(bp) / 10_000)
terms = st.integers(min_value=1, max_value=36)
starts = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
methods = st.sampled_from(list(Method))
bases = st.sampled_from(list(Basis))
harvests = st.frozensets(st.integers(min_value=1, max_value=12), max_size=4)


@settings(max_examples=300)
@given(any_amount_fen, rates, terms, starts, methods, bases, harvests)
def test_principal_sums_exactly_and_nothing_is_negative(
    amount, rate, term, start, method, basis, months
):
    schedule = build_schedule(amount, rate, term, start, method, basis, months)
    assert sum(i.principal_fen for i in schedule.instalments) == amount
    assert all(i.principal_fen >= 0 and i.interest_fen >= 0 for i in schedule.instalments)
    assert len(schedule.instalments) == term
    assert [i.due_date for i in schedule.instalments] == due_dates(start, term)


@settings(max_examples=300)
@given(amounts_fen, rates, st.integers(min_value=2, max_value=36), starts, bases)
def test_equal_installments_are_equal_to_the_fen_except_the_last(amount, rate, term, start, basis):
    schedule = build_schedule(amount, rate, term, start, Method.EQUAL_INSTALLMENT, basis)
    payments = {i.payment_fen for i in schedule.instalments[:-1]}
    assert len(payments) == 1
    # the last absorbs rounding: within a few fen of the level payment
    assert abs(schedule.instalments[-1].payment_fen - payments.pop()) <= term


@settings(max_examples=300)
@given(amounts_fen, rates.filter(lambda r: r > 0), terms, starts)
def test_monthly_level_payment_matches_numpy_financial_pmt(amount, rate, term, start):
    schedule = build_schedule(amount, rate, term, start, Method.EQUAL_INSTALLMENT, Basis.MONTHLY)
    pmt_fen = -npf.pmt(float(rate) / 12, term, amount)
    assert abs(schedule.instalments[0].payment_fen - pmt_fen) <= 1


@settings(max_examples=300)
@given(any_amount_fen, rates, terms, starts, methods)
def test_daily_basis_interest_is_balance_times_rate_over_360_times_actual_days(
    amount, rate, term, start, method
):
    schedule = build_schedule(amount, rate, term, start, method, Basis.DAILY, frozenset({6, 10}))
    for inst in schedule.instalments:
        days = (inst.due_date - inst.period_start).days
        exact = Decimal(inst.opening_principal_fen) * rate / 360 * days
        assert abs(inst.interest_fen - exact) <= Decimal("0.5")
        assert inst.interest_fen == daily_interest_fen(
            inst.opening_principal_fen, rate_to_e8(rate), days
        )


@settings(max_examples=200)
@given(amounts_fen, rates, terms, starts, methods)
def test_monthly_basis_interest_is_balance_times_rate_over_12(amount, rate, term, start, method):
    schedule = build_schedule(amount, rate, term, start, method, Basis.MONTHLY, frozenset({6}))
    for inst in schedule.instalments:
        exact = Decimal(inst.opening_principal_fen) * rate / 12
        assert abs(inst.interest_fen - exact) <= Decimal("0.5")


@settings(max_examples=100)
@given(amounts_fen, rates, st.integers(min_value=3, max_value=24), starts, bases)
def test_apr_of_a_fee_free_loan_is_the_contract_rate(amount, rate, term, start, basis):
    schedule = build_schedule(amount, rate, term, start, Method.EQUAL_INSTALLMENT, basis)
    assert abs(schedule.apr - rate) < Decimal("0.0005")


@settings(max_examples=150)
@given(any_amount_fen, rates, terms, starts, methods, bases, harvests)
def test_apr_by_newton_is_the_bisections_digit_for_digit(
    amount, rate, term, start, method, basis, harvest
):
    # Stored decisions were priced with the bisection and replay against today's code.
    schedule = build_schedule(amount, rate, term, start, method, basis, harvest)
    assert annual_percentage_rate(amount, schedule.instalments) == apr_by_bisection(
        amount, schedule.instalments
    )


def test_apr_falls_back_to_the_bisection_when_newton_cannot_certify(monkeypatch):
    schedule = build_schedule(
        10_000_000, Decimal("0.072"), 12, date(2026, 1, 15), Method.EQUAL_INSTALLMENT, Basis.MONTHLY
    )
    expected = apr_by_bisection(10_000_000, schedule.instalments)
    # A wrong Newton answer must not survive the certificate.
    monkeypatch.setattr("puhui.schedule._apr_newton", lambda *_: expected + Decimal("0.000001"))
    assert annual_percentage_rate(10_000_000, schedule.instalments) == expected
    monkeypatch.setattr("puhui.schedule._apr_newton", lambda *_: None)
    assert annual_percentage_rate(10_000_000, schedule.instalments) == expected


def test_month_end_due_dates_clip_and_do_not_drift():
    assert due_dates(date(2024, 1, 31), 4) == [
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)


def test_equal_installment_example_from_a_bank_contract():
    # 100,000 CNY, 7.2 % a year, 12 months: the textbook 8,661.90 a month.
    schedule = build_schedule(
        10_000_000, Decimal("0.072"), 12, date(2026, 1, 15), Method.EQUAL_INSTALLMENT, Basis.MONTHLY
    )
    assert schedule.instalments[0].payment_fen == 866_190
    assert schedule.instalments[0].interest_fen == 60_000
    assert schedule.instalments[-1].payment_fen == 866_185
    assert schedule.apr == Decimal("0.072000")


def test_equal_principal_and_interest_first_shapes():
    ep = build_schedule(
        1_200_000, Decimal("0.12"), 12, date(2026, 3, 1), Method.EQUAL_PRINCIPAL, Basis.MONTHLY
    )
    assert {i.principal_fen for i in ep.instalments} == {100_000}
    assert [i.interest_fen for i in ep.instalments][:3] == [12_000, 11_000, 10_000]
    io = build_schedule(
        1_200_000, Decimal("0.12"), 6, date(2026, 3, 1), Method.INTEREST_FIRST, Basis.MONTHLY
    )
    assert [i.principal_fen for i in io.instalments] == [0, 0, 0, 0, 0, 1_200_000]
    assert {i.interest_fen for i in io.instalments} == {12_000}


def test_seasonal_principal_falls_in_harvest_months():
    schedule = build_schedule(
        900_000,
        Decimal("0.072"),
        12,
        date(2026, 1, 20),
        Method.SEASONAL,
        Basis.MONTHLY,
        frozenset({6, 10}),
    )
    paid = {i.due_date.month: i.principal_fen for i in schedule.instalments if i.principal_fen}
    assert paid == {6: 300_000, 10: 300_000, 1: 300_000}  # June, October, maturity (Jan)


def test_seasonal_without_harvest_in_term_is_a_balloon():
    schedule = build_schedule(
        900_000,
        Decimal("0.072"),
        3,
        date(2026, 1, 20),
        Method.SEASONAL,
        Basis.MONTHLY,
        frozenset({10}),
    )
    assert [i.principal_fen for i in schedule.instalments] == [0, 0, 900_000]


def test_reschedule_after_prepayment_keeps_term_and_accrues_broken_period_daily():
    rows = reschedule_remaining(
        500_000,
        Decimal("0.072"),
        date(2026, 2, 3),
        [date(2026, 2, 15), date(2026, 3, 15), date(2026, 4, 15)],
        Method.EQUAL_INSTALLMENT,
        Basis.MONTHLY,
        frozenset(),
        4,
        broken_first_period=True,
    )
    assert [r.seq for r in rows] == [4, 5, 6]
    assert rows[0].daily
    assert not rows[1].daily
    assert rows[0].interest_fen == daily_interest_fen(500_000, rate_to_e8(Decimal("0.072")), 12)
    assert sum(r.principal_fen for r in rows) == 500_000


@pytest.mark.parametrize(("amount", "term"), [(0, 12), (100, 0), (100, 361)])
def test_bad_schedule_input_is_refused(amount, term):
    with pytest.raises(ValidationError):
        build_schedule(
            amount,
            Decimal("0.072"),
            term,
            date(2026, 1, 1),
            Method.EQUAL_INSTALLMENT,
            Basis.MONTHLY,
        )
