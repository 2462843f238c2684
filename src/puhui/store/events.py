"""Behaviour events, stored append-only and idempotent by event id (``risk_event``).

:func:`insert_events` stores a validated batch inside the caller's transaction: ids already
stored with the same content are replays and are skipped; an id stored with *different*
content is refused (``EVENT_ID_REUSED``) and — since the caller's transaction rolls back —
nothing of the batch is written. Queries return frames in the ``risk.events`` schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Table, and_, func, select
from sqlalchemy.dialects import postgresql, sqlite

from puhui.errors import Conflict
from puhui.risk.events import EVENT_FIELDS, content_hash
from puhui.store.tables import app_user, risk_event

#: Ids per ``IN (…)`` lookup and rows per INSERT batch (keeps statements a sane size).
LOOKUP_CHUNK = 1000
INSERT_CHUNK = 5000


def insert_ignoring(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], unique: Sequence[str]
) -> int:
    """INSERT … ON CONFLICT (unique) DO NOTHING on either engine; returns rows inserted."""
    if not rows:
        return 0
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    inserted = 0
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = list(rows[start : start + INSERT_CHUNK])
        statement = (
            dialect.insert(table)
            .on_conflict_do_nothing(index_elements=list(unique))
            .returning(table.c[unique[0]])
        )
        # RETURNING yields a row per row actually inserted (executemany's rowcount is -1 on PG)
        inserted += len(conn.execute(statement, chunk).all())
    return inserted


def _chunks(values: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _python(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def insert_events(conn: Connection, events: pd.DataFrame, received_at: datetime) -> tuple[int, int]:
    """Store a validated batch; returns (stored, replayed). Raises on a reused id."""
    if events.empty:
        return 0, 0
    hashes = content_hash(events)
    ids = events["event_id"].astype(str).tolist()
    stored: dict[str, str] = {}
    for chunk in _chunks(ids, LOOKUP_CHUNK):
        query = select(risk_event.c.event_id, risk_event.c.content_hash).where(
            risk_event.c.event_id.in_(chunk)
        )
        stored.update({row.event_id: row.content_hash for row in conn.execute(query)})
    reused = [i for i, h in zip(ids, hashes, strict=True) if i in stored and stored[i] != h]
    if reused:
        shown = ", ".join(reused[:10])
        raise Conflict(
            "EVENT_ID_REUSED",
            f"事件编号已用于内容不同的事件，整批未写入：{shown}",
            f"event id(s) already stored with different content; nothing stored: {shown}",
            count=len(reused),
        )
    new = events[[i not in stored for i in ids]]
    new_hashes = hashes[new.index]
    rows = []
    for record, digest in zip(new.to_dict("records"), new_hashes, strict=True):
        row = {name: _python(record[name]) for name in EVENT_FIELDS}
        row["content_hash"] = digest
        row["received_at"] = received_at
        rows.append(row)
    # concurrent intake of the same id: the unique index lets one win, the other skips
    stored_now = insert_ignoring(conn, risk_event, rows, ["event_id"])
    return stored_now, len(events) - stored_now


def _frame(conn: Connection, query: Any) -> pd.DataFrame:
    rows = conn.execute(query).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=list(EVENT_FIELDS))
    frame["occurred_on"] = pd.to_datetime(frame["occurred_on"]).astype("datetime64[s]")
    for name in (
        "customer_id",
        "line_id",
        "loan_id",
        "amount_fen",
        "count",
        "score_old",
        "score_new",
    ):
        frame[name] = frame[name].astype("Int64")
    for name in ("event_id", "kind", "person_key", "township_code", "detail", "counterparty_key"):
        frame[name] = frame[name].astype("string")
    return frame


_COLUMNS = [risk_event.c[name] for name in EVENT_FIELDS]


def events_on(conn: Connection, day: date) -> pd.DataFrame:
    """Every event that happened on ``day`` (in storage order)."""
    query = select(*_COLUMNS).where(risk_event.c.occurred_on == day).order_by(risk_event.c.id)
    return _frame(conn, query)


def history(
    conn: Connection,
    persons: Sequence[str],
    start: date,
    end: date,
    kinds: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Events of ``persons`` dated ``start`` … ``end`` (inclusive), optionally of ``kinds``."""
    parts = []
    wanted = sorted(kinds) if kinds is not None else None
    for chunk in _chunks(list(persons), LOOKUP_CHUNK):
        where = and_(
            risk_event.c.person_key.in_(chunk),
            risk_event.c.occurred_on >= start,
            risk_event.c.occurred_on <= end,
        )
        if wanted is not None:
            where = and_(where, risk_event.c.kind.in_(wanted))
        parts.append(_frame(conn, select(*_COLUMNS).where(where)))
    if not parts:
        return _frame(conn, select(*_COLUMNS).where(risk_event.c.id < 0))
    return pd.concat(parts, ignore_index=True)


def persons_between(conn: Connection, start: date, end: date) -> list[str]:
    """People with any event dated ``start`` … ``end``."""
    query = (
        select(risk_event.c.person_key)
        .where(risk_event.c.occurred_on.between(start, end) & risk_event.c.person_key.is_not(None))
        .distinct()
    )
    return [str(p) for p in conn.execute(query).scalars()]


def township_people(conn: Connection, codes: Sequence[str]) -> pd.DataFrame:
    """People whose events name one of the township ``codes`` (person_key, township_code)."""
    query = (
        select(risk_event.c.person_key, risk_event.c.township_code)
        .where(risk_event.c.township_code.in_(list(codes)) & risk_event.c.person_key.is_not(None))
        .distinct()
    )
    rows = conn.execute(query).all()
    return pd.DataFrame(rows, columns=["person_key", "township_code"])


def customers_of(conn: Connection, person_keys: Sequence[str]) -> dict[str, int]:
    """Customer id of each person key that belongs to a registered borrower."""
    found: dict[str, int] = {}
    for chunk in _chunks(list(person_keys), LOOKUP_CHUNK):
        query = select(app_user.c.person_key, app_user.c.customer_id).where(
            app_user.c.person_key.in_(chunk) & app_user.c.customer_id.is_not(None)
        )
        found.update({str(k): int(c) for k, c in conn.execute(query)})
    return found


def person_keys_of(conn: Connection, customer_ids: Sequence[int]) -> dict[int, str]:
    query = select(app_user.c.customer_id, app_user.c.person_key).where(
        app_user.c.customer_id.in_(list(customer_ids)) & app_user.c.person_key.is_not(None)
    )
    return {int(c): str(k) for c, k in conn.execute(query)}


def count_events(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(risk_event)).scalar_one())
