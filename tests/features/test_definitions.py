"""Feature definitions on hand-made facts: windows, the point-in-time edges, consent scopes,
protected attributes, the label."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from puhui.data.consent import parse_scope
from puhui.data.sources import BY_NAME
from puhui.features.asof import months_back, usable
from puhui.features.build import compute_features, empty_facts
from puhui.features.catalogue import FEATURE_NAMES, FEATURES, GROUP_COLUMNS
from puhui.features.history import label_90dpd
from puhui.features.windows import seasonality, window_cv, window_mean, window_trend

AS_OF = date(2020, 1, 1)
P = "p" * 64
Q = "q" * 64


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    empty = empty_facts(BY_NAME[name])
    frame = pd.DataFrame(rows, columns=empty.columns)
    return frame.astype(empty.dtypes.to_dict())


def _month(y: int, m: int) -> pd.Timestamp:
    return pd.Timestamp(y, m, 1)


def _platform(inflows_yuan: list[float], first: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """One account of person P with monthly inflow from ``first`` on (oldest first)."""
    months = [first + pd.DateOffset(months=i) for i in range(len(inflows_yuan))]
    row = {
        "user_id": 2088000000000001,
        "outflow_fen": 100,
        "inflow_count": 1,
        "outflow_count": 1,
        "bill_payment_count": 2,
        "bill_payment_fen": 100,
        "bill_late_count": 1,
        "login_days": 10,
        "balance_end_fen": 500,
    }
    monthly = [
        {**row, "month": month, "inflow_fen": int(yuan * 100)}
        for month, yuan in zip(months, inflows_yuan, strict=True)
    ]
    return {
        "platform/accounts": _frame(
            "platform/accounts",
            [{"user_id": 2088000000000001, "person_key": P, "opened_date": _month(2015, 3)}],
        ),
        "platform/monthly": _frame("platform/monthly", monthly),
    }


def _scopes(*keys: str, scope: str = "all") -> pd.Series:
    return pd.Series([parse_scope(scope)] * len(keys), index=list(keys))


def test_window_statistics_follow_their_definitions():
    # column 0 = the last complete month; values oldest → newest are 1, 2, 3
    m = np.array([[3.0, 2.0, 1.0, np.nan]])
    assert window_mean(m, 3)[0] == pytest.approx(2.0)
    assert window_cv(m, 3)[0] == pytest.approx(np.std([1, 2, 3]) / 2)
    assert window_trend(m, 3)[0] == pytest.approx(1.0 / 2.0)  # +1 per month over a mean of 2
    assert np.isnan(window_cv(np.array([[5.0, np.nan, np.nan]]), 3)[0])
    flat, peaked = np.ones((1, 12)), np.zeros((1, 12))
    peaked[0, :3] = 1.0
    assert seasonality(flat)[0] == pytest.approx(0.0)
    assert seasonality(peaked)[0] == pytest.approx(1.0)
    assert np.isnan(seasonality(np.full((1, 12), np.nan))[0])


def test_a_month_is_usable_from_the_first_day_of_the_next_month():
    monthly = BY_NAME["platform/monthly"]
    frame = pd.DataFrame({"month": [_month(2019, 11), _month(2019, 12)]})
    assert list(usable(frame, monthly, date(2020, 1, 1))) == [True, True]
    assert list(usable(frame, monthly, date(2019, 12, 31))) == [True, False]
    assert list(months_back(frame["month"], date(2020, 1, 1))) == [1, 0]
    events = BY_NAME["government/subsidies"]
    paid = pd.DataFrame({"paid_date": [pd.Timestamp(2019, 12, 31), pd.Timestamp(2020, 1, 1)]})
    assert list(usable(paid, events, date(2020, 1, 1))) == [True, False]


def test_payment_features_use_the_last_complete_months():
    # 13 months Dec 2018 … Dec 2019; as of 2020-01-01 the window is Jan … Dec 2019.
    inflows = [999.0] + [100.0 * (i + 1) for i in range(12)]
    table = compute_features(_platform(inflows, _month(2018, 12)), AS_OF, _scopes(P))
    row = table.features.loc[P]
    assert row["inflow_mean_3m_yuan"] == pytest.approx((1000 + 1100 + 1200) / 3)
    assert row["inflow_mean_12m_yuan"] == pytest.approx(650.0)
    assert row["inflow_trend_12m"] == pytest.approx(100.0 / 650.0)
    assert row["bill_late_share_12m"] == pytest.approx(0.5)
    assert row["platform_account_months"] == 58  # March 2015 → January 2020
    assert row["device_changes_12m"] == 0.0


def test_last_months_log_ins_are_compared_with_the_persons_12_month_habit():
    # Dec 2018 … Dec 2019; as of 2020-01-01 the window is Jan … Dec 2019, Dec 2019 the last month.
    facts = _platform([100.0] * 13, _month(2018, 12))
    monthly = facts["platform/monthly"]
    monthly["login_days"] = [31] + [20] * 11 + [5]
    row = compute_features(facts, AS_OF, _scopes(P)).features.loc[P]
    assert row["login_days_1m_vs_12m"] == pytest.approx(5 / ((11 * 20 + 5) / 12))
    facts["platform/monthly"] = monthly[monthly["month"] < _month(2019, 12)]
    no_last_month = compute_features(facts, AS_OF, _scopes(P)).features.loc[P]
    assert np.isnan(no_last_month["login_days_1m_vs_12m"])  # no row for Dec 2019: unknown
    facts["platform/monthly"] = monthly.assign(login_days=0)
    never = compute_features(facts, AS_OF, _scopes(P)).features.loc[P]
    assert np.isnan(never["login_days_1m_vs_12m"])  # no habit to compare with


def test_people_outside_a_consent_scope_get_no_features_from_that_partner():
    facts = _platform([100.0] * 12, _month(2019, 1))
    facts["government/residents"] = _frame(
        "government/residents",
        [
            {
                "person_key": P,
                "name": "王",
                "gender": "male",
                "birth_date": pd.Timestamp(1980, 6, 1),
                "ethnicity": "汉族",
                "township_code": "370982001",
                "township_name": "青云街道",
                "village_code": "370982001001",
                "village_name": "王家庄村",
                "household_size": 4,
                "education": "college",
            }
        ],
    )
    government_only = compute_features(facts, AS_OF, _scopes(P, scope="government"))
    row = government_only.features.loc[P]
    platform = [f.name for f in FEATURES if f.partner.value == "platform"]
    assert row[platform].isna().all()
    assert (row["age_years"], row["education_level"]) == (39.0, 3.0)
    everything = compute_features(facts, AS_OF, _scopes(P)).features.loc[P]
    assert everything["inflow_mean_12m_yuan"] == pytest.approx(100.0)


def test_protected_attributes_are_beside_the_features_never_in_them():
    table = compute_features({}, AS_OF, _scopes(P, Q))
    assert list(table.features.columns) == list(FEATURE_NAMES)
    assert not {"gender", "ethnicity", "township", "age_band"} & set(table.features.columns)
    assert list(table.groups.columns) == list(GROUP_COLUMNS)
    assert list(table.features.index) == sorted([P, Q])


def test_pension_months_and_continuity_count_completed_years():
    rows = [
        {
            "person_key": P,
            "year": y,
            "months_contributed": 12,
            "contribution_fen": 30000,
            "paid_date": pd.Timestamp(y, 4, 1),
        }
        for y in (2014, 2016, 2017, 2018, 2019)
    ]
    facts = {"government/social_insurance": _frame("government/social_insurance", rows)}
    row = compute_features(facts, AS_OF, _scopes(P)).features.loc[P]
    # as of 2020-01-01: the five completed years are 2015–2019
    assert row["pension_months_5y"] == 48
    assert row["pension_continuity_5y"] == pytest.approx(0.8)
    assert row["pension_streak_years"] == 4
    assert row["pension_grade_yuan"] == pytest.approx(300.0)
    earlier = compute_features(facts, date(2019, 4, 1), _scopes(P)).features.loc[P]
    assert earlier["pension_streak_years"] == 3  # 2019 not yet paid on 2019-04-01: no gap


def _lender(dpd_by_month_end: dict[pd.Timestamp, int]) -> dict[str, pd.DataFrame]:
    status = [
        {
            "month_end": day,
            "draw_id": 1,
            "line_id": 10,
            "outstanding_principal_fen": 100_000,
            "overdue_principal_fen": 0,
            "overdue_interest_fen": 0,
            "days_past_due": dpd,
            "classification": "normal",
        }
        for day, dpd in dpd_by_month_end.items()
    ]
    line = {
        "line_id": 10,
        "person_key": P,
        "product_code": "xintai_farmer_line",
        "granted_date": pd.Timestamp(2019, 1, 1),
        "expiry_date": pd.Timestamp(2020, 1, 1),
        "limit_fen": 1_000_000,
        "band": "C",
        "rate_annual_e8": 9_000_000,
        "renewal_of": None,
    }
    return {
        "lender/lines": _frame("lender/lines", [line]),
        "lender/monthly_status": _frame("lender/monthly_status", status),
    }


def test_history_uses_month_ends_before_the_date_and_the_label_those_after():
    facts = _lender(
        {
            pd.Timestamp(2019, 11, 30): 15,
            pd.Timestamp(2019, 12, 31): 0,
            pd.Timestamp(2020, 5, 31): 120,
            pd.Timestamp(2021, 1, 31): 400,
        }
    )
    row = compute_features(facts, AS_OF, _scopes(P)).features.loc[P]
    assert (row["max_dpd_ever"], row["dpd_now"], row["months_past_due_12m"]) == (15, 0, 1)
    assert row["lender_line_months"] == 12
    labels = label_90dpd(facts, AS_OF)
    assert labels.loc[P, "label_90dpd_12m"] == 1  # 120 days at 2020-05-31, inside the window
    later = label_90dpd(facts, date(2020, 6, 1))
    assert later.loc[P, "label_90dpd_12m"] == 1  # 400 days at 2021-01-31 …
    assert bool(later.loc[P, "bad_at_as_of"])  # … but already bad at 2020-05-31
    assert label_90dpd(facts, date(2021, 2, 1)).empty  # nothing owed after


def test_days_since_the_last_repayment_count_repayments_before_the_date():
    facts = _lender({pd.Timestamp(2019, 11, 30): 0})
    draw = {
        "draw_id": 1,
        "line_id": 10,
        "draw_date": pd.Timestamp(2019, 6, 5),
        "principal_fen": 100_000,
        "term_months": 6,
        "repayment_method": "equal_installment",
        "rate_annual_e8": 9_000_000,
        "maturity_date": pd.Timestamp(2019, 12, 5),
    }
    repayment = {
        "draw_id": 1,
        "kind": "instalment",
        "principal_fen": 16_000,
        "interest_fen": 750,
        "penalty_fen": 0,
        "principal_remaining_fen": 0,
    }
    facts["lender/draws"] = _frame("lender/draws", [draw])
    facts["lender/repayments"] = _frame(
        "lender/repayments",
        [
            {**repayment, "repay_date": pd.Timestamp(2019, 11, 5)},
            {**repayment, "repay_date": pd.Timestamp(2019, 12, 20)},
            {**repayment, "repay_date": pd.Timestamp(2020, 1, 1), "kind": "prepayment"},
        ],
    )
    features = compute_features(facts, AS_OF, _scopes(P, Q)).features
    assert features.loc[P, "since_last_repayment_days"] == 12  # 2019-12-20; 2020-01-01 not yet
    assert np.isnan(features.loc[Q, "since_last_repayment_days"])  # never repaid: unknown


def test_every_feature_is_documented():
    doc = (Path(__file__).parents[2] / "docs" / "features.md").read_text("utf-8")
    assert [name for name in FEATURE_NAMES if f"`{name}`" not in doc] == []
    assert len(FEATURE_NAMES) == len(set(FEATURE_NAMES))
