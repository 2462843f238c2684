"""On-platform repayment history 本平台借还记录 features, and the training label.

Inputs: ``lender/lines`` (line → person), ``lender/draws``, ``lender/repayments`` and
``lender/monthly_status``. Status is known only at month-ends: a draw's days past due are
those of the month-end rows before ``as_of`` (``features.asof``).

The **label** looks the other way: 1 if any of the person's draws is more than 90 days past
due (``days_past_due > 90``: substandard 次级 or worse, the NPL definition) at a month-end in
the 12 months from ``T`` — month-ends ``T <= month_end < T + 12 months``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd

from puhui.data.sources import BY_NAME
from puhui.features.asof import known, last_complete_month_end, months_before, months_between

LABEL_DPD = 90
LABEL_MONTHS = 12


def _person_status(facts: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Month-end status per person: largest days past due, principal outstanding."""
    lines = facts["lender/lines"][["line_id", "person_key"]]
    status = facts["lender/monthly_status"].merge(lines, on="line_id")
    return status.groupby(["person_key", "month_end"], as_index=False).agg(
        days_past_due=("days_past_due", "max"),
        outstanding_fen=("outstanding_principal_fen", "sum"),
    )


def history_features(facts: Mapping[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    """Lending-history features per person (index ``person_key``) with a line before ``as_of``."""
    all_lines = facts["lender/lines"]
    lines = known(all_lines, BY_NAME["lender/lines"], as_of)
    first_line = lines.groupby("person_key")["granted_date"].min()
    owner = all_lines.set_index("line_id")["person_key"]

    draws = known(facts["lender/draws"], BY_NAME["lender/draws"], as_of)
    draws = draws.assign(person_key=draws["line_id"].map(owner))
    recent = draws[draws["draw_date"] >= months_before(as_of, 12)]

    status_source = BY_NAME["lender/monthly_status"]
    status = _person_status(
        {
            **facts,
            "lender/monthly_status": known(facts["lender/monthly_status"], status_source, as_of),
        }
    )
    last_year = status[status["month_end"] >= months_before(as_of, 12)]
    now = status[status["month_end"] == last_complete_month_end(as_of)].set_index("person_key")

    repayments = known(facts["lender/repayments"], BY_NAME["lender/repayments"], as_of)
    draw_owner = facts["lender/draws"].set_index("draw_id")["line_id"].map(owner)
    repayments = repayments.assign(person_key=repayments["draw_id"].map(draw_owner))
    by_kind = repayments.groupby(["person_key", "kind"]).size().unstack(fill_value=0)

    columns = {
        "lender_line_months": months_between(first_line, as_of).astype("float64"),
        "draws_count": draws.groupby("person_key").size(),
        "draws_12m": recent.groupby("person_key").size(),
        "max_dpd_ever": status.groupby("person_key")["days_past_due"].max(),
        "max_dpd_12m": last_year.groupby("person_key")["days_past_due"].max(),
        "months_past_due_12m": last_year[last_year["days_past_due"] > 0]
        .groupby("person_key")
        .size(),
        "dpd_now": now["days_past_due"],
        "outstanding_principal_yuan": now["outstanding_fen"] / 100.0,
        "late_repayments": by_kind.get("overdue", pd.Series(dtype="int64")),
        "prepayments": by_kind.get("prepayment", pd.Series(dtype="int64")),
        "since_last_repayment_days": (
            pd.Timestamp(as_of) - repayments.groupby("person_key")["repay_date"].max()
        ).dt.days,
        "penalty_paid_yuan": repayments.groupby("person_key")["penalty_fen"].sum() / 100.0,
    }
    return pd.concat(
        [series.astype("float64").rename(name) for name, series in columns.items()], axis=1
    )


def label_90dpd(facts: Mapping[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    """Per person who owed money at a month-end in the 12 months from ``as_of``:
    ``label_90dpd_12m`` (0/1). Also ``bad_at_as_of``: already more than 90 days past due at
    the last month-end before ``as_of`` (usually excluded from a training population)."""
    status = _person_status(facts)
    start = pd.Timestamp(as_of)
    end = start + pd.DateOffset(months=LABEL_MONTHS)
    window = status[(status["month_end"] >= start) & (status["month_end"] < end)]
    owing = window[window["outstanding_fen"] > 0]
    label = (owing.groupby("person_key")["days_past_due"].max() > LABEL_DPD).astype("int64")
    before = status[status["month_end"] == last_complete_month_end(as_of)]
    bad = before.groupby("person_key")["days_past_due"].max() > LABEL_DPD
    frame = label.rename("label_90dpd_12m").to_frame()
    frame["bad_at_as_of"] = bad.reindex(frame.index, fill_value=False).astype(bool)
    return frame
