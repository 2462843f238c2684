"""Point in time 时点: which facts were known before a date, and month windows before it.

"As of ``D``" means at the start of day ``D``, before anything of that day is known. A fact is
usable as of ``D`` only if it was **known before ``D``**:

- a dated event (``paid_date``, ``event_date``, ``draw_date`` …) is known at the end of its
  day: usable iff ``date < D``;
- a ``month`` row (first day of the month it covers) is complete at the end of the month's
  last day: usable iff ``month + 1 month <= D``, i.e. ``month < first day of D's month``;
- a ``month_end`` row: usable iff ``month_end < D``;
- a registry snapshot without a date (``government/residents``) is treated as known.

Every feature goes through :func:`usable`; the property test in
``tests/features/test_no_leakage.py`` appends random facts dated on or after ``D`` and checks
that no feature changes.

Month windows count back from the **last complete month** before ``D``: ``months_back = 0``
is that month, ``1`` the one before, and an ``n``-month window is ``months_back < n``.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from puhui.data.sources import Kind, Source


def month_start(as_of: date) -> pd.Timestamp:
    """First day of ``as_of``'s month."""
    return pd.Timestamp(as_of.year, as_of.month, 1)


def last_complete_month(as_of: date) -> pd.Timestamp:
    """First day of the latest month whose rows are usable as of ``as_of``."""
    return month_start(as_of) - pd.DateOffset(months=1)


def last_complete_month_end(as_of: date) -> pd.Timestamp:
    """Last day of the latest complete month (the newest usable ``month_end``)."""
    return month_start(as_of) - pd.Timedelta(days=1)


def months_before(as_of: date, months: int) -> pd.Timestamp:
    """The day ``months`` calendar months before ``as_of`` (start of an event window)."""
    return pd.Timestamp(as_of) - pd.DateOffset(months=months)


def usable(frame: pd.DataFrame, source: Source, as_of: date) -> np.ndarray:
    """Rows of ``frame`` (a source's facts) known before ``as_of`` (see module docstring)."""
    if source.known_from is None:
        return np.ones(len(frame), dtype=bool)
    day = frame[source.known_from]
    kind = source.column(source.known_from).kind
    if kind is Kind.MONTH:
        return (day < month_start(as_of)).to_numpy(dtype=bool)
    return (day < pd.Timestamp(as_of)).to_numpy(dtype=bool)


def known(frame: pd.DataFrame, source: Source, as_of: date) -> pd.DataFrame:
    """The rows of ``frame`` usable as of ``as_of``."""
    return frame[usable(frame, source, as_of)]


def months_back(month: pd.Series, as_of: date) -> pd.Series:
    """For usable ``month`` values: 0 for the last complete month, 1 for the one before, …"""
    last = last_complete_month(as_of)
    return (last.year - month.dt.year) * 12 + (last.month - month.dt.month)


def months_between(earlier: pd.Series, as_of: date) -> pd.Series:
    """Whole calendar months from each ``earlier`` day to ``as_of`` (a tenure in months)."""
    stamp = pd.Timestamp(as_of)
    months = (stamp.year - earlier.dt.year) * 12 + (stamp.month - earlier.dt.month)
    return months - (earlier.dt.day > stamp.day).astype(int)
