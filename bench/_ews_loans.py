"""Loan timelines of a simulated county for the early-warning benchmark.

From the lender files only (draws, repayments, month-end status — what a lender's books hold)
this rebuilds, per draw, each arrears episode: the first missed due date and the day it was
cured (``NaT`` if never). Days past due on a day ``d`` inside an episode are ``d − start``, which
is what the books' end of day would show; the month-end figures are checked against
``lender/monthly_status`` so the reconstruction cannot drift from the simulator.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _read(root: Path, name: str) -> pd.DataFrame:
    frame = pd.read_parquet(root / f"{name}.parquet")
    for column in frame.columns:
        if column.endswith("_date") or column in ("month", "month_end"):
            frame[column] = pd.to_datetime(frame[column])
    return frame


def load_lender(root: Path) -> dict[str, pd.DataFrame]:
    return {
        name: _read(root, f"lender/{name}")
        for name in ("lines", "draws", "repayments", "monthly_status")
    }


def due_dates(draws: pd.DataFrame) -> pd.DataFrame:
    """(draw_id, seq, due_date) of every scheduled instalment (draw day of month, monthly)."""
    terms = draws["term_months"].to_numpy(dtype=int)
    draw_ids = np.repeat(draws["draw_id"].to_numpy(), terms)
    seq = np.concatenate([np.arange(1, t + 1) for t in terms])
    starts = np.repeat(draws["draw_date"].to_numpy(dtype="datetime64[D]"), terms)
    months = starts.astype("datetime64[M]") + seq.astype("timedelta64[M]")
    days = (starts - starts.astype("datetime64[M]")).astype(int)
    due = months.astype("datetime64[D]") + days.astype("timedelta64[D]")
    return pd.DataFrame({"draw_id": draw_ids, "seq": seq, "due_date": pd.to_datetime(due)})


def episodes(lender: dict[str, pd.DataFrame], end: pd.Timestamp) -> pd.DataFrame:
    """One row per arrears episode: draw_id, start (first missed due date), cured (or NaT)."""
    draws, pays = lender["draws"], lender["repayments"]
    due = due_dates(draws)
    due = due[due["due_date"] <= end]
    on_time = pays[pays["kind"] == "instalment"][["draw_id", "repay_date"]]
    paid = due.merge(
        on_time.rename(columns={"repay_date": "due_date"}).assign(paid=True),
        on=["draw_id", "due_date"],
        how="left",
    )
    closed = pays[pays["kind"] == "prepayment"].groupby("draw_id")["repay_date"].min()
    paid["closed"] = paid["draw_id"].map(closed)
    missed = paid[paid["paid"].isna() & ~(paid["due_date"] >= paid["closed"])]
    late = pays[pays["kind"] == "overdue"][["draw_id", "repay_date"]].sort_values("repay_date")
    missed = missed.sort_values("due_date")
    cured = pd.merge_asof(
        missed,
        late.rename(columns={"repay_date": "cured"}),
        left_on="due_date",
        right_on="cured",
        by="draw_id",
        direction="forward",
        allow_exact_matches=False,
    )
    cured["cured"] = cured["cured"].fillna(pd.Timestamp.max.normalize())
    spans = cured.groupby(["draw_id", "cured"], as_index=False)["due_date"].min()
    spans = spans.rename(columns={"due_date": "start"})
    spans["cured"] = spans["cured"].where(spans["cured"] < pd.Timestamp.max.normalize())
    return spans.sort_values(["draw_id", "start"], ignore_index=True)


def check_against_month_ends(spells: pd.DataFrame, lender: dict[str, pd.DataFrame]) -> float:
    """Share of month-end positions whose days past due the episodes reproduce exactly."""
    status = lender["monthly_status"]
    merged = status.merge(spells, on="draw_id", how="left")
    inside = (merged["start"] < merged["month_end"]) & (
        merged["cured"].isna() | (merged["month_end"] < merged["cured"])
    )
    merged["dpd"] = np.where(inside, (merged["month_end"] - merged["start"]).dt.days, 0)
    worst = merged.groupby(["draw_id", "month_end"], as_index=False).agg(
        dpd=("dpd", "max"), truth=("days_past_due", "first")
    )
    return float((worst["dpd"] == worst["truth"]).mean())


def dpd_on(spells: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Episodes open on ``day`` with their days past due."""
    open_ = spells[(spells["start"] < day) & (spells["cured"].isna() | (day < spells["cured"]))]
    return open_.assign(days_past_due=(day - open_["start"]).dt.days)


def exposure_at_default(spells: pd.DataFrame, lender: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Draws that pass 90 days past due: the day they do and principal owed then (no recovery)."""
    status = lender["monthly_status"]
    bad = spells.assign(hit90=spells["start"] + pd.Timedelta(days=91))
    bad = bad[bad["cured"].isna() | (bad["cured"] > bad["hit90"])]
    bad = bad.groupby("draw_id", as_index=False)["hit90"].min()
    owed = status.merge(bad, on="draw_id")
    owed = owed[owed["month_end"] >= owed["hit90"]].sort_values("month_end")
    owed = owed.groupby("draw_id", as_index=False)["outstanding_principal_fen"].first()
    return bad.merge(owed, on="draw_id", how="left").rename(
        columns={"outstanding_principal_fen": "ead_fen"}
    )
