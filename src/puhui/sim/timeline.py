"""Months of a run, dates as integer epoch days, and named random streams.

Dates inside the simulator are ``int64`` days since 1970-01-01 (what Parquet ``date32``
stores), so month arithmetic stays vectorised. A run's months are indexed ``t = 0 …
months - 1`` from ``start``; the timeline extends :data:`FUTURE_MONTHS` beyond the run so
that due dates of loans drawn in the last month are defined.

Random streams are named: each part of the model draws from its own generator derived from
the run's seed and a stable name, so adding a draw in one part never shifts another part's
numbers.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date

import numpy as np

EPOCH = date(1970, 1, 1)
EPOCH_ORDINAL = EPOCH.toordinal()
#: Longest loan term (12 months) plus slack: due dates of the last month's draws fit.
FUTURE_MONTHS = 15


def rng(seed: int, name: str) -> np.random.Generator:
    """The generator of stream ``name`` for run ``seed`` (stable across Python versions)."""
    return np.random.default_rng(
        np.random.SeedSequence(entropy=seed, spawn_key=(zlib.crc32(name.encode("utf-8")),))
    )


def to_epoch_day(day: date) -> int:
    return day.toordinal() - EPOCH_ORDINAL


def civil_from_epoch_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised (year, month 1–12, day 1–31) of epoch days."""
    as_days = days.astype("datetime64[D]")
    years = as_days.astype("datetime64[Y]")
    months = as_days.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day = (as_days - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


@dataclass(frozen=True, slots=True)
class Timeline:
    """Calendar months ``0 … months + FUTURE_MONTHS - 1`` starting at ``start``."""

    start: date
    months: int
    year: np.ndarray
    month: np.ndarray
    first_day: np.ndarray
    days_in_month: np.ndarray

    def month_end(self, t: int) -> int:
        """Epoch day of the last day of month ``t``."""
        return int(self.first_day[t + 1] - 1)

    @property
    def end_day(self) -> int:
        """First epoch day after the run (nothing in the files is dated on or after it)."""
        return int(self.first_day[self.months])


def make_timeline(start: date, months: int) -> Timeline:
    horizon = months + FUTURE_MONTHS + 1
    month_index = (start.year * 12 + start.month - 1) + np.arange(horizon)
    year = month_index // 12
    month = month_index % 12 + 1
    first = (
        np.array(
            [f"{y:04d}-{m:02d}" for y, m in zip(year, month, strict=True)], dtype="datetime64[M]"
        )
        .astype("datetime64[D]")
        .astype(np.int64)
    )
    days = np.diff(np.append(first, first[-1] + 31))
    return Timeline(
        start=start,
        months=months,
        year=year[:-1],
        month=month[:-1],
        first_day=first,
        days_in_month=days[:-1],
    )
