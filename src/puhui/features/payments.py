"""Payment-platform features 支付行为特征: income level, volatility, trend, seasonality, bills,
log-ins (level, and the last month against the person's own 12-month habit), device changes,
and the social graph of transfers.

Inputs are the stored facts of ``platform/accounts``, ``platform/monthly``,
``platform/device_changes``, ``platform/transfers`` and (for contacts' status)
``lender/lines`` + ``lender/monthly_status``. Accounts map ``user_id`` to the person; a person
with several accounts has their monthly rows summed. Everything is as of ``as_of``
(``features.asof``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from puhui.data.sources import BY_NAME
from puhui.features import windows as w
from puhui.features.asof import (
    known,
    last_complete_month_end,
    months_back,
    months_before,
    months_between,
)

_MONTHLY_SUMS = [
    "inflow_fen",
    "outflow_fen",
    "balance_end_fen",
    "bill_payment_count",
    "bill_late_count",
    "login_days",
]


def _accounts(facts: Mapping[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    return known(facts["platform/accounts"], BY_NAME["platform/accounts"], as_of)


def _monthly(
    facts: Mapping[str, pd.DataFrame], accounts: pd.DataFrame, as_of: date
) -> pd.DataFrame:
    monthly = known(facts["platform/monthly"], BY_NAME["platform/monthly"], as_of)
    monthly = monthly.merge(accounts[["user_id", "person_key"]], on="user_id")
    monthly = monthly.assign(months_back=months_back(monthly["month"], as_of))
    monthly = monthly[monthly["months_back"] < w.WINDOW_MONTHS]
    return monthly.groupby(["person_key", "months_back"], as_index=False)[_MONTHLY_SUMS].sum()


def payment_features(facts: Mapping[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    """Payment features per person (index ``person_key``) with a platform account before
    ``as_of``."""
    accounts = _accounts(facts, as_of)
    persons, m = w.month_matrix(_monthly(facts, accounts, as_of), _MONTHLY_SUMS)
    inflow = m["inflow_fen"] / 100.0
    out: dict[str, np.ndarray] = {}
    for months in (3, 6, 12):
        out[f"inflow_mean_{months}m_yuan"] = w.window_mean(inflow, months)
        out[f"inflow_cv_{months}m"] = w.window_cv(inflow, months)
        out[f"inflow_trend_{months}m"] = w.window_trend(inflow, months)
    out["inflow_seasonality_12m"] = w.seasonality(inflow)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_12 = out["inflow_mean_12m_yuan"]
        out["inflow_drop_3m_vs_12m"] = np.where(
            mean_12 > 0, out["inflow_mean_3m_yuan"] / mean_12, np.nan
        )
        inflow_6 = w.window_sum(m["inflow_fen"], 6)
        out["outflow_to_inflow_6m"] = np.where(
            inflow_6 > 0, w.window_sum(m["outflow_fen"], 6) / inflow_6, np.nan
        )
        bills = w.window_sum(m["bill_payment_count"], 12)
        out["bill_late_share_12m"] = np.where(
            bills > 0, w.window_sum(m["bill_late_count"], 12) / bills, np.nan
        )
    out["bill_payments_12m"] = bills
    out["balance_end_mean_3m_yuan"] = w.window_mean(m["balance_end_fen"], 3) / 100.0
    out["login_days_mean_3m"] = w.window_mean(m["login_days"], 3)
    with np.errstate(invalid="ignore", divide="ignore"):
        login_12 = w.window_mean(m["login_days"], 12)
        out["login_days_1m_vs_12m"] = np.where(
            login_12 > 0, m["login_days"][:, 0] / login_12, np.nan
        )
    result = pd.DataFrame(out, index=persons)

    opened = accounts.groupby("person_key")["opened_date"].min()
    tenure = months_between(opened, as_of).astype("float64").rename("platform_account_months")
    devices = known(facts["platform/device_changes"], BY_NAME["platform/device_changes"], as_of)
    recent = devices[devices["event_date"] >= months_before(as_of, 12)]
    changes = (
        recent.merge(accounts[["user_id", "person_key"]], on="user_id")
        .groupby("person_key")
        .size()
        .rename("device_changes_12m")
        .astype("float64")
    )
    result = result.join(tenure, how="outer").join(changes, how="left")
    result["device_changes_12m"] = result["device_changes_12m"].fillna(0.0)
    return result.join(graph_features(facts, accounts, as_of), how="left")


def _status_now(facts: Mapping[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    """Per person: the largest days past due at the last month-end before ``as_of``."""
    status = facts["lender/monthly_status"]
    at = status[status["month_end"] == last_complete_month_end(as_of)]
    lines = facts["lender/lines"][["line_id", "person_key"]]
    return at.merge(lines, on="line_id").groupby("person_key")["days_past_due"].max()


def graph_features(
    facts: Mapping[str, pd.DataFrame], accounts: pd.DataFrame, as_of: date
) -> pd.DataFrame:
    """Contacts: distinct counterparties of transfers either way in the 12 complete months
    before ``as_of``; the share of contacts known as people (they have an account known
    before ``as_of``) who were past due — and more than 90 days past due — at the last
    month-end before ``as_of``."""
    transfers = known(facts["platform/transfers"], BY_NAME["platform/transfers"], as_of)
    transfers = transfers[months_back(transfers["month"], as_of) < w.WINDOW_MONTHS]
    pairs = pd.concat(
        [
            transfers[["user_id", "counterparty_user_id"]].set_axis(["a", "b"], axis=1),
            transfers[["counterparty_user_id", "user_id"]].set_axis(["a", "b"], axis=1),
        ]
    )
    owner = accounts.set_index("user_id")["person_key"]
    pairs = pairs.assign(person_key=pairs["a"].map(owner), contact=pairs["b"].map(owner))
    pairs = pairs.dropna(subset=["person_key"]).drop_duplicates(["person_key", "b"])
    pairs = pairs[pairs["contact"] != pairs["person_key"]]
    degree = pairs.groupby("person_key").size().astype("float64").rename("contacts_12m")
    people = pairs.dropna(subset=["contact"]).drop_duplicates(["person_key", "contact"])
    dpd = people["contact"].map(_status_now(facts, as_of)).fillna(0)
    people = people.assign(overdue=dpd > 0, serious=dpd > 90)
    shares = people.groupby("person_key")[["overdue", "serious"]].mean()
    shares.columns = ["contacts_overdue_share", "contacts_90dpd_share"]
    return pd.concat([degree, shares], axis=1)
