"""The day close 日终: the end-of-day batch, then the day's risk run and tomorrow's reminders.

For each business day from the open one through the target: ``store.eod.run_through`` closes
the day (accrual, auto-debit, ageing, …); the risk run evaluates the day's events against the
books as they stand after the close (so days past due are the day's); reminders are enqueued
for the new open day (T−3 … D+7, sent from 09:00 local by the outbox sender). Every step is
idempotent — the end of day by its step records, the risk run by alert keys, reminders by
their keys — so rerunning after a crash completes the day without doing anything twice.
``store.eod`` itself knows nothing of risk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from puhui.loans import ServicingPolicy
from puhui.services.reminders import EnqueueResult, ReminderService
from puhui.services.risk import RiskService, RunResult
from puhui.store import eod
from puhui.store.db import Database


@dataclass(frozen=True, slots=True)
class ClosedDay:
    report: eod.DayReport
    risk: RunResult
    reminders: EnqueueResult


def close_through(
    db: Database,
    target: date,
    policy: ServicingPolicy,
    risk: RiskService,
    reminders: ReminderService,
    now: Callable[[], datetime],
    *,
    chunk_loans: int = 100_000,
    progress: eod.Progress | None = None,
    on_day: Callable[[ClosedDay], None] | None = None,
) -> list[ClosedDay]:
    """Close every open business day through ``target``, one day at a time.

    The risk run and reminders of the day closed last are repeated first (they are
    idempotent): a crash between a day's end of day and its risk run is completed here.
    """
    with db.read() as conn:
        day = db.business_date(conn)
    if day <= target:
        risk.run_day(day - timedelta(days=1), now())
        reminders.enqueue(day, now())
    closed: list[ClosedDay] = []
    while day <= target:
        (report,) = eod.run_through(
            db, day, policy, chunk_loans=chunk_loans, progress=progress or _quiet
        )
        result = ClosedDay(
            report,
            risk.run_day(day, now()),
            reminders.enqueue(day + timedelta(days=1), now()),
        )
        closed.append(result)
        if on_day is not None:
            on_day(result)
        day += timedelta(days=1)
    return closed


def _quiet(_step: str, _done: int, _total: int) -> None:
    return None
