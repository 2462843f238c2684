"""Journal entries 记账凭证 and the hash chain that makes the journal tamper-evident.

An :class:`Entry` is what a money movement is recorded as: a client idempotency ``key``, a
``kind`` (drawdown, repayment, accrual …), the business date it takes effect, and legs. A
:class:`Leg` moves ``amount_fen`` (> 0) from the credited account to the debited one — each leg
balances on its own, so the database can enforce balance with plain CHECK constraints and no
deferred trigger (docs/decisions/0003-ledger-legs.md).

The chain: entries are numbered ``seq = 1, 2, …`` in commit order and
``hash_n = sha256(hash_{n-1} ‖ canonical(entry_n))`` over the stored form, whose legs name
accounts by their immutable database ids. :func:`verify_chain` re-derives every hash and names
the first entry that was edited, removed or moved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from puhui.errors import ValidationError, invariant
from puhui.ledger.accounts import kind_of

GENESIS_HASH = "0" * 64
MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Leg:
    """Debit ``debit`` and credit ``credit`` by ``amount_fen`` (account codes)."""

    debit: str
    credit: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Entry:
    """A balanced journal entry; build with :func:`make_entry`."""

    key: str
    kind: str
    effective_date: date
    legs: tuple[Leg, ...]
    memo: str = ""

    def net_by_account(self) -> dict[str, int]:
        """Debit-positive movement per account; the values always sum to zero."""
        net: dict[str, int] = {}
        for leg in self.legs:
            net[leg.debit] = net.get(leg.debit, 0) + leg.amount_fen
            net[leg.credit] = net.get(leg.credit, 0) - leg.amount_fen
        return net


def make_entry(
    key: str, kind: str, effective_date: date, legs: Iterable[Leg], memo: str = ""
) -> Entry:
    """Validate and build an entry. Zero-amount legs are dropped (nothing moved)."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationError(
            "IDEMPOTENCY_KEY",
            f"幂等键必须是 1 到 {MAX_KEY_LENGTH} 个字符",
            f"idempotency key must be 1..{MAX_KEY_LENGTH} characters; got {len(key)}",
        )
    kept = tuple(leg for leg in legs if leg.amount_fen != 0)
    for leg in kept:
        invariant(isinstance(leg.amount_fen, int), f"leg amount must be int fen: {leg}")
        invariant(leg.amount_fen > 0, f"leg amount must be positive: {leg}")
        invariant(leg.debit != leg.credit, f"leg must move between two accounts: {leg}")
        kind_of(leg.debit)
        kind_of(leg.credit)
    invariant(len(kept) > 0, f"entry {key} moves no money")
    entry = Entry(key=key, kind=kind, effective_date=effective_date, legs=kept, memo=memo)
    invariant(sum(entry.net_by_account().values()) == 0, f"entry {key} must balance")
    return entry


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An entry as stored: sequence number, legs by account id, and its chain links."""

    seq: int
    key: str
    kind: str
    effective_date: date
    memo: str
    legs: Sequence[tuple[int, int, int]]  # (debit_account_id, credit_account_id, amount_fen)
    prev_hash: str
    hash: str


def canonical(
    seq: int,
    key: str,
    kind: str,
    effective_date: date,
    memo: str,
    legs: Sequence[tuple[int, int, int]],
) -> bytes:
    """The exact bytes an entry's hash covers (fields are separator-safe by construction)."""
    head = f"{seq}\x1f{key}\x1f{kind}\x1f{effective_date.isoformat()}\x1f{memo}\x1e"
    body = "\x1e".join(f"{d}\x1f{c}\x1f{a}" for d, c, a in legs)
    return (head + body).encode("utf-8")


def chain_hash(
    prev_hash: str,
    seq: int,
    key: str,
    kind: str,
    effective_date: date,
    memo: str,
    legs: Sequence[tuple[int, int, int]],
) -> str:
    """``sha256(prev_hash ‖ canonical(entry))`` as hex."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(canonical(seq, key, kind, effective_date, memo, legs))
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """One break in the chain, naming the entry (by seq and key) and what is wrong."""

    seq: int
    key: str
    reason: str

    def __str__(self) -> str:
        return f"entry #{self.seq} ({self.key}): {self.reason}"


def _entry_problems(stored: StoredEntry, expected_seq: int, prev_hash: str) -> list[str]:
    problems: list[str] = []
    if stored.seq > expected_seq:
        problems.append(f"entries #{expected_seq}..#{stored.seq - 1} are missing")
    elif stored.seq < expected_seq:
        problems.append(f"out of order: expected #{expected_seq}")
    if stored.prev_hash != prev_hash:
        problems.append("its link to the previous entry is broken (removed or reordered)")
    recomputed = chain_hash(
        stored.prev_hash,
        stored.seq,
        stored.key,
        stored.kind,
        stored.effective_date,
        stored.memo,
        stored.legs,
    )
    if recomputed != stored.hash:
        problems.append("content does not match its hash (edited)")
    if not stored.legs:
        problems.append("has no legs")
    problems.extend(
        f"unbalanced leg {debit}->{credit} {amount}"
        for debit, credit, amount in stored.legs
        if amount <= 0 or debit == credit
    )
    return problems


def verify_chain(
    entries: Iterable[StoredEntry],
    head: tuple[int, str] | None = None,
    *,
    max_problems: int = 100,
) -> Iterator[ChainProblem]:
    """Yield every break in the chain, in order; nothing yielded means the journal is intact.

    ``entries`` must come in ``seq`` order. ``head`` is the (seq, hash) the ledger recorded as
    its last entry; a mismatch there reveals entries cut off the end.
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    found = 0
    last: StoredEntry | None = None
    for stored in entries:
        for reason in _entry_problems(stored, expected_seq, prev_hash):
            yield ChainProblem(stored.seq, stored.key, reason)
            found += 1
            if found >= max_problems:
                return
        expected_seq = stored.seq + 1
        prev_hash = stored.hash
        last = stored
    if head is not None:
        last_seq = last.seq if last else 0
        last_hash = last.hash if last else GENESIS_HASH
        if head != (last_seq, last_hash):
            yield ChainProblem(
                last_seq,
                last.key if last else "-",
                f"the ledger head says #{head[0]} but the journal ends at #{last_seq}"
                " (entries cut off the end, or the head was altered)",
            )
