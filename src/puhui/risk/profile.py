"""Per-person monthly behaviour profiles 月度行为画像, built from events (vectorised).

A profile row is one person and one calendar month: income, spending, transfers out, late
bills, login days, device changes, drawdowns and repayments. Months are integers
``year × 12 + month − 1`` (:func:`month_no`) so windows are plain arithmetic. Rules compare a
month with the person's own past (seasonal baselines); the anomaly model reads vectors built
from a window of these rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from puhui.risk.events import EventKind

PROFILE_COLUMNS: tuple[str, ...] = (
    "income_fen",
    "spending_fen",
    "transfer_out_fen",
    "bill_late",
    "login_days",
    "device_changes",
    "draws",
    "repayments",
)
_AMOUNT_OF = {
    EventKind.INFLOW.value: "income_fen",
    EventKind.OUTFLOW.value: "spending_fen",
    EventKind.PAYMENT.value: "spending_fen",
    EventKind.TRANSFER_OUT.value: "transfer_out_fen",
}
_COUNT_OF = {
    EventKind.BILL_LATE.value: "bill_late",
    EventKind.LOGIN.value: "login_days",
}
_ONE_OF = {
    EventKind.DEVICE_CHANGE.value: "device_changes",
    EventKind.LOCATION_CHANGE.value: "device_changes",
    EventKind.DRAWDOWN.value: "draws",
    EventKind.REPAYMENT.value: "repayments",
}
PROFILE_KINDS = frozenset(_AMOUNT_OF) | frozenset(_COUNT_OF) | frozenset(_ONE_OF)


def month_no(days: pd.Series | np.ndarray) -> np.ndarray:
    """``year × 12 + month − 1`` of each date (datetime64)."""
    months = np.asarray(days, dtype="datetime64[M]").astype(np.int64)
    return months + 1970 * 12


def monthly_profile(events: pd.DataFrame) -> pd.DataFrame:
    """Sum events into (person_key, month) rows with :data:`PROFILE_COLUMNS` (int64).

    Events without a person or of other kinds are ignored.
    """
    kinds = events["kind"].astype("string")
    keep = (
        kinds.isin(PROFILE_KINDS).fillna(False).to_numpy() & events["person_key"].notna().to_numpy()
    )
    part = events.loc[keep]
    kinds = kinds[keep].to_numpy(dtype=object)
    amount = part["amount_fen"].fillna(0).to_numpy(dtype=np.int64)
    count = part["count"].fillna(1).to_numpy(dtype=np.int64)
    data = {
        "person_key": part["person_key"].to_numpy(dtype=object),
        "month": month_no(part["occurred_on"]),
    }
    for column in PROFILE_COLUMNS:
        data[column] = np.zeros(len(part), dtype=np.int64)
    for kind, column in _AMOUNT_OF.items():
        hit = kinds == kind
        data[column] = np.where(hit, amount, data[column])
    for kind, column in _COUNT_OF.items():
        hit = kinds == kind
        data[column] = np.where(hit, count, data[column])
    for kind, column in _ONE_OF.items():
        data[column] = np.where(kinds == kind, 1, data[column])
    frame = pd.DataFrame(data)
    grouped = frame.groupby(["person_key", "month"], sort=True)[list(PROFILE_COLUMNS)].sum()
    return grouped.reset_index()


def merge_profiles(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``old`` with ``new`` added (rows of the same person and month are summed)."""
    if old.empty:
        return new
    both = pd.concat([old, new], ignore_index=True)
    if not both.duplicated(["person_key", "month"]).any():
        return both
    return (
        both.groupby(["person_key", "month"], sort=True)[list(PROFILE_COLUMNS)].sum().reset_index()
    )


def _rows_in(
    profile: pd.DataFrame, persons: pd.Index, months: range
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    month = profile["month"].to_numpy()
    part = profile[(month >= months.start) & (month < months.stop)]
    rows = persons.get_indexer(part["person_key"])
    known = rows >= 0
    return part[known], rows[known], part["month"].to_numpy()[known] - months.start


def wide(profile: pd.DataFrame, column: str, persons: pd.Index, months: range) -> np.ndarray:
    """A ``persons × months`` matrix of one profile column (0 where a month has no row)."""
    out = np.zeros((len(persons), len(months)), dtype=np.float64)
    if profile.empty or persons.empty:
        return out
    part, rows, cols = _rows_in(profile, persons, months)
    np.add.at(out, (rows, cols), part[column].to_numpy(dtype=np.float64))
    return out


def seen(profile: pd.DataFrame, persons: pd.Index, months: range) -> np.ndarray:
    """Whether each person has any profile row in each month (history exists)."""
    out = np.zeros((len(persons), len(months)), dtype=bool)
    if profile.empty or persons.empty:
        return out
    _, rows, cols = _rows_in(profile, persons, months)
    out[rows, cols] = True
    return out
