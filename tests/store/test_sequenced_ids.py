"""Credit line and decision ids (migration 0008): from sequences on PostgreSQL, so the 310
write needs no ledger lock; whatever inserted lines before — the bulk loader, a grant, an
older schema — the next id never collides. And a write that moves no money cannot post."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import func, select

from puhui.errors import InvariantViolation
from puhui.ledger import AccountKind
from puhui.products import load_catalogue
from puhui.services.lending import Lending
from puhui.settings import Settings
from puhui.store import ledger as ledger_store
from puhui.store.bulk import open_book, synthetic_book
from puhui.store.db import Database
from puhui.store.rows import claim_ids
from puhui.store.tables import credit_line, customer, decision_record, loan

CATALOGUE = load_catalogue()


def _max_line_id(db) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.max(credit_line.c.id))).scalar_one())


def test_ids_continue_after_the_bulk_loader_and_grants(db):
    # Also: accounts the bulk loader numbered itself do not collide with ``ensure_accounts``
    # (PostgreSQL lets that one's ids default to the sequence).
    service = Lending(db, CATALOGUE, Settings().servicing_policy())
    open_book(db, CATALOGUE, synthetic_book(CATALOGUE, 30, seed=3), batch_size=12)
    assert _max_line_id(db) >= 30
    cid = service.add_customer("李秀英", "farmer", "新泰市")
    line = service.grant_line("g1", cid, "xintai_farmer_line", "20000", "B")
    assert line.line_id == _max_line_id(db)
    with db.write() as conn:
        claimed = claim_ids(conn, credit_line, 3)
    assert len(set(claimed)) == 3
    assert min(claimed) > line.line_id


def test_the_migration_moves_the_sequences_past_ids_already_used(db):
    cfg = db.alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
    with db.write() as conn:  # an older schema: explicit ids, the sequence never advanced
        conn.execute(
            customer.insert().values(
                id=7, name="赵六", segment="farmer", created_at=ledger_store.utcnow()
            )
        )
        conn.execute(
            credit_line.insert().values(
                id=41,
                customer_id=7,
                product_code="xintai_farmer_line",
                limit_fen=1_000_000,
                rate_annual_e8=8_000_000,
                band="B",
                methods="equal_installment",
                granted_on=date(2026, 1, 15),
                expires_on=date(2027, 1, 15),
                revolving=True,
                penalty_rate_e8=12_000_000,
                status="active",
                created_at=ledger_store.utcnow(),
            )
        )
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with db.write() as conn:
        assert claim_ids(conn, credit_line) == [42]
        assert claim_ids(conn, decision_record)[0] >= 1


def test_only_sequenced_tables_claim_ids(db):
    with db.write() as conn, pytest.raises(InvariantViolation, match="sequence"):
        claim_ids(conn, loan)


@pytest.mark.pg
def test_a_write_that_moves_no_money_cannot_post_on_postgresql(pg_server, pg_template):
    # PostgreSQL only: there write_records() skips the ledger head (on SQLite it is write()).
    db = Database(pg_server.url(pg_server.create(template=pg_template)))
    with db.write() as conn:
        cash = ledger_store.book_account_id(conn, AccountKind.SETTLEMENT)
        income = ledger_store.book_account_id(conn, AccountKind.INTEREST_INCOME)
    with db.write_records() as conn, pytest.raises(InvariantViolation, match=r"Database\.write"):
        ledger_store.append(conn, "k", "deposit", date(2026, 1, 15), [(cash, income, 100)])
    db.dispose()
