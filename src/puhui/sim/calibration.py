"""Calibration: measure a run's lending the way seed 003 reports Xintai, compare with targets.

Everything is measured from the lender files (``lender/*``), as one would measure a real
lender's book, one year after launch (Xintai's figures are for September 2019, a year after
the September 2018 launch):

- ``ever_borrowed_share``: people who drew at least once in the first 12 months / people
  granted at launch (Xintai: 19,900 / 158,000 = 12.59 %);
- ``borrowing_share``: people with an outstanding draw at the end of month 12 / granted
  (10,012 / 158,000 = 6.34 %);
- ``outstanding_per_borrower_yuan``: outstanding principal / those people at that month-end
  (156 M / 10,012 ≈ 15,600 CNY);
- ``mean_draw_days``: mean days from draw to full repayment of draws made in the first
  12 months and repaid by the end of the run (seed: "average use ~90 days");
- ``npl_ratio``: outstanding principal more than 90 days past due (次级 + 可疑 + 损失) /
  outstanding principal, at the end of month 12 (issue 3: ≈ 1–2 %).

Reference figures (reported, not calibrated): amount lent in the first year per person granted
(Xintai 1.23 bn / 158,000 ≈ 7,785 CNY), and the AUC of the true PD against realised 90+ days
past due among borrowers (mean monthly true PD over the run; a check that the truth carries
the signal the scoring engine is meant to learn).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from puhui.errors import ValidationError
from puhui.sim.timeline import make_timeline, to_epoch_day

CALIBRATION_MONTHS = 12
NPL_DPD = 90
#: Tables the measurements read (what a calibration run needs to keep in memory).
NEEDED: tuple[str, ...] = (
    "lender/lines",
    "lender/draws",
    "lender/repayments",
    "lender/monthly_status",
    "truth/monthly",
)


@dataclass(frozen=True, slots=True)
class Target:
    """A seed figure, how to show it, and how far a run may be from it."""

    key: str
    label: str
    target: float
    tolerance: float
    unit: str
    source: str


TARGETS: tuple[Target, ...] = (
    Target(
        "ever_borrowed_share",
        "一年内用信占比 borrowed within a year",
        0.1259,
        0.015,
        "share",
        "seed 003: 19,900 / 158,000",
    ),
    Target(
        "borrowing_share",
        "月末在贷占比 borrowing at month-end",
        0.0634,
        0.010,
        "share",
        "seed 003: 10,012 / 158,000",
    ),
    Target(
        "outstanding_per_borrower_yuan",
        "户均余额 outstanding per borrower",
        15600.0,
        2000.0,
        "yuan",
        "seed 003: 1.56 亿 / 10,012",
    ),
    Target(
        "mean_draw_days",
        "平均用款天数 mean draw duration",
        90.0,
        12.0,
        "days",
        "seed 003: 平均使用期限为90天",
    ),
    Target("npl_ratio", "不良率 NPL ratio (>90 DPD)", 0.015, 0.005, "share", "issue 3: ≈ 1–2 %"),
)


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the calibration report."""

    target: Target | None
    key: str
    label: str
    simulated: float
    unit: str

    @property
    def ok(self) -> bool:
        if self.target is None:
            return True
        return abs(self.simulated - self.target.target) <= self.target.tolerance


def auc(score: np.ndarray, label: np.ndarray) -> float:
    """Area under the ROC curve (Mann–Whitney, ties averaged); NaN if one class is absent."""
    label = label.astype(bool)
    positives, negatives = int(label.sum()), int((~label).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = pd.Series(score).rank(method="average").to_numpy()
    return float((ranks[label].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _frame(tables: Mapping[str, pa.Table], name: str) -> pd.DataFrame:
    return tables[name].to_pandas(types_mapper=None, date_as_object=False)


def measure(tables: Mapping[str, pa.Table], start: date) -> dict[str, float]:
    """The calibrated figures and the reference figures of a run started on ``start``."""
    timeline = make_timeline(start, CALIBRATION_MONTHS + 1)
    start_day = to_epoch_day(start)
    year_end = int(timeline.first_day[CALIBRATION_MONTHS])
    month_end = year_end - 1

    def days(series: pd.Series) -> np.ndarray:
        return series.to_numpy().astype("datetime64[D]").astype(np.int64)

    lines = _frame(tables, "lender/lines")
    draws = _frame(tables, "lender/draws")
    pays = _frame(tables, "lender/repayments")
    status = _frame(tables, "lender/monthly_status")
    status_days = days(status["month_end"])
    if status_days.size == 0 or status_days.max() < month_end:
        raise ValidationError(
            "SIM_CALIBRATION_SHORT",
            f"校准需要至少 {CALIBRATION_MONTHS} 个月的放贷记录",
            f"calibration needs at least {CALIBRATION_MONTHS} months of lending",
        )
    launch = lines[lines["renewal_of"].isna() & (days(lines["granted_date"]) == start_day)]
    granted = len(launch)
    person_of_line = dict(zip(lines["line_id"], lines["id_number"], strict=True))
    draw_days = days(draws["draw_date"])
    first_year = draws[draw_days < year_end]
    borrowers_year = first_year["line_id"].map(person_of_line).nunique()

    at_end = status[status_days == month_end]
    borrowers_now = at_end["line_id"].map(person_of_line).nunique()
    outstanding = at_end["outstanding_principal_fen"].sum()
    bad = at_end.loc[at_end["days_past_due"] > NPL_DPD, "outstanding_principal_fen"].sum()

    closing = pays[pays["principal_remaining_fen"] == 0].groupby("draw_id")["repay_date"].min()
    closed = first_year.merge(closing.rename("closed"), left_on="draw_id", right_index=True)
    durations = days(closed["closed"]) - days(closed["draw_date"])

    ever_bad = status.loc[status["days_past_due"] > NPL_DPD, "line_id"].map(person_of_line)
    truth = tables["truth/monthly"].select(["id_number", "pd_month"]).to_pandas()
    mean_pd = truth.groupby("id_number", sort=False)["pd_month"].mean()
    borrowers = pd.Index(draws["line_id"].map(person_of_line).unique())
    realised = borrowers.isin(ever_bad.unique())
    score = mean_pd.reindex(borrowers).to_numpy()
    return {
        "granted": float(granted),
        "ever_borrowed_share": borrowers_year / granted if granted else float("nan"),
        "borrowing_share": borrowers_now / granted if granted else float("nan"),
        "outstanding_per_borrower_yuan": outstanding / 100 / borrowers_now
        if borrowers_now
        else float("nan"),
        "mean_draw_days": float(durations.mean()) if durations.size else float("nan"),
        "npl_ratio": bad / outstanding if outstanding else float("nan"),
        "lent_first_year_per_granted_yuan": first_year["principal_fen"].sum() / 100 / granted
        if granted
        else float("nan"),
        "borrowers_90dpd_share": float(realised.mean()) if realised.size else float("nan"),
        "truth_pd_auc": auc(score, realised),
    }


def report(figures: Mapping[str, float]) -> list[Row]:
    """Calibrated rows (with targets) followed by reference rows (no tolerance)."""
    rows = [Row(t, t.key, t.label, figures[t.key], t.unit) for t in TARGETS]
    rows += [
        Row(
            None,
            "lent_first_year_per_granted_yuan",
            "首年人均放款 lent in year 1 per granted (Xintai ≈ 7,785)",
            figures["lent_first_year_per_granted_yuan"],
            "yuan",
        ),
        Row(
            None,
            "borrowers_90dpd_share",
            "借款人曾逾期90天以上 borrowers ever >90 DPD",
            figures["borrowers_90dpd_share"],
            "share",
        ),
        Row(
            None,
            "truth_pd_auc",
            "真实PD区分度 AUC of true PD vs >90 DPD (borrowers)",
            figures["truth_pd_auc"],
            "auc",
        ),
    ]
    return rows
