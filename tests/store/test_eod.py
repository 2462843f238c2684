"""End of day on SQLite and PostgreSQL: the set-based batch equals the pure reference model
loan by loan; reruns are no-ops; a kill -9 midway is completed by the rerun with identical books.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, make_url, select

from puhui.errors import ValidationError
from puhui.loans import Loan, LoanStatus, ServicingPolicy, close_day
from puhui.products import load_catalogue
from puhui.store.bulk import open_book
from puhui.store.db import Database
from puhui.store.eod import run_day, run_through
from puhui.store.loans import load_loans
from puhui.store.tables import customer, eod_step, journal_entry, ledger_head, loan, loan_row
from tests.books import assert_books_match
from tests.conftest import FIRST_DAY
from tests.portfolio import random_book

CATALOGUE = load_catalogue()


def _state(db: Database) -> tuple[dict[int, Loan], dict[int, int]]:
    with db.read() as conn:
        ids = list(conn.execute(select(loan.c.id).order_by(loan.c.id)).scalars())
        loans = {item.loan_id: item for item in load_loans(conn, ids)}
        wallets = dict(conn.execute(select(customer.c.id, customer.c.wallet_balance_fen)).all())
    return loans, wallets


def _reference_day(
    loans: dict[int, Loan], wallets: dict[int, int], day: date, policy: ServicingPolicy
) -> None:
    for loan_id in sorted(loans, key=lambda i: (loans[i].customer_id, i)):
        item = loans[loan_id]
        result = close_day(item, day, wallets[item.customer_id], policy)
        wallets[item.customer_id] -= result.wallet_debited_fen
        loans[loan_id] = result.loan


def _compare_with_reference(db: Database, days: int, policy: ServicingPolicy) -> dict[str, int]:
    expected_loans, expected_wallets = _state(db)
    seen = {"overdue": 0, "paid_off": 0, "written_off": 0, "auto_debit_days": 0}
    day = FIRST_DAY
    for _ in range(days):
        _reference_day(expected_loans, expected_wallets, day, policy)
        report = run_day(db, day, policy, chunk_loans=1_000)
        actual_loans, actual_wallets = _state(db)
        for loan_id, expected in expected_loans.items():
            assert actual_loans[loan_id] == expected, f"loan {loan_id} differs on {day}"
        assert actual_wallets == expected_wallets, f"wallets differ on {day}"
        seen["auto_debit_days"] += report.auto_debited_fen > 0
        day += timedelta(days=1)
    for item in expected_loans.values():
        if item.status is LoanStatus.OVERDUE:
            seen["overdue"] += 1
        elif item.status.closed:
            seen[item.status.value] += 1
    return seen


def test_eod_equals_the_reference_model_loan_by_loan(db):
    open_book(db, CATALOGUE, random_book(CATALOGUE, 40, seed=7, spread_before=FIRST_DAY))
    seen = _compare_with_reference(db, 70, ServicingPolicy())
    # the scenario exercises auto-debit, overdue loans and (with wallets) settled loans
    assert seen["auto_debit_days"] > 0
    assert seen["overdue"] > 0
    assert_books_match(db)


@pytest.mark.slow
def test_eod_equals_reference_through_write_off(db):
    book = random_book(CATALOGUE, 120, seed=11, wallet_share=0.5, spread_before=FIRST_DAY)
    open_book(db, CATALOGUE, book)
    policy = ServicingPolicy(write_off_after_dpd=90)
    seen = _compare_with_reference(db, 200, policy)
    assert seen["written_off"] > 0
    assert seen["paid_off"] > 0
    assert_books_match(db)


def _journal(db: Database) -> tuple[int, str]:
    with db.read() as conn:
        return tuple(conn.execute(select(ledger_head.c.seq, ledger_head.c.hash)).one())


def test_eod_twice_is_once(db):
    open_book(db, CATALOGUE, random_book(CATALOGUE, 20, seed=3))
    policy = ServicingPolicy()
    first = run_through(db, date(2026, 2, 20), policy)
    head = _journal(db)
    again = run_through(db, date(2026, 2, 20), policy)
    assert len(first) == 37
    assert again == []
    assert _journal(db) == head


def test_eod_catches_up_missed_days_in_order(db):
    open_book(db, CATALOGUE, random_book(CATALOGUE, 10, seed=5))
    reports = run_through(db, date(2026, 1, 20), ServicingPolicy())
    assert [r.business_date for r in reports] == [FIRST_DAY + timedelta(days=i) for i in range(6)]
    with db.read() as conn:
        assert db.business_date(conn) == date(2026, 1, 21)


def test_eod_refuses_a_day_that_is_not_open(db):
    with pytest.raises(ValidationError) as err:
        run_day(db, date(2026, 3, 1), ServicingPolicy())
    assert err.value.code == "EOD_DATE"


# -- crash safety -------------------------------------------------------------------------


def _clone(db_url: str, tmp_path: Path, pg_server: object | None, name: str) -> str:
    if db_url.startswith("sqlite"):
        source = Path(db_url.removeprefix("sqlite:///"))
        with Database(db_url).engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        target = tmp_path / f"{name}.db"
        shutil.copy(source, target)
        return f"sqlite:///{target}"
    source_name = make_url(db_url).database
    return pg_server.url(pg_server.create(template=source_name))  # type: ignore[attr-defined]


def _snapshot(url: str) -> dict[str, object]:
    db = Database(url)
    with db.read() as conn:
        snap = {
            "head": tuple(conn.execute(select(ledger_head.c.seq, ledger_head.c.hash)).one()),
            "entries": conn.execute(select(func.count()).select_from(journal_entry)).scalar_one(),
            "loans": [
                tuple(r)
                for r in conn.execute(
                    select(*[c for c in loan.c if c.name != "created_at"]).order_by(loan.c.id)
                )
            ],
            "rows": [
                tuple(r)
                for r in conn.execute(select(loan_row).order_by(loan_row.c.loan_id, loan_row.c.seq))
            ],
            "wallets": [
                tuple(r)
                for r in conn.execute(
                    select(customer.c.id, customer.c.wallet_balance_fen).order_by(customer.c.id)
                )
            ],
            "business_date": db.business_date(conn),
        }
    db.dispose()
    return snap


@pytest.mark.slow
def test_kill_9_during_eod_then_rerun_gives_identical_books(db_url, tmp_path, request):
    db = Database(db_url)
    book = random_book(CATALOGUE, 10_000, seed=42, spread_before=FIRST_DAY)
    open_book(db, CATALOGUE, book, batch_size=5_000)
    db.dispose()
    pg = request.getfixturevalue("pg_server") if not db_url.startswith("sqlite") else None
    reference_url = _clone(db_url, tmp_path, pg, "reference")
    target = date(2026, 2, 8)  # 25 business days; every day has loans falling due

    env = {**os.environ, "PUHUI_DATABASE_URL": db_url, "PUHUI_EOD_CHUNK_LOANS": "2000"}
    command = [sys.executable, "-m", "puhui", "eod", "--date", target.isoformat()]
    victim = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    watcher = Database(db_url)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        with watcher.read() as conn:
            done_days = conn.execute(
                select(func.count(func.distinct(eod_step.c.business_date)))
            ).scalar_one()
        if done_days >= 8:
            break
        assert victim.poll() is None, victim.stderr.read().decode() if victim.stderr else ""
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    with watcher.read() as conn:
        interrupted_at = watcher.business_date(conn)
    watcher.dispose()
    assert interrupted_at < target, "the kill came after the run finished"

    rerun = subprocess.run(command, env=env, capture_output=True, timeout=900, check=False)
    assert rerun.returncode == 0, rerun.stderr.decode()
    clean = subprocess.run(
        command,
        env={**env, "PUHUI_DATABASE_URL": reference_url},
        capture_output=True,
        timeout=900,
        check=False,
    )
    assert clean.returncode == 0, clean.stderr.decode()

    crashed, uninterrupted = _snapshot(db_url), _snapshot(reference_url)
    assert crashed["business_date"] == target + timedelta(days=1)
    for key in ("head", "entries", "wallets", "loans", "rows"):
        assert crashed[key] == uninterrupted[key], key
    check = Database(db_url)
    assert_books_match(check)
    check.dispose()
