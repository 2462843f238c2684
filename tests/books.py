"""A check used by many tests: every balance a customer sees equals the ledger-derived one."""

from __future__ import annotations

from sqlalchemy import select

from puhui.store import ledger as ledger_store
from puhui.store.db import Database
from puhui.store.tables import credit_line, customer, loan


def assert_books_match(db: Database) -> None:
    """Trial balance is zero; loan, wallet and line balances equal what the ledger says."""
    with db.read() as conn:
        by_id = ledger_store.balances_by_id(conn)
        lines = ledger_store.trial_balance(conn)
        assert sum(x.debit_fen for x in lines) == sum(x.credit_fen for x in lines)
        outstanding_by_line: dict[int, int] = {}
        for row in conn.execute(select(loan)).mappings():
            assert by_id.get(row["principal_account_id"], 0) == row["principal_outstanding_fen"], (
                row
            )
            assert by_id.get(row["interest_account_id"], 0) == row["interest_receivable_fen"], row
            assert by_id.get(row["penalty_account_id"], 0) == row["penalty_receivable_fen"], row
            outstanding_by_line[row["line_id"]] = (
                outstanding_by_line.get(row["line_id"], 0) + row["principal_outstanding_fen"]
            )
        for row in conn.execute(select(customer)).mappings():
            assert -by_id.get(row["wallet_account_id"], 0) == row["wallet_balance_fen"], row
            assert row["wallet_balance_fen"] >= 0
        for row in conn.execute(select(credit_line)).mappings():
            assert row["used_fen"] == outstanding_by_line.get(row["id"], 0), row
            assert row["used_fen"] >= 0
        _, problems = ledger_store.verify(conn)
        assert problems == []
