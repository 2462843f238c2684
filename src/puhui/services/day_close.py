"""The day close 日终: the end-of-day batch, then (at a month end) re-scoring, the day's risk
run and tomorrow's reminders.

For each business day from the open one through the target: ``store.eod.run_through`` closes
the day (accrual, auto-debit, ageing, …); on the last day of a month, everyone holding a line
is re-scored on features as of that day (``services.rescoring``; monthly because the partners'
facts are monthly — decision 0404), which emits ``score_update`` events dated that day; the
risk run then evaluates the day's events — those re-scores included, so a score drop freezes
and a re-score moves the limit the same day — against the books as they stand after the close
(so days past due are the day's); reminders are enqueued for the new open day (T−3 … D+7, sent
from 09:00 local by the outbox sender). Every step is idempotent — the end of day by its step
records, re-scoring by unchanged features, the risk run by alert keys, reminders by their keys —
so rerunning after a crash completes the day without doing anything twice. ``store.eod``
itself knows nothing of risk or scores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from puhui.loans import ServicingPolicy
from puhui.services.reminders import EnqueueResult, ReminderService
from puhui.services.rescoring import RescoreResult, Rescoring
from puhui.services.risk import RiskService, RunResult
from puhui.store import eod
from puhui.store.db import Database


@dataclass(frozen=True, slots=True)
class ClosedDay:
    report: eod.DayReport
    risk: RunResult
    reminders: EnqueueResult
    #: The month end's re-scoring; None on other days or when re-scoring is not configured.
    rescore: RescoreResult | None = None


def is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


def close_through(
    db: Database,
    target: date,
    policy: ServicingPolicy,
    risk: RiskService,
    reminders: ReminderService,
    now: Callable[[], datetime],
    *,
    rescoring: Rescoring | None = None,
    chunk_loans: int = 100_000,
    progress: eod.Progress | None = None,
    on_day: Callable[[ClosedDay], None] | None = None,
) -> list[ClosedDay]:
    """Close every open business day through ``target``, one day at a time.

    The re-scoring (if that day was a month end), risk run and reminders of the day closed
    last are repeated first (they are idempotent): a crash between a day's end of day and its
    risk run is completed here. Without ``rescoring`` (no champion model yet) month ends are
    closed without re-scoring.
    """
    steps = progress or _quiet
    with db.read() as conn:
        day = db.business_date(conn)
    if day <= target:
        last = day - timedelta(days=1)
        if rescoring is not None and is_month_end(last):
            rescoring.run(last, now(), steps)
        risk.run_day(last, now())
        reminders.enqueue(day, now())
    closed: list[ClosedDay] = []
    while day <= target:
        (report,) = eod.run_through(db, day, policy, chunk_loans=chunk_loans, progress=steps)
        rescored = (
            rescoring.run(day, now(), steps)
            if rescoring is not None and is_month_end(day)
            else None
        )
        result = ClosedDay(
            report,
            risk.run_day(day, now()),
            reminders.enqueue(day + timedelta(days=1), now()),
            rescored,
        )
        closed.append(result)
        if on_day is not None:
            on_day(result)
        day += timedelta(days=1)
    return closed


def _quiet(_step: str, _done: int, _total: int) -> None:
    return None
