"""The simulator's vectorised loan arithmetic equals the loan core's reference schedules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.money import daily_interest_fen, rate_to_e8
from puhui.schedule import Basis, Method, build_schedule
from puhui.sim.lending import (
    classify,
    day_interest_fen,
    level_payment_fen,
    month_interest_fen,
)

RATES = ["0.072", "0.081", "0.09", "0.099", "0.108"]


def _simulated_schedule(principal_fen: int, rate: str, term: int, interest_first: bool):
    """Instalments the way ``lending._dues`` computes them, one period at a time."""
    rate_e8 = np.array([rate_to_e8(Decimal(rate))])
    level = level_payment_fen(np.array([principal_fen]), rate_e8, np.array([term]))
    balance = np.array([principal_fen])
    rows = []
    for seq in range(1, term + 1):
        interest = month_interest_fen(balance, rate_e8)
        if seq == term:
            principal = balance
        elif interest_first:
            principal = np.zeros(1, dtype=np.int64)
        else:
            principal = np.minimum(np.maximum(level - interest, 0), balance)
        rows.append((int(principal[0]), int(interest[0])))
        balance = balance - principal
    return rows


@settings(max_examples=300, deadline=None)
@given(
    principal_yuan=st.integers(min_value=1000, max_value=300_000),
    rate=st.sampled_from(RATES),
    term=st.sampled_from([3, 6, 9, 12]),
    interest_first=st.booleans(),
    start=st.dates(min_value=date(2018, 1, 1), max_value=date(2030, 12, 28)),
)
def test_instalments_match_build_schedule(principal_yuan, rate, term, interest_first, start):
    principal_fen = principal_yuan * 100
    method = Method.INTEREST_FIRST if interest_first else Method.EQUAL_INSTALLMENT
    reference = build_schedule(principal_fen, Decimal(rate), term, start, method, Basis.MONTHLY)
    expected = [(i.principal_fen, i.interest_fen) for i in reference.instalments]
    assert _simulated_schedule(principal_fen, rate, term, interest_first) == expected


@given(
    balance=st.integers(min_value=0, max_value=30_000_000),
    rate=st.sampled_from([*RATES, "0.162"]),
    days=st.integers(min_value=0, max_value=400),
)
def test_day_interest_matches_money(balance, rate, days):
    rate_e8 = rate_to_e8(Decimal(rate))
    simulated = day_interest_fen(np.array([balance]), np.array([rate_e8]), np.array([days]))
    assert int(simulated[0]) == daily_interest_fen(balance, rate_e8, days)


def test_classification_follows_the_five_categories():
    dpd = np.array([0, 1, 30, 90, 91, 270, 271, 360, 361, 1000])
    assert classify(dpd).tolist() == [0, 1, 1, 1, 2, 2, 3, 3, 4, 4]
