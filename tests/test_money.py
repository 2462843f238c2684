"""money: parsing refuses what is not money; rounding is half-up once; SQL integer forms exact."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.errors import ValidationError
from puhui.money import (
    daily_interest_fen,
    format_rate,
    format_yuan,
    from_fen,
    positive_yuan,
    rate,
    rate_from_e8,
    rate_to_e8,
    round_fen,
    to_fen,
    yuan,
)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (0.1, "AMOUNT_TYPE"),
        ("1.234", "AMOUNT_PRECISION"),
        ("-5", "AMOUNT_NEGATIVE"),
        ("NaN", "AMOUNT_NOT_FINITE"),
        ("Infinity", "AMOUNT_NOT_FINITE"),
        ("abc", "AMOUNT_FORMAT"),
        (True, "AMOUNT_TYPE"),
        (None, "AMOUNT_TYPE"),
    ],
)
def test_yuan_refuses_what_is_not_money(raw, code):
    with pytest.raises(ValidationError) as err:
        yuan(raw)
    assert err.value.code == code
    assert err.value.message_zh
    assert err.value.message_en


def test_yuan_accepts_strings_ints_decimals_and_thousands_separators():
    assert yuan("1,000.5") == Decimal("1000.50")
    assert yuan(12) == Decimal("12.00")
    assert yuan(Decimal("0.01")) == Decimal("0.01")
    assert yuan("-3.2", allow_negative=True) == Decimal("-3.20")


def test_positive_yuan_refuses_zero():
    with pytest.raises(ValidationError) as err:
        positive_yuan("0")
    assert err.value.code == "AMOUNT_NOT_POSITIVE"


def test_round_fen_is_half_up():
    assert round_fen(Decimal("0.005")) == Decimal("0.01")
    assert round_fen(Decimal("0.0049")) == Decimal("0.00")
    assert round_fen(Decimal("2.675")) == Decimal("2.68")  # a float would give 2.67


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_fen_round_trip_is_exact(amount_fen):
    assert to_fen(from_fen(amount_fen)) == amount_fen


def test_to_fen_refuses_sub_fen():
    with pytest.raises(ValidationError):
        to_fen(Decimal("1.001"))


@pytest.mark.parametrize("raw", ["1.2", "-0.01", "0.123456789", 0.07])
def test_rate_refuses_out_of_range_or_too_precise(raw):
    with pytest.raises(ValidationError):
        rate(raw)


@given(st.integers(min_value=0, max_value=99_999_999))
def test_rate_e8_round_trip(rate_e8):
    assert rate_to_e8(rate_from_e8(rate_e8)) == rate_e8


@given(
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=36_000_000),
    st.integers(min_value=0, max_value=400),
)
def test_daily_interest_integer_formula_equals_decimal_half_up(principal_fen, rate_e8, days):
    exact = Decimal(principal_fen) * Decimal(rate_e8) / Decimal(10**8) * days / 360
    expected = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert daily_interest_fen(principal_fen, rate_e8, days) == expected


def test_display_formats():
    assert format_yuan(Decimal("12345.6")) == "¥12,345.60"
    assert format_rate(Decimal("0.072")) == "7.20%"
