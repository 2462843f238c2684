"""Ledger storage on SQLite and PostgreSQL: balance enforced by the database, append-only,
tamper-evident."""

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from puhui.errors import Conflict
from puhui.ledger import Leg, make_entry
from puhui.store import ledger as ledger_store
from puhui.store.db import Database

DAY = date(2026, 1, 15)


def _post(db: Database, key: str, amount: int) -> int:
    with db.write() as conn:
        return ledger_store.post(
            conn, make_entry(key, "deposit", DAY, [Leg("settlement", "wallet:1", amount)])
        )


def test_entries_chain_and_balance(db):
    seqs = [_post(db, f"k{i}", 100 * (i + 1)) for i in range(5)]
    assert seqs == [1, 2, 3, 4, 5]
    with db.read() as conn:
        assert ledger_store.balances(conn, ["wallet:1", "settlement"]) == {
            "wallet:1": -1500,
            "settlement": 1500,
        }
        lines = ledger_store.trial_balance(conn)
        assert sum(line.debit_fen for line in lines) == sum(line.credit_fen for line in lines)
        count, problems = ledger_store.verify(conn)
    assert count == 5
    assert problems == []


def test_same_key_cannot_be_posted_twice(db):
    _post(db, "once", 100)
    with pytest.raises(Conflict) as err:
        _post(db, "once", 100)
    assert err.value.code == "ENTRY_EXISTS"


@pytest.mark.parametrize(
    ("debit", "credit", "amount"), [(1, 2, 0), (1, 2, -5), (3, 3, 10)], ids=["zero", "neg", "self"]
)
def test_database_refuses_an_unbalanced_leg(db, debit, credit, amount):
    _post(db, "seed", 100)
    with pytest.raises(IntegrityError), db.write() as conn:
        conn.execute(
            text(
                "INSERT INTO posting (entry_seq, leg, debit_account_id, credit_account_id, "
                "amount_fen) VALUES (1, 9, :d, :c, :a)"
            ),
            {"d": debit, "c": credit, "a": amount},
        )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE posting SET amount_fen = 1",
        "DELETE FROM posting",
        "UPDATE journal_entry SET memo = 'x'",
        "DELETE FROM journal_entry",
    ],
)
def test_journal_is_append_only(db, statement):
    _post(db, "seed", 100)
    with pytest.raises(DBAPIError, match="append-only"), db.write() as conn:
        conn.execute(text(statement))


def _drop_guards(db: Database) -> None:
    """What an attacker with database rights would do first."""
    with db.engine.begin() as conn:
        if db.is_postgres:
            for table in ("journal_entry", "posting"):
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            for table in ("journal_entry", "posting"):
                for action in ("update", "delete"):
                    conn.execute(text(f"DROP TRIGGER {table}_no_{action}"))


def _verify(db: Database) -> list[str]:
    with db.read() as conn:
        _, problems = ledger_store.verify(conn)
    return [str(p) for p in problems]


def test_tampered_amount_is_named(db):
    for i in range(4):
        _post(db, f"k{i}", 100)
    _drop_guards(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE posting SET amount_fen = 999 WHERE entry_seq = 3"))
    problems = _verify(db)
    assert problems
    assert problems[0].startswith("entry #3 (k2)")


def test_deleted_entry_is_named(db):
    for i in range(4):
        _post(db, f"k{i}", 100)
    _drop_guards(db)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM posting WHERE entry_seq = 2"))
        conn.execute(text("DELETE FROM journal_entry WHERE seq = 2"))
    problems = _verify(db)
    assert problems
    assert "#2..#2 are missing" in problems[0]


def test_reordered_entries_are_named(db):
    for i in range(4):
        _post(db, f"k{i}", 100 + i)
    _drop_guards(db)
    with db.engine.begin() as conn:
        # swap the contents of entries 2 and 3 (keys and amounts), keeping positions
        conn.execute(text("UPDATE journal_entry SET key = 'tmp' WHERE seq = 2"))
        conn.execute(text("UPDATE journal_entry SET key = 'k1' WHERE seq = 3"))
        conn.execute(text("UPDATE journal_entry SET key = 'k2' WHERE seq = 2"))
        conn.execute(text("UPDATE posting SET amount_fen = 1000 WHERE entry_seq = 2"))
        conn.execute(text("UPDATE posting SET amount_fen = 101 WHERE entry_seq = 3"))
        conn.execute(text("UPDATE posting SET amount_fen = 102 WHERE entry_seq = 2"))
    problems = _verify(db)
    assert any(p.startswith("entry #2") for p in problems)


def test_cut_off_tail_is_detected(db):
    for i in range(3):
        _post(db, f"k{i}", 100)
    _drop_guards(db)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM posting WHERE entry_seq = 3"))
        conn.execute(text("DELETE FROM journal_entry WHERE seq = 3"))
    problems = _verify(db)
    assert any("cut off" in p for p in problems)


def test_statement_has_running_balance(db):
    _post(db, "a", 100)
    _post(db, "b", 250)
    with db.read() as conn:
        opening, lines = ledger_store.statement(conn, "wallet:1")
    assert opening == 0
    assert [line.balance_fen for line in lines] == [100, 350]  # wallet is credit-normal


def test_batched_append_uses_the_fast_path_and_verifies(db):
    with db.write() as conn:
        ids = ledger_store.account_ids(
            conn, ["settlement"] + [f"wallet:{i}" for i in range(1, 301)]
        )
        legs = [(ids["settlement"], ids[f"wallet:{i}"], i) for i in range(1, 301)]
        ledger_store.append(conn, "batch", "deposit", DAY, legs)
    with db.read() as conn:
        count, problems = ledger_store.verify(conn)
        assert ledger_store.balances(conn, ["settlement"])["settlement"] == sum(range(1, 301))
    assert (count, problems) == (1, [])
