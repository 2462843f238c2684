"""Crafted event histories for the risk tests (frames in the ``risk.events`` schema)."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

import pandas as pd

from puhui.risk.events import validate
from puhui.risk.profile import monthly_profile

_ids = count(1)


def ev(kind: str, on: date, person: str | None = "p1", **fields: object) -> dict:
    return {
        "event_id": fields.pop("event_id", f"e{next(_ids)}"),
        "kind": kind,
        "occurred_on": on.isoformat(),
        "person_key": person,
        **fields,
    }


def month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def months_back(on: date, n: int) -> list[date]:
    """The month ends of the ``n`` months before ``on``'s month, oldest first."""
    out, year, month = [], on.year, on.month
    for _ in range(n):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        out.append(month_end(year, month))
    return out[::-1]


def monthly(
    person: str, day: date, income_fen: int, spending_fen: int, logins: int = 20
) -> list[dict]:
    return [
        ev("inflow", day, person, amount_fen=income_fen, count=10),
        ev("outflow", day, person, amount_fen=spending_fen, count=30),
        ev("login", day, person, count=logins),
    ]


def frame(records: list[dict]) -> pd.DataFrame:
    return validate(records)


def split(events: pd.DataFrame, on: date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(today, recent, profile) as the service would gather them for ``on``."""
    dates = events["occurred_on"].dt.date
    return events[dates == on], events[dates < on], monthly_profile(events[dates <= on])
