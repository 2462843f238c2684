"""Ledger 总账: chart of accounts, double-entry journal entries, hash chain, balances.

Owns: the account kinds a lender needs (borrower wallet, loan principal, interest and penalty
receivable, interest and penalty income, settlement/cash, loss allowance, provision expense,
write-off), the :class:`~puhui.ledger.journal.Entry` a money movement is recorded as, the hash
chain that makes the journal tamper-evident, and the pure checks over balances.

Invariants
- Every leg of every entry moves a positive amount from one account to a different one, so each
  leg — and therefore each entry — balances (debits = credits). The database enforces the same
  with CHECK constraints (see ``store.tables``).
- Entries are append-only; a correction is a reversal entry. Each entry carries the client's
  idempotency key, unique across the journal.
- ``hash_n = sha256(hash_{n-1} ‖ canonical(entry_n))``: editing, deleting or reordering any
  entry breaks the chain at that entry.
May import: ``money``, ``errors``.
"""

from puhui.ledger.accounts import AccountKind, account_code, kind_of, normal_side
from puhui.ledger.journal import (
    GENESIS_HASH,
    ChainProblem,
    Entry,
    Leg,
    StoredEntry,
    chain_hash,
    make_entry,
    verify_chain,
)

__all__ = [
    "GENESIS_HASH",
    "AccountKind",
    "ChainProblem",
    "Entry",
    "Leg",
    "StoredEntry",
    "account_code",
    "chain_hash",
    "kind_of",
    "make_entry",
    "normal_side",
    "verify_chain",
]
