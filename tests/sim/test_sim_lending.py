"""The lender files obey the product, the money rules and the simulator's own story."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from puhui.products import load_catalogue
from puhui.sim.lending import CLASSES, classify


@pytest.fixture(scope="module")
def lender(small_tables):
    frames = {
        name.split("/")[1]: small_tables[name].to_pandas()
        for name in small_tables
        if name.startswith("lender/")
    }
    return frames


@pytest.fixture(scope="module")
def product():
    return load_catalogue().get("xintai_farmer_line")


def test_draws_respect_the_product_and_the_line(lender, product):
    draws = lender["draws"].merge(lender["lines"], on="line_id", suffixes=("", "_line"))
    assert len(draws) > 100
    assert (draws["principal_fen"] >= 100_000).all()
    assert (draws["principal_fen"] <= draws["limit_fen"]).all()
    assert set(draws["term_months"]) <= set(product.terms_months)
    assert (draws["rate_annual_e8"] == draws["rate_annual_e8_line"]).all()
    interest_first = draws["repayment_method"] == "interest_first"
    assert interest_first.any()
    assert set(draws.loc[interest_first, "band"]) <= {"A", "B"}
    assert (draws["draw_date"] >= draws["granted_date"]).all()
    assert (draws["draw_date"] <= draws["expiry_date"]).all()
    lines = lender["lines"]
    assert (lines["limit_fen"] >= 100_000).all()
    assert (lines["limit_fen"] <= 30_000_000).all()
    assert (lines["limit_fen"] % 10_000 == 0).all()


def test_principal_is_repaid_exactly_and_never_more(lender):
    pays = lender["repayments"]
    draws = lender["draws"].set_index("draw_id")
    repaid = pays.groupby("draw_id")["principal_fen"].sum()
    assert (repaid <= draws.loc[repaid.index, "principal_fen"]).all()
    closed = pays.loc[pays["principal_remaining_fen"] == 0, "draw_id"].unique()
    assert len(closed) > 50
    assert (repaid.loc[closed] == draws.loc[closed, "principal_fen"]).all()
    assert (pays[["principal_fen", "interest_fen", "penalty_fen"]] >= 0).all().all()
    # Rows are in the order they happened (the file is sorted by date, draw, kind order).
    ordered = pays.sort_values(["draw_id", "repay_date"], kind="stable")
    after = (
        draws.loc[ordered["draw_id"], "principal_fen"].to_numpy()
        - ordered.groupby("draw_id")["principal_fen"].cumsum().to_numpy()
    )
    assert (after == ordered["principal_remaining_fen"].to_numpy()).all()


def test_penalty_is_charged_only_on_overdue_payments(lender):
    pays = lender["repayments"]
    assert (pays.loc[pays["kind"] != "overdue", "penalty_fen"] == 0).all()
    overdue = pays[pays["kind"] == "overdue"]
    assert len(overdue) > 0
    assert (overdue.loc[overdue["principal_fen"] > 0, "penalty_fen"] > 0).all()


def test_month_end_status_is_consistent(lender):
    status = lender["monthly_status"]
    assert (status["outstanding_principal_fen"] > 0).all() or len(status) == 0
    assert (status["overdue_principal_fen"] <= status["outstanding_principal_fen"]).all()
    late = status["days_past_due"] > 0
    owed = status["overdue_principal_fen"] + status["overdue_interest_fen"] > 0
    assert (late == owed).all()
    expected = np.asarray(CLASSES)[classify(status["days_past_due"].to_numpy())]
    assert (status["classification"].to_numpy() == expected).all()


def test_only_defaulted_people_reach_90_days(lender, small_tables):
    status = lender["monthly_status"].merge(lender["lines"][["line_id", "id_number"]])
    bad = status[status["days_past_due"] > 90]
    assert len(bad) > 0
    truth = small_tables["truth/monthly"].to_pandas()
    truth["month_end"] = (pd.to_datetime(truth["month"]) + pd.offsets.MonthEnd(0)).dt.date
    flagged = bad.merge(truth, on=["id_number", "month_end"])
    assert len(flagged) == len(bad)
    assert flagged["in_default"].all()


def test_a_person_has_at_most_one_open_draw(lender):
    draws = lender["draws"].merge(lender["lines"][["line_id", "id_number"]])
    closing = (
        lender["repayments"]
        .loc[lender["repayments"]["principal_remaining_fen"] == 0]
        .groupby("draw_id")["repay_date"]
        .min()
    )
    draws["closed"] = draws["draw_id"].map(closing)
    draws = draws.sort_values(["id_number", "draw_date", "draw_id"])
    same = draws["id_number"].eq(draws["id_number"].shift())
    previous_closed = draws["closed"].shift()
    assert previous_closed[same].notna().all()
    assert (draws.loc[same, "draw_date"] >= previous_closed[same]).all()


def test_each_granted_person_has_one_launch_line_and_renewals_chain(lender, small_tables):
    lines = lender["lines"]
    launch = lines[lines["renewal_of"].isna()]
    assert launch["id_number"].is_unique
    renewals = lines[lines["renewal_of"].notna()]
    assert len(renewals) > 0
    assert set(renewals["renewal_of"].astype("int64")) <= set(lines["line_id"])
    granted = small_tables["truth/persons"].to_pandas()
    assert set(launch["id_number"]) == set(granted.loc[granted["granted"], "id_number"])
