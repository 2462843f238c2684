"""Concurrency on PostgreSQL: 8 processes drawing and repaying on one line and one loan at once,
some racing with the same idempotency key. No double application, available never negative,
books balance."""

from __future__ import annotations

import multiprocessing as mp
from collections import Counter
from datetime import date

import pytest

from puhui.errors import PuhuiError
from puhui.products import load_catalogue
from puhui.services.lending import Lending
from puhui.settings import Settings
from puhui.store.db import Database
from tests.books import assert_books_match

WORKERS = 8
ROUNDS = 12


def _worker(url: str, worker: int, line_id: int, loan_id: int, queue: mp.Queue) -> None:
    service = Lending(Database(url), load_catalogue(), Settings().servicing_policy())
    outcomes: Counter[str] = Counter()
    for i in range(ROUNDS):
        try:
            service.draw(f"w{worker}-d{i}", line_id, "1500", 6, "equal_installment")
            outcomes["drawn"] += 1
        except PuhuiError as exc:
            outcomes[exc.code] += 1
        try:
            # every worker races on the same key for this repayment: one effect in total
            service.repay(f"shared-r{i}", loan_id, "100", from_channel=True)
            outcomes["repaid"] += 1
        except PuhuiError as exc:
            outcomes[exc.code] += 1
    queue.put(dict(outcomes))


@pytest.mark.pg
@pytest.mark.slow
def test_eight_processes_on_one_line_and_loan(pg_server, pg_template):
    url = pg_server.url(pg_server.create(template=pg_template))
    db = Database(url)
    service = Lending(db, load_catalogue(), Settings().servicing_policy())
    cid = service.add_customer("并发测试", "farmer")
    line = service.grant_line("g", cid, "xintai_farmer_line", "60000", "A")
    first = service.draw("first", line.line_id, "20000", 12, "equal_installment")

    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(url, w, line.line_id, first.loan_id, queue))
        for w in range(WORKERS)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    total = sum((Counter(r) for r in results), Counter())

    # 40,000 left on the line and 1,200 freed by repayments: 26 or 27 draws of 1,500 fit,
    # depending on how draws and repayments interleave; every refusal is the domain's clear
    # "not enough available", never a database error.
    assert set(total) <= {"drawn", "repaid", "INSUFFICIENT_AVAILABLE"}
    assert 26 <= total["drawn"] <= 27
    assert total["repaid"] == WORKERS * ROUNDS  # a replay returns the first response
    after = service.line(line.line_id)
    assert after.available_fen(date(2026, 1, 15)) >= 0
    assert after.used_fen <= after.limit_fen
    loan = service.loan(first.loan_id)
    # 12 shared keys, each applied once however many workers raced on it
    assert loan.principal_outstanding_fen == 2_000_000 - 12 * 10_000
    drawn_principal = after.used_fen - loan.principal_outstanding_fen
    assert drawn_principal == total["drawn"] * 150_000
    assert_books_match(db)
    db.dispose()
