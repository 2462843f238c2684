"""Storage of partner facts 事实数据: import batches, the person registry, fact tables.

Owns every SQL statement over ``import_batch``, ``person`` and the ``fact_*`` tables. Writes
happen in :func:`import_transaction` — one transaction per file, so a file is stored whole or
not at all — and bulk rows go through :func:`puhui.store.rows.insert_frame` (``COPY`` on
PostgreSQL).

Invariants
- A fact row always names its batch (``batch_id``) and its record in the file
  (``source_row``); the batch names the file and its SHA-256.
- ``person.id_encrypted`` is the only place an identity number is kept, and only encrypted.
- Imports are serialised among themselves (SQLite ``BEGIN IMMEDIATE``; a PostgreSQL advisory
  lock), without blocking money-moving transactions on the ledger head.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    func,
    insert,
    or_,
    select,
    text,
    true,
)

from puhui.data.sources import BY_NAME, Source
from puhui.store.db import Database
from puhui.store.rows import insert_frame, read_frame
from puhui.store.tables import FACT_TABLES, import_batch, person

#: Key of the PostgreSQL advisory lock that serialises imports (any fixed 64-bit number).
_IMPORT_LOCK = 0x7075687569_01  # "puhui" + 1


@contextmanager
def import_transaction(db: Database) -> Iterator[Connection]:
    """One import's write transaction (commits on success, rolls back on any error)."""
    with db.engine.connect() as raw:
        conn = raw if db.is_postgres else raw.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            if db.is_postgres:
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _IMPORT_LOCK})
            yield conn


@dataclass(frozen=True, slots=True)
class Batch:
    """One imported file (a row of ``import_batch``)."""

    batch_id: int
    source: str
    file_name: str
    file_sha256: str
    rows_in_file: int
    rows_stored: int
    rows_duplicate: int
    rows_already_stored: int
    rows_no_consent: int
    rows_unknown_person: int
    status: str
    imported_at: datetime


def batches_of_file(conn: Connection, source: str, sha256: str) -> list[Batch]:
    """Earlier batches of the same file (same source and SHA-256), oldest first."""
    rows = conn.execute(
        select(import_batch)
        .where(import_batch.c.source == source, import_batch.c.file_sha256 == sha256)
        .order_by(import_batch.c.id)
    )
    return [_batch(row._mapping) for row in rows]


def _batch(row: object) -> Batch:
    values = dict(row)  # type: ignore[call-overload]
    values["batch_id"] = values.pop("id")
    return Batch(**values)


def add_batch(conn: Connection, values: dict[str, object]) -> int:
    """Record a batch; returns its id."""
    return int(conn.execute(insert(import_batch).values(**values)).inserted_primary_key[0])


def list_batches(conn: Connection, source: str | None = None, limit: int = 100) -> list[Batch]:
    """The newest ``limit`` batches (of one source, or all), newest first."""
    query = select(import_batch).order_by(import_batch.c.id.desc()).limit(limit)
    if source is not None:
        query = query.where(import_batch.c.source == source)
    return [_batch(row._mapping) for row in conn.execute(query)]


def last_batch_id(conn: Connection) -> int | None:
    return conn.execute(select(func.max(import_batch.c.id))).scalar_one()


def known_persons(conn: Connection) -> pd.Series:
    """Every person key in the registry."""
    return read_frame(conn, select(person.c.person_key))["person_key"]


def add_persons(conn: Connection, frame: pd.DataFrame) -> None:
    """Register people: columns ``person_key, id_encrypted, id_masked, first_batch_id,
    registered_at``."""
    insert_frame(conn, person, frame)


def person_row(conn: Connection, person_key: str) -> dict[str, object] | None:
    row = conn.execute(select(person).where(person.c.person_key == person_key)).first()
    return None if row is None else dict(row._mapping)


def encrypted_ids(conn: Connection, limit: int | None = None) -> list[tuple[str, str]]:
    """(person key, encrypted number) of registered people, for the key check."""
    query = select(person.c.person_key, person.c.id_encrypted).order_by(person.c.person_key)
    if limit is not None:
        query = query.limit(limit)
    return [(str(k), str(v)) for k, v in conn.execute(query)]


def link_keys(conn: Connection, source: Source) -> pd.Series:
    """For a source that names people through another source's id (``user_id``, ``line_id`` …):
    that id → person key, following the chain of parents (repayments → draws → lines)."""
    if source.link is None:
        raise ValueError(f"{source.name} names its people directly")
    parent = BY_NAME[source.link.parent]
    parent_table = FACT_TABLES[parent.name]
    joined = parent_table
    current = parent
    while current.link is not None:
        upper = BY_NAME[current.link.parent]
        column = current.link.column
        joined = joined.join(
            FACT_TABLES[upper.name],
            FACT_TABLES[current.name].c[column] == FACT_TABLES[upper.name].c[column],
        )
        current = upper
    query = select(
        parent_table.c[source.link.column], FACT_TABLES[current.name].c.person_key
    ).select_from(joined)
    frame = read_frame(conn, query)
    return frame.set_index(source.link.column)["person_key"]


def stored_facts(conn: Connection, source: Source) -> pd.DataFrame:
    """Every stored fact of ``source`` in its stored columns (no lineage columns)."""
    table = FACT_TABLES[source.name]
    return read_frame(conn, select(*(table.c[c] for c in source.stored_columns)))


def has_facts(conn: Connection, source: Source) -> bool:
    table = FACT_TABLES[source.name]
    return conn.execute(select(table.c.batch_id).limit(1)).first() is not None


def insert_facts(conn: Connection, source: Source, frame: pd.DataFrame) -> None:
    """Store facts: ``batch_id``, ``source_row`` and the source's stored columns.

    Rows go in primary-key order: appending to the key's B-tree instead of inserting all over
    it makes a million-row file about three times faster to store on SQLite."""
    ordered = frame.sort_values(list(source.stored_key), kind="stable")
    insert_frame(conn, FACT_TABLES[source.name], ordered)


def read_facts(
    conn: Connection, source: Source, since: date | None = None, until: date | None = None
) -> pd.DataFrame:
    """Stored facts of ``source`` for the feature store, optionally only rows whose
    ``known_from`` day lies in ``[since, until)`` (rows outside cannot fall in any window)."""
    table = FACT_TABLES[source.name]
    query: Select[tuple[object, ...]] = select(*(table.c[c] for c in source.stored_columns))
    if source.known_from is not None:
        if since is not None:
            query = query.where(table.c[source.known_from] >= since)
        if until is not None:
            query = query.where(table.c[source.known_from] < until)
    return read_frame(conn, query)


def _of_persons(source: Source, person_keys: list[str]) -> ColumnElement[bool]:
    """Rows of ``source`` that belong to ``person_keys``, following its link chain."""
    table = FACT_TABLES[source.name]
    if source.link is None:
        if "person_key" not in table.c:  # about places, not people (disaster notices)
            return true()
        return table.c.person_key.in_(person_keys)
    parent = BY_NAME[source.link.parent]
    ids = select(FACT_TABLES[parent.name].c[source.link.column]).where(
        _of_persons(parent, person_keys)
    )
    return table.c[source.link.column].in_(ids)


def read_facts_of(
    conn: Connection,
    source: Source,
    person_keys: list[str],
    since: date | None = None,
    until: date | None = None,
) -> pd.DataFrame:
    """Like :func:`read_facts`, but only the rows of ``person_keys`` (by index, fast). For
    transfers, also the rows where one of them is the counterparty: a contact is a contact
    whichever way the money went."""
    table = FACT_TABLES[source.name]
    where = _of_persons(source, person_keys)
    if source.name == "platform/transfers":
        accounts = BY_NAME["platform/accounts"]
        theirs = select(FACT_TABLES[accounts.name].c.user_id).where(
            _of_persons(accounts, person_keys)
        )
        where = or_(where, table.c.counterparty_user_id.in_(theirs))
    query: Select[tuple[object, ...]] = select(*(table.c[c] for c in source.stored_columns)).where(
        where
    )
    if source.known_from is not None:
        if since is not None:
            query = query.where(table.c[source.known_from] >= since)
        if until is not None:
            query = query.where(table.c[source.known_from] < until)
    return read_frame(conn, query)


def persons_of_users(conn: Connection, user_ids: list[int]) -> list[str]:
    """Person keys behind platform user ids (those with an account on file)."""
    accounts = FACT_TABLES["platform/accounts"]
    found: set[str] = set()
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        found.update(
            conn.execute(
                select(accounts.c.person_key).where(accounts.c.user_id.in_(chunk))
            ).scalars()
        )
    return sorted(found)


@dataclass(frozen=True, slots=True)
class Resident:
    """What the county's household register says of a person (户籍)."""

    name: str
    birth_date: date
    township: str
    village: str


def resident(conn: Connection, person_key: str) -> Resident | None:
    table = FACT_TABLES["government/residents"]
    row = conn.execute(
        select(table.c.name, table.c.birth_date, table.c.township_name, table.c.village_name).where(
            table.c.person_key == person_key
        )
    ).first()
    if row is None:
        return None
    return Resident(str(row[0]), row[1], str(row[2]), str(row[3]))
