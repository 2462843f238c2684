"""The generative model shows what it promises: seasons, disasters, a learnable truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from puhui.sim.calibration import auc
from puhui.sim.config import DisasterSpec, make_config
from puhui.sim.engine import run
from puhui.sim.output import MemorySink


def test_grain_farmers_income_peaks_in_the_harvest_months(small_tables):
    persons = small_tables["truth/persons"].to_pandas()
    accounts = small_tables["platform/accounts"].to_pandas()
    monthly = small_tables["platform/monthly"].to_pandas().merge(accounts, on="user_id")
    grain = set(persons.loc[persons["occupation"] == "grain", "id_number"])
    rows = monthly[monthly["id_number"].isin(grain)]
    by_month = rows.groupby(pd.to_datetime(rows["month"]).dt.month)["inflow_fen"].mean()
    harvest = by_month.loc[[6, 10]]
    others = by_month.drop([6, 10, 11, 1])  # maize sales run on into November and January
    assert harvest.min() > 1.5 * others.median()
    truth = small_tables["truth/monthly"].to_pandas()
    income = (
        truth[truth["id_number"].isin(grain)]
        .groupby(pd.to_datetime(truth["month"]).dt.month)["true_income_fen"]
        .mean()
    )
    assert income.idxmax() in (6, 10)


def test_greenhouse_vegetable_growers_earn_most_in_winter(small_tables):
    persons = small_tables["truth/persons"].to_pandas()
    truth = small_tables["truth/monthly"].to_pandas().merge(persons, on="id_number")
    veg = truth[truth["occupation"] == "vegetable"]
    by_month = veg.groupby(pd.to_datetime(veg["month"]).dt.month)["true_income_fen"].mean()
    assert by_month.loc[[12, 1, 2, 3]].mean() > 2 * by_month.loc[[7, 8]].mean()


@pytest.fixture(scope="module")
def disaster_run():
    """A county where three townships are flooded out in month 6 and nothing else strikes."""
    hit = ("370982109", "370982110", "370982116")
    config = make_config(
        "xintai",
        60_000,
        14,
        5,
        disasters=tuple(DisasterSpec(code, 6, "flood", 0.9) for code in hit),
        random_disasters=False,
    )
    sink = MemorySink()
    run(config, sink)
    return hit, sink.tables()


def test_forced_disasters_are_announced(disaster_run):
    hit, tables = disaster_run
    notices = tables["government/disaster_notices"].to_pandas()
    assert sorted(notices["township_code"]) == sorted(hit)
    assert set(notices["kind"]) == {"flood"}
    assert set(notices["level"]) == {1}


def test_disasters_raise_default_in_the_hit_townships(disaster_run):
    hit, tables = disaster_run
    residents = tables["government/residents"].to_pandas()[["id_number", "township_code"]]
    truth = tables["truth/monthly"].to_pandas().merge(residents, on="id_number")
    truth["t"] = pd.to_datetime(truth["month"]).dt.to_period("M").astype("int64")
    truth["t"] -= truth["t"].min()
    in_hit = truth["township_code"].isin(hit)
    after = truth["t"].between(6, 11)
    pd_after = truth[after].groupby(in_hit[after])["pd_month"].mean()
    assert pd_after.loc[True] > 3 * pd_after.loc[False]
    before = truth["t"] < 6
    pd_before = truth[before].groupby(in_hit[before])["pd_month"].mean()
    assert pd_before.loc[True] < 1.5 * pd_before.loc[False]

    # Realised: of borrowers owing money at the end of month 5, who entered default in 6–11.
    lines = tables["lender/lines"].to_pandas()[["line_id", "id_number"]]
    status = tables["lender/monthly_status"].to_pandas().merge(lines, on="line_id")
    months = sorted(status["month_end"].unique())
    exposed = status.loc[status["month_end"] == months[5], "id_number"].unique()
    persons = tables["truth/persons"].to_pandas().set_index("id_number").loc[exposed]
    persons = persons.join(residents.set_index("id_number"))
    default_t = pd.to_datetime(persons["default_month"]).dt.to_period("M")
    start = pd.Period("2018-09", "M")
    newly = default_t.notna() & (default_t >= start + 6) & (default_t <= start + 11)
    rate = newly.groupby(persons["township_code"].isin(hit)).mean()
    assert rate.loc[True] > 2 * rate.loc[False]


def test_true_pd_ranks_realised_defaults(disaster_run):
    """Among borrowers outside the flooded townships, higher true PD means more 90+ DPD."""
    hit, tables = disaster_run
    residents = tables["government/residents"].to_pandas()[["id_number", "township_code"]]
    lines = tables["lender/lines"].to_pandas()[["line_id", "id_number"]]
    status = tables["lender/monthly_status"].to_pandas().merge(lines, on="line_id")
    status = status.merge(residents, on="id_number")
    status = status[~status["township_code"].isin(hit)]
    borrowers = status["id_number"].unique()
    bad = set(status.loc[status["days_past_due"] > 90, "id_number"])
    truth = tables["truth/monthly"].to_pandas()
    mean_pd = truth.groupby("id_number")["pd_month"].mean().loc[borrowers]
    label = np.array([b in bad for b in borrowers])
    assert label.sum() >= 20
    assert auc(mean_pd.to_numpy(), label) > 0.7


def test_auc_helper():
    assert auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == 0.75
    assert np.isnan(auc(np.array([0.1, 0.2]), np.array([1, 1])))
