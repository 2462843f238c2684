"""Ledger storage: accounts, appending hash-chained entries, balances, statements, verification.

Every append happens inside ``Database.write()`` (the ledger head is locked, so entries are
numbered and chained one at a time). Large batches (end-of-day) stream their legs to the
database with PostgreSQL ``COPY`` or SQLite ``executemany``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import groupby

from sqlalchemy import Connection, func, insert, select, union_all, update
from sqlalchemy.exc import IntegrityError

from puhui.errors import Conflict, NotFound, invariant
from puhui.ledger import (
    AccountKind,
    ChainProblem,
    Entry,
    StoredEntry,
    chain_hash,
    kind_of,
    normal_side,
    verify_chain,
)
from puhui.store.rows import insert_rows
from puhui.store.tables import account, journal_entry, ledger_head, posting

Legs = Sequence[tuple[int, int, int]]  # (debit_account_id, credit_account_id, amount_fen)


def utcnow() -> datetime:
    """Wall-clock time for ``created_at`` metadata (never used in a money rule)."""
    return datetime.now(UTC)


def ensure_accounts(conn: Connection, codes: Iterable[str]) -> dict[str, int]:
    """Ids of the given account codes, creating the missing ones (append-only table)."""
    wanted = sorted(set(codes))
    found = account_ids(conn, wanted, create_missing=False)
    missing = [c for c in wanted if c not in found]
    if missing:
        rows = []
        for code in missing:
            kind = kind_of(code)
            owner = int(code.split(":", 1)[1]) if kind.per_owner else None
            rows.append({"code": code, "kind": kind.value, "owner_id": owner})
        conn.execute(insert(account), rows)
        found.update(account_ids(conn, missing, create_missing=False))
    return found


def account_ids(
    conn: Connection, codes: Iterable[str], *, create_missing: bool = True
) -> dict[str, int]:
    """Map account codes to ids (optionally creating any that do not exist yet)."""
    wanted = list(set(codes))
    if create_missing:
        return ensure_accounts(conn, wanted)
    out: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        out.update(
            conn.execute(
                select(account.c.code, account.c.id).where(account.c.code.in_(chunk))
            ).all()
        )
    return out


def book_account_id(conn: Connection, kind: AccountKind) -> int:
    return account_ids(conn, [kind.value])[kind.value]


#: ``conn.info`` key of the entries appended in the current write transaction, not yet sent.
_PENDING = "puhui.journal.pending"
_FLUSH_LEGS = 20_000


@dataclass(slots=True)
class _Pending:
    """Entries of one write transaction, buffered so a batch costs a few round trips."""

    head_seq: int
    head_hash: str
    entries: list[dict[str, object]] = field(default_factory=list)
    postings: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)


def begin_write(conn: Connection, head: tuple[int, str] | None) -> None:
    """Called by ``Database.write()`` when a money-moving transaction starts.

    ``head`` is the locked ledger head when the caller already read it (PostgreSQL).
    """
    conn.info[_PENDING] = None if head is None else _Pending(head[0], head[1])


def end_write(conn: Connection) -> None:
    """Called by ``Database.write()`` when the transaction ends (committed or not)."""
    conn.info.pop(_PENDING, None)


def _pending(conn: Connection) -> _Pending:
    invariant(_PENDING in conn.info, "journal entries are appended only inside Database.write()")
    pending = conn.info[_PENDING]
    if pending is None:
        seq, digest = conn.execute(select(ledger_head.c.seq, ledger_head.c.hash)).one()
        pending = conn.info[_PENDING] = _Pending(seq, digest)
    return pending


def flush(conn: Connection) -> None:
    """Write the buffered entries and move the ledger head (no-op when nothing is pending)."""
    pending = conn.info.get(_PENDING)
    if pending is None or not pending.entries:
        return
    try:
        conn.execute(insert(journal_entry), pending.entries)
    except IntegrityError:
        raise Conflict(
            "ENTRY_EXISTS",
            "记账凭证的幂等键已存在",
            "a journal entry with one of these keys already exists",
        ) from None
    insert_rows(
        conn,
        posting,
        [
            {
                "entry_seq": seq,
                "leg": leg_no,
                "debit_account_id": debit,
                "credit_account_id": credit,
                "amount_fen": amount,
            }
            for seq, leg_no, debit, credit, amount in pending.postings
        ],
    )
    conn.execute(update(ledger_head).values(seq=pending.head_seq, hash=pending.head_hash))
    pending.entries.clear()
    pending.postings.clear()


def append(
    conn: Connection,
    key: str,
    kind: str,
    effective_date: date,
    legs: Legs,
    memo: str = "",
) -> int:
    """Append one entry with legs given by account id; returns its sequence number.

    Must run inside ``Database.write()``; the entry is chained at once and written with the
    rest of the transaction's entries (or earlier, for large batches). A key already in the
    journal is refused (``ENTRY_EXISTS``).
    """
    invariant(len(legs) > 0, f"entry {key} has no legs")
    for debit, credit, amount in legs:
        invariant(amount > 0 and debit != credit, f"entry {key}: unbalanced leg")
    pending = _pending(conn)
    if key in pending.keys:
        raise Conflict(
            "ENTRY_EXISTS",
            f"记账凭证 {key} 已存在",
            f"a journal entry with key {key!r} already exists",
        )
    seq = pending.head_seq + 1
    digest = chain_hash(pending.head_hash, seq, key, kind, effective_date, memo, legs)
    pending.entries.append(
        {
            "seq": seq,
            "key": key,
            "kind": kind,
            "effective_date": effective_date,
            "memo": memo,
            "prev_hash": pending.head_hash,
            "hash": digest,
            "created_at": utcnow(),
        }
    )
    pending.postings.extend(
        (seq, leg_no, debit, credit, amount)
        for leg_no, (debit, credit, amount) in enumerate(legs, start=1)
    )
    pending.keys.add(key)
    pending.head_seq, pending.head_hash = seq, digest
    if len(pending.postings) >= _FLUSH_LEGS:
        flush(conn)
    return seq


def post(conn: Connection, entry: Entry) -> int:
    """Append a domain :class:`Entry` (legs by account code)."""
    ids = account_ids(conn, [c for leg in entry.legs for c in (leg.debit, leg.credit)])
    legs = [(ids[leg.debit], ids[leg.credit], leg.amount_fen) for leg in entry.legs]
    return append(conn, entry.key, entry.kind, entry.effective_date, legs, entry.memo)


def entry_exists(conn: Connection, key: str) -> bool:
    flush(conn)
    return (
        conn.execute(select(journal_entry.c.seq).where(journal_entry.c.key == key)).first()
        is not None
    )


# -- balances -----------------------------------------------------------------------------


def _movements() -> object:
    debits = select(
        posting.c.debit_account_id.label("account_id"), posting.c.amount_fen.label("amount")
    )
    credits = select(
        posting.c.credit_account_id.label("account_id"), (-posting.c.amount_fen).label("amount")
    )
    return union_all(debits, credits).subquery("movement")


def balances_by_id(conn: Connection, ids: Sequence[int] | None = None) -> dict[int, int]:
    """Debit-positive balance per account id (all accounts with postings if ``ids`` is None)."""
    flush(conn)
    mv = _movements()
    query = select(mv.c.account_id, func.sum(mv.c.amount)).group_by(mv.c.account_id)  # type: ignore[attr-defined]
    if ids is not None:
        query = query.where(mv.c.account_id.in_(list(ids)))  # type: ignore[attr-defined]
    return {int(a): int(b) for a, b in conn.execute(query)}


def balances(conn: Connection, codes: Sequence[str]) -> dict[str, int]:
    """Debit-positive balance of each account code (0 for an account with no postings)."""
    ids = account_ids(conn, codes, create_missing=False)
    by_id = balances_by_id(conn, list(ids.values())) if ids else {}
    return {code: by_id.get(ids[code], 0) if code in ids else 0 for code in codes}


@dataclass(frozen=True, slots=True)
class TrialBalanceLine:
    kind: AccountKind
    accounts: int
    debit_fen: int  # total of debit balances
    credit_fen: int  # total of credit balances (positive number)


def trial_balance(conn: Connection) -> list[TrialBalanceLine]:
    """试算平衡: per account kind, the debit and credit balances; the totals must be equal."""
    kinds = dict(conn.execute(select(account.c.id, account.c.kind)).all())
    per_kind: dict[str, list[int]] = {}
    for account_id, bal in balances_by_id(conn).items():
        entry = per_kind.setdefault(kinds[account_id], [0, 0, 0])
        entry[0] += 1
        if bal >= 0:
            entry[1] += bal
        else:
            entry[2] -= bal
    return [TrialBalanceLine(AccountKind(k), v[0], v[1], v[2]) for k, v in sorted(per_kind.items())]


@dataclass(frozen=True, slots=True)
class StatementLine:
    seq: int
    effective_date: date
    kind: str
    key: str
    memo: str
    change_fen: int  # in the account's normal direction
    balance_fen: int  # in the account's normal direction


def statement(
    conn: Connection, code: str, start: date | None = None, end: date | None = None
) -> tuple[int, list[StatementLine]]:
    """对账单: opening balance and each movement of account ``code`` (normal-side signs)."""
    flush(conn)
    ids = account_ids(conn, [code], create_missing=False)
    if code not in ids:
        raise NotFound("ACCOUNT_NOT_FOUND", f"科目不存在：{code}", f"no account {code!r}")
    account_id = ids[code]
    sign = normal_side(kind_of(code))
    mv = select(
        journal_entry.c.seq,
        journal_entry.c.effective_date,
        journal_entry.c.kind,
        journal_entry.c.key,
        journal_entry.c.memo,
        posting.c.debit_account_id,
        posting.c.amount_fen,
    ).join(journal_entry, journal_entry.c.seq == posting.c.entry_seq)
    mv = mv.where(
        (posting.c.debit_account_id == account_id) | (posting.c.credit_account_id == account_id)
    ).order_by(journal_entry.c.seq, posting.c.leg)
    opening = 0
    lines: list[StatementLine] = []
    balance = 0
    rows = conn.execute(mv).all()
    for (seq, day, kind, key, memo), legs in groupby(rows, key=lambda r: r[:5]):
        change = sum(amount if debit == account_id else -amount for *_, debit, amount in legs)
        change *= sign
        if start is not None and day < start:
            opening += change
            balance += change
            continue
        if end is not None and day > end:
            continue
        balance += change
        lines.append(StatementLine(seq, day, kind, key, memo, change, balance))
    return opening, lines


# -- verification -------------------------------------------------------------------------


def iter_stored(conn: Connection, batch: int = 10_000) -> Iterator[StoredEntry]:
    """Stream the journal in sequence order, with legs, for verification."""
    flush(conn)
    last = 0
    while True:
        entries = (
            conn.execute(
                select(journal_entry)
                .where(journal_entry.c.seq > last)
                .order_by(journal_entry.c.seq)
                .limit(batch)
            )
            .mappings()
            .all()
        )
        if not entries:
            return
        low, high = entries[0]["seq"], entries[-1]["seq"]
        legs: dict[int, list[tuple[int, int, int]]] = {}
        for seq, debit, credit, amount in conn.execute(
            select(
                posting.c.entry_seq,
                posting.c.debit_account_id,
                posting.c.credit_account_id,
                posting.c.amount_fen,
            )
            .where(posting.c.entry_seq.between(low, high))
            .order_by(posting.c.entry_seq, posting.c.leg)
        ):
            legs.setdefault(seq, []).append((debit, credit, amount))
        for e in entries:
            yield StoredEntry(
                seq=e["seq"],
                key=e["key"],
                kind=e["kind"],
                effective_date=e["effective_date"],
                memo=e["memo"],
                legs=legs.get(e["seq"], []),
                prev_hash=e["prev_hash"],
                hash=e["hash"],
            )
        last = high


def verify(conn: Connection) -> tuple[int, list[ChainProblem]]:
    """Check the whole chain; returns (entries checked, problems)."""
    head = conn.execute(select(ledger_head.c.seq, ledger_head.c.hash)).one()
    count = 0

    def counted() -> Iterator[StoredEntry]:
        nonlocal count
        for stored in iter_stored(conn):
            count += 1
            yield stored

    problems = list(verify_chain(counted(), head=(head[0], head[1])))
    return count, problems


def net_by_kind(conn: Connection) -> Mapping[str, int]:
    """Debit-positive total per account kind (sums to zero when the books balance)."""
    return {line.kind.value: line.debit_fen - line.credit_fen for line in trial_balance(conn)}
