"""Event intake, the day's run and reversal on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from puhui.errors import Conflict, ValidationError
from puhui.loans import LineStatus
from puhui.risk import EventsInvalid
from puhui.store import events as event_store
from puhui.store.eod import run_through
from puhui.store.tables import risk_action, risk_alert, risk_audit
from tests.risk.conftest import NOW
from tests.risk.helpers import ev

DAY = date(2026, 1, 15)


def counts(db) -> tuple[int, int, int, int]:
    with db.read() as conn:
        tables = (risk_alert, risk_action, risk_audit)
        rows = [conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables]
        return (*rows, event_store.count_events(conn))


def test_a_replayed_batch_stores_each_event_once(book):
    batch = [ev("login", DAY, "p1", count=1, event_id=f"log-{i}") for i in range(3)]
    first = book.risk.ingest(batch, NOW)
    again = book.risk.ingest(batch, NOW)
    assert (first.stored, first.replayed) == (3, 0)
    assert (again.stored, again.replayed) == (0, 3)
    assert counts(book.db)[3] == 3


def test_a_batch_with_one_bad_event_writes_nothing(book):
    batch = [ev("login", DAY, "p1", count=1), ev("payment", DAY, "p1", amount_fen=-1)]
    with pytest.raises(EventsInvalid):
        book.risk.ingest(batch, NOW)
    assert counts(book.db)[3] == 0


def test_an_event_id_reused_for_other_content_is_refused_whole(book):
    book.risk.ingest([ev("login", DAY, "p1", count=1, event_id="same")], NOW)
    batch = [
        ev("login", DAY, "p2", count=1, event_id="new"),
        ev("login", DAY, "p9", count=1, event_id="same"),
    ]
    with pytest.raises(Conflict, match="EVENT_ID_REUSED"):
        book.risk.ingest(batch, NOW)
    assert counts(book.db)[3] == 1


def test_stored_events_and_audit_rows_cannot_be_changed(book):
    book.risk.ingest([ev("login", DAY, "p1", count=1)], NOW)
    for statement in ("UPDATE risk_event SET count = 5", "DELETE FROM risk_event"):
        with pytest.raises(DBAPIError), book.db.engine.begin() as conn:
            conn.execute(text(statement))
    assert counts(book.db)[3] == 1


def device_then_draw(customer_id: int, line_id: int) -> list[dict]:
    return [
        ev("device_change", DAY - timedelta(days=1), "px", customer_id=customer_id, event_id="dev"),
        ev(
            "drawdown",
            DAY,
            "px",
            customer_id=customer_id,
            line_id=line_id,
            amount_fen=3_000_000,
            event_id="draw",
        ),
    ]


def test_an_alert_freezes_the_line_once_however_often_the_day_is_replayed(book):
    cid, line_id = book.borrower(1)
    book.risk.ingest(device_then_draw(cid, line_id), NOW)
    first = book.risk.run_day(DAY, NOW)
    assert (first.alerts_new, first.actions_applied) == (1, 1)
    assert book.lending.line(line_id).status is LineStatus.FROZEN
    before = counts(book.db)
    for _ in range(3):
        book.risk.ingest(device_then_draw(cid, line_id), NOW)
        again = book.risk.run_day(DAY, NOW)
        assert (again.alerts_raised, again.alerts_new, again.actions_applied) == (1, 0, 0)
    assert counts(book.db) == before
    ((alert, actions),) = book.risk.alerts()
    assert alert.rule == "device_then_draw"
    assert alert.customer_id == cid
    assert alert.line_id == line_id
    assert [(a["kind"], a["status"]) for a in actions] == [("require_verification", "applied")]


def test_an_officer_reversing_a_freeze_restores_the_line_and_leaves_an_audit_record(book):
    cid, line_id = book.borrower(1)
    book.risk.ingest(device_then_draw(cid, line_id), NOW)
    book.risk.run_day(DAY, NOW)
    ((alert, _),) = book.risk.alerts()
    with pytest.raises(ValidationError, match="REVERSE_REASON_REQUIRED"):
        book.risk.reverse(alert.alert_id, "user:7", "  ", NOW)
    result = book.risk.reverse(alert.alert_id, "user:7", "核实为本人换机，已面签", NOW)
    assert result.line_status == "active"
    line = book.lending.line(line_id)
    assert line.status is LineStatus.ACTIVE
    assert line.limit_fen == 5_000_000
    detail = book.risk.alert_detail(alert.alert_id)
    assert [a["what"] for a in detail["audit"]] == ["apply", "reverse"]
    assert detail["audit"][1]["actor"] == "user:7"
    assert "已面签" in detail["audit"][1]["detail"]
    assert detail["actions"][0]["status"] == "reversed"
    with pytest.raises(Conflict, match="ALERT_ALREADY_REVERSED"):
        book.risk.reverse(alert.alert_id, "user:7", "again", NOW)
    assert book.lending.line(line_id).status is LineStatus.ACTIVE


def test_rescoring_moves_the_limit_within_policy_and_reversal_restores_it_exactly(book):
    cid, line_id = book.borrower(1, limit="43210.50")
    book.risk.ingest(
        [
            ev(
                "score_update",
                DAY,
                "px",
                customer_id=cid,
                score_old=700,
                score_new=620,
                event_id="s1",
            ),
        ],
        NOW,
    )
    book.risk.run_day(DAY, NOW)
    line = book.lending.line(line_id)
    assert line.status is LineStatus.FROZEN  # score_drop → freeze_line
    assert line.limit_fen == 2_930_000  # 43,210.50 × (1 − 80 × 0.4 %) = 29,383.14 → 29,300
    by_rule = {a.rule: a for a, _ in book.risk.alerts()}
    book.risk.reverse(by_rule["rescore"].alert_id, "user:7", "收入证明已核实", NOW)
    assert book.lending.line(line_id).limit_fen == 4_321_050
    book.risk.reverse(by_rule["score_drop"].alert_id, "user:7", "已核实", NOW)
    assert book.lending.line(line_id).status is LineStatus.ACTIVE


def test_a_raise_after_a_better_score(book):
    cid, line_id = book.borrower(1, limit="50000")
    book.risk.ingest(
        [ev("score_update", DAY, "px", customer_id=cid, score_old=600, score_new=650)], NOW
    )
    book.risk.run_day(DAY, NOW)
    assert book.lending.line(line_id).limit_fen == 6_000_000
    assert book.lending.line(line_id).status is LineStatus.ACTIVE


def test_overdue_alerts_come_from_the_books(book):
    cid, line_id = book.borrower(1)
    drawn = book.lending.draw("d1", line_id, "3000", 3, "equal_installment")
    book.lending.withdraw("w1", cid, "3000")  # spent: nothing left for the auto-debit
    due = date.fromisoformat(drawn.first_due_date)
    run_through(book.db, due + timedelta(days=1), book.lending.policy)
    book.risk.run_day(due + timedelta(days=1), NOW)
    assert {a.rule for a, _ in book.risk.alerts()} == {"overdue_d1"}
    run_through(book.db, due + timedelta(days=7), book.lending.policy)
    book.risk.run_day(due + timedelta(days=7), NOW)
    alerts = {a.rule: (a, acts) for a, acts in book.risk.alerts()}
    assert set(alerts) == {"overdue_d1", "overdue_d7"}
    alert, actions = alerts["overdue_d7"]
    assert alert.loan_id == drawn.loan_id
    assert alert.line_id == line_id
    assert alert.customer_id == cid
    assert {(a["kind"], a["status"]) for a in actions} == {
        ("freeze_line", "applied"),
        ("notify_officer", "applied"),
    }
    assert book.lending.line(line_id).status is LineStatus.FROZEN


def test_an_alert_for_a_person_without_a_line_only_notifies(book):
    book.risk.ingest([ev("score_update", DAY, "stranger", score_old=700, score_new=600)], NOW)
    result = book.risk.run_day(DAY, NOW)
    assert result.alerts_new == 2
    assert result.actions_applied == 1  # notify_officer; the line actions are skipped
    assert result.actions_skipped == 2


def test_the_anomaly_model_runs_at_month_end_from_stored_history(db):
    """Fifteen months of forty ordinary people and one whose last month falls apart."""
    import numpy as np
    import pandas as pd

    from puhui.risk import load_policy, load_rules, validate
    from puhui.risk.training import train_from_events
    from puhui.services.risk import RiskService
    from tests.risk.helpers import month_end, monthly, months_back

    rng = np.random.default_rng(3)
    last = month_end(2026, 6)
    days = [*months_back(last, 14), last]
    months = []
    for day in days:
        records = []
        for p in range(40):
            income, spend = rng.normal(500_000, 40_000), rng.normal(400_000, 30_000)
            records += monthly(
                f"n{p}", day, int(income), int(spend), logins=int(rng.integers(18, 23))
            )
        odd = day == last
        records += monthly(
            "odd",
            day,
            40_000 if odd else 500_000,
            700_000 if odd else 400_000,
            logins=2 if odd else 20,
        )
        if odd:
            records.append(ev("bill_late", day, "odd", count=3))
        months.append(validate(records))
    model = train_from_events(months[:-1], seed=1, months_from=13)
    risk = RiskService(db, load_rules(), load_policy(), model)
    risk.ingest(pd.concat(months, ignore_index=True), NOW)
    result = risk.run_day(last, NOW)
    alerts = {a.person_key: a for a, _ in risk.alerts() if a.rule == "anomaly"}
    assert "odd" in alerts
    assert len(alerts) <= 3  # a person or two of the forty may look unusual by chance
    assert "income_vs_recent" in alerts["odd"].evidence["features"]
    assert result.alerts_new >= 1


def test_the_day_close_completes_a_risk_run_that_a_crash_interrupted(book):
    from puhui.services.day_close import close_through

    cid, line_id = book.borrower(1)
    book.risk.ingest(device_then_draw(cid, line_id), NOW)
    run_through(book.db, DAY, book.lending.policy)  # end of day ran; the risk run never did
    closed = close_through(
        book.db,
        DAY + timedelta(days=1),
        book.lending.policy,
        book.risk,
        book.reminders,
        lambda: NOW,
    )
    assert [c.report.business_date for c in closed] == [DAY + timedelta(days=1)]
    assert [a.rule for a, _ in book.risk.alerts()] == ["device_then_draw"]
    assert book.lending.line(line_id).status is LineStatus.FROZEN
    assert (
        close_through(
            book.db,
            DAY + timedelta(days=1),
            book.lending.policy,
            book.risk,
            book.reminders,
            lambda: NOW,
        )
        == []
    )
