"""Month-window statistics over all persons at once (numpy, no Python loop per person).

Monthly facts are laid out as a matrix ``persons × months`` with column 0 the last complete
month before the as-of date, column 1 the month before, and ``NaN`` where a person has no
row. An ``n``-month statistic uses columns ``0 … n-1`` and only the months present.

Definitions (``x`` = the values present in the window, ``t`` = month index, older = smaller):

- mean: ``mean(x)``;
- volatility: coefficient of variation ``std(x) / mean(x)`` (population std; needs 2 months
  and a positive mean);
- trend: least-squares slope of ``x`` on ``t`` divided by ``mean(x)`` — the relative change
  per month (needs 2 months and a positive mean);
- seasonality strength: share of the 12-month total received in its 3 largest months,
  rescaled so that an even year is 0 and everything in 3 months is 1:
  ``(top3 / total − 0.25) / 0.75`` (needs all 12 months and a positive total).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WINDOW_MONTHS = 12


def month_matrix(
    frame: pd.DataFrame,
    columns: list[str],
    months: int = WINDOW_MONTHS,
) -> tuple[pd.Index, dict[str, np.ndarray]]:
    """Frame with ``person_key``, ``months_back`` and ``columns`` (one row per person and
    month, already summed) → (persons, {column: matrix}); rows with ``months_back >= months``
    are ignored."""
    inside = frame[(frame["months_back"] >= 0) & (frame["months_back"] < months)]
    codes, persons = pd.factorize(inside["person_key"], sort=True)
    slots = inside["months_back"].to_numpy(dtype=np.int64)
    matrices = {}
    for column in columns:
        matrix = np.full((len(persons), months), np.nan)
        matrix[codes, slots] = inside[column].to_numpy(dtype=np.float64)
        matrices[column] = matrix
    return pd.Index(persons, name="person_key"), matrices


def window_sum(matrix: np.ndarray, months: int) -> np.ndarray:
    """Sum over the window; NaN when the window has no month at all."""
    part = matrix[:, :months]
    present = ~np.isnan(part)
    total = np.where(present, part, 0.0).sum(axis=1)
    return np.where(present.any(axis=1), total, np.nan)


def window_count(matrix: np.ndarray, months: int) -> np.ndarray:
    return (~np.isnan(matrix[:, :months])).sum(axis=1).astype(np.float64)


def window_mean(matrix: np.ndarray, months: int) -> np.ndarray:
    count = window_count(matrix, months)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, window_sum(matrix, months) / count, np.nan)


def window_cv(matrix: np.ndarray, months: int) -> np.ndarray:
    part = matrix[:, :months]
    present = ~np.isnan(part)
    count = present.sum(axis=1)
    mean = window_mean(matrix, months)
    deviation = np.where(present, part - mean[:, None], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        std = np.sqrt((deviation**2).sum(axis=1) / count)
        return np.where((count >= 2) & (mean > 0), std / mean, np.nan)


def window_trend(matrix: np.ndarray, months: int) -> np.ndarray:
    part = matrix[:, :months]
    present = ~np.isnan(part)
    count = present.sum(axis=1)
    t = -np.arange(months, dtype=np.float64)[None, :].repeat(len(part), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_mean = np.where(present, t, 0.0).sum(axis=1) / count
        y_mean = window_mean(matrix, months)
        dt = np.where(present, t - t_mean[:, None], 0.0)
        dy = np.where(present, part - y_mean[:, None], 0.0)
        slope = (dt * dy).sum(axis=1) / (dt**2).sum(axis=1)
        return np.where((count >= 2) & (y_mean > 0), slope / y_mean, np.nan)


def seasonality(matrix: np.ndarray) -> np.ndarray:
    part = matrix[:, :WINDOW_MONTHS]
    complete = ~np.isnan(part).any(axis=1)
    filled = np.where(np.isnan(part), 0.0, part)
    total = filled.sum(axis=1)
    top3 = np.sort(filled, axis=1)[:, -3:].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        strength = (top3 / total - 0.25) / 0.75
    return np.where(complete & (total > 0), strength, np.nan)
