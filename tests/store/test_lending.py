"""Lending service on SQLite and PostgreSQL: flows, idempotency, refusals that write nothing."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from puhui.errors import Conflict, PuhuiError, ValidationError
from puhui.loans import LineStatus, LoanStatus
from puhui.products import load_catalogue
from puhui.services.lending import Lending
from puhui.settings import Settings
from puhui.store.eod import run_through
from puhui.store.tables import customer, idempotency, journal_entry, loan
from tests.books import assert_books_match


@pytest.fixture
def service(db):
    return Lending(db, load_catalogue(), Settings().servicing_policy())


def _farmer_with_line(service: Lending, limit: str = "50000", band: str = "B") -> tuple[int, int]:
    cid = service.add_customer("王大山", "farmer", "新泰市", "羊流镇", "西羊流村")
    line = service.grant_line("grant-1", cid, "xintai_farmer_line", limit, band)
    return cid, line.line_id


def _counts(db) -> tuple[int, int, int]:
    with db.read() as conn:
        return (
            conn.execute(select(func.count()).select_from(journal_entry)).scalar_one(),
            conn.execute(select(func.count()).select_from(loan)).scalar_one(),
            conn.execute(select(func.sum(customer.c.wallet_balance_fen))).scalar_one() or 0,
        )


def test_grant_draw_accrue_repay_and_settle(service, db):
    cid, line_id = _farmer_with_line(service)
    drawn = service.draw("d1", line_id, "10000", 6, "equal_installment")
    assert drawn.amount_fen == 1_000_000
    assert abs(Decimal(drawn.apr) - Decimal("0.081")) < Decimal("0.0001")  # fen rounding only
    assert drawn.available_after_fen == 4_000_000
    run_through(db, date(2026, 2, 20), service.policy)
    service.deposit("dep1", cid, "3000")
    partial = service.repay("r1", drawn.loan_id, "2000")
    assert partial.prepaid_principal_fen > 0
    full = service.repay("r2", drawn.loan_id, None)
    assert full.status == "paid_off"
    assert service.loan(drawn.loan_id).status is LoanStatus.PAID_OFF
    assert service.line(line_id).available_fen(date(2026, 2, 21)) == 5_000_000
    assert_books_match(db)


def test_a_drawdown_replayed_100_times_disburses_once(service, db):
    _, line_id = _farmer_with_line(service)
    results = {
        service.draw("same-key", line_id, "8000", 12, "equal_installment") for _ in range(100)
    }
    assert len(results) == 1
    entries, loans, wallets = _counts(db)
    assert (entries, loans, wallets) == (1, 1, 800_000)
    assert_books_match(db)


def test_a_repayment_replayed_has_one_effect(service, db):
    _cid, line_id = _farmer_with_line(service)
    drawn = service.draw("d", line_id, "8000", 12, "equal_installment")
    for _ in range(20):
        service.repay("pay-once", drawn.loan_id, "1000")
    assert service.loan(drawn.loan_id).principal_outstanding_fen == 700_000
    assert _counts(db)[2] == 700_000
    assert_books_match(db)


def test_reusing_a_key_for_a_different_request_is_refused(service, db):
    _, line_id = _farmer_with_line(service)
    service.draw("k", line_id, "1000", 6, "equal_installment")
    with pytest.raises(Conflict) as err:
        service.draw("k", line_id, "2000", 6, "equal_installment")
    assert err.value.code == "IDEMPOTENCY_KEY_REUSED"


@pytest.mark.parametrize(
    ("amount", "term", "method", "code"),
    [
        ("60000", 6, "equal_installment", "INSUFFICIENT_AVAILABLE"),
        ("50", 6, "equal_installment", "DRAW_BELOW_MINIMUM"),
        ("1000", 5, "equal_installment", "TERM_NOT_OFFERED"),
        ("1000", 6, "interest_first", "METHOD_NOT_ALLOWED"),  # band C is not a quality band
        ("1000.001", 6, "equal_installment", "AMOUNT_PRECISION"),
        ("1000", 6, "pay_whenever", "METHOD_UNKNOWN"),
    ],
)
def test_bad_drawdowns_are_refused_and_write_nothing(service, db, amount, term, method, code):
    _, line_id = _farmer_with_line(service, band="C")
    before = _counts(db)
    with pytest.raises(PuhuiError) as err:
        service.draw("bad", line_id, amount, term, method)
    assert err.value.code == code
    assert _counts(db) == before
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(idempotency)).scalar_one() == 1


def test_frozen_line_cannot_be_drawn_until_unfrozen(service):
    _, line_id = _farmer_with_line(service)
    service.set_line_status(line_id, LineStatus.FROZEN)
    with pytest.raises(Conflict) as err:
        service.draw("d", line_id, "1000", 6, "equal_installment")
    assert err.value.code == "LINE_FROZEN"
    service.set_line_status(line_id, LineStatus.ACTIVE)
    assert service.draw("d", line_id, "1000", 6, "equal_installment").loan_id == 1


def test_grant_refuses_out_of_range_limit_and_uncovered_segment(service):
    cid = service.add_customer("李小店", "merchant")
    with pytest.raises(Conflict) as err:
        service.grant_line("g", cid, "xintai_farmer_line", "50000", "B")
    assert err.value.code == "SEGMENT_NOT_COVERED"
    with pytest.raises(ValidationError) as err:
        service.grant_line("g2", cid, "merchant_sales_line", "500000", "B")
    assert err.value.code == "LIMIT_OUT_OF_RANGE"
    line = service.grant_line("g3", cid, "merchant_sales_line", "80000", "B", "120000")
    assert line.rate_annual == "0.078"  # 8.4 % less the 0.6 % sales discount


def test_repaying_more_than_owed_or_without_funds_writes_nothing(service, db):
    _, line_id = _farmer_with_line(service)
    drawn = service.draw("d", line_id, "1000", 6, "equal_installment")
    service.withdraw("w", drawn.customer_id, "1000")
    before = _counts(db)
    with pytest.raises(ValidationError) as err:
        service.repay("r", drawn.loan_id, "10")
    assert err.value.code == "INSUFFICIENT_FUNDS"
    with pytest.raises(Conflict) as err:
        service.repay("r2", drawn.loan_id, "5000", from_channel=True)
    assert err.value.code == "REPAY_EXCEEDS_OWED"
    assert _counts(db) == before
    assert_books_match(db)


def test_seasonal_single_draw_line_is_not_revolving(service):
    cid = service.add_customer("赵麦田", "farmer")
    line = service.grant_line("g", cid, "seasonal_farm_loan", "30000", "A")
    drawn = service.draw("d", line.line_id, "30000", 12, "seasonal")
    service.repay("r", drawn.loan_id, None, from_channel=True)
    assert service.line(line.line_id).available_fen(service.business_date()) == 0
