"""Storage of consents 授权记录 and their append-only audit trail.

Owns every SQL statement over ``consent`` and ``consent_audit``. A grant inserts a consent and
a ``grant`` audit row; a withdrawal sets ``withdrawn_at`` once and appends a ``withdraw`` audit
row — in the caller's transaction, so the two always go together. ``consent_audit`` rejects
UPDATE and DELETE (triggers of migration 0002).

Consent ids are assigned here (max + 1, in the caller's serialised transaction) so a bulk grant
can write the consents and their audit rows with two ``COPY`` statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Connection, func, insert, select, update

from puhui.data.consent import Channel, Consent, Purpose, Scope, scope_text
from puhui.store.rows import insert_frame, read_frame
from puhui.store.tables import consent, consent_audit, person


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives naive timestamps back; every stored timestamp is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _consent(row: object) -> Consent:
    values = dict(row)  # type: ignore[call-overload]
    return Consent(
        consent_id=int(values["id"]),
        person_key=str(values["person_key"]),
        purpose=Purpose(values["purpose"]),
        scope=frozenset(str(values["scope"]).split(",")),
        channel=Channel(values["channel"]),
        granted_at=_aware(values["granted_at"]),  # type: ignore[arg-type]
        withdrawn_at=_aware(values["withdrawn_at"]),
    )


def consents_frame(conn: Connection, person_key: str | None = None) -> pd.DataFrame:
    """Every consent (or one person's): ``id, person_key, purpose, scope, channel,
    granted_at, withdrawn_at``."""
    query = select(consent).order_by(consent.c.id)
    if person_key is not None:
        query = query.where(consent.c.person_key == person_key)
    return read_frame(conn, query)


def consents_of(conn: Connection, person_keys: Sequence[str]) -> pd.DataFrame:
    """The consents of ``person_keys`` (columns as :func:`consents_frame`)."""
    keys = list(person_keys)
    parts = [
        read_frame(
            conn,
            select(consent)
            .where(consent.c.person_key.in_(keys[start : start + 1000]))
            .order_by(consent.c.id),
        )
        for start in range(0, len(keys), 1000)
    ]
    if not parts:
        return read_frame(conn, select(consent).where(consent.c.id < 0))
    return pd.concat(parts, ignore_index=True)


def person_consents(conn: Connection, person_key: str) -> list[Consent]:
    rows = conn.execute(
        select(consent).where(consent.c.person_key == person_key).order_by(consent.c.id)
    )
    return [_consent(row._mapping) for row in rows]


def _next_id(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(consent.c.id), 0))).scalar_one()) + 1


def grant_many(
    conn: Connection,
    person_keys: Sequence[str],
    purpose: Purpose,
    scope: Scope,
    channel: Channel,
    at: datetime,
    note: str,
) -> list[int]:
    """Record one consent per person and its ``grant`` audit row; returns the consent ids."""
    if not person_keys:
        return []
    first = _next_id(conn)
    ids = list(range(first, first + len(person_keys)))
    scope_str = scope_text(scope)
    consents = pd.DataFrame(
        {
            "id": ids,
            "person_key": list(person_keys),
            "purpose": purpose.value,
            "scope": scope_str,
            "channel": channel.value,
            "granted_at": pd.Timestamp(at),
        }
    )
    insert_frame(conn, consent, consents)
    audit = pd.DataFrame(
        {
            "consent_id": ids,
            "person_key": list(person_keys),
            "action": "grant",
            "purpose": purpose.value,
            "scope": scope_str,
            "channel": channel.value,
            "at": pd.Timestamp(at),
            "note": note,
        }
    )
    insert_frame(conn, consent_audit, audit)
    return ids


def withdraw(conn: Connection, item: Consent, at: datetime, note: str) -> None:
    """Set ``withdrawn_at`` (once) and append the ``withdraw`` audit row."""
    conn.execute(update(consent).where(consent.c.id == item.consent_id).values(withdrawn_at=at))
    conn.execute(
        insert(consent_audit).values(
            consent_id=item.consent_id,
            person_key=item.person_key,
            action="withdraw",
            purpose=item.purpose.value,
            scope=scope_text(item.scope),
            channel=item.channel.value,
            at=at,
            note=note,
        )
    )


def listing(
    conn: Connection,
    person_key: str | None = None,
    purpose: Purpose | None = None,
    limit: int = 50,
) -> list[tuple[Consent, str]]:
    """Newest consents first, each with the person's masked identity number."""
    query = (
        select(consent, person.c.id_masked)
        .join(person, person.c.person_key == consent.c.person_key)
        .order_by(consent.c.id.desc())
        .limit(limit)
    )
    if person_key is not None:
        query = query.where(consent.c.person_key == person_key)
    if purpose is not None:
        query = query.where(consent.c.purpose == purpose.value)
    return [(_consent(row._mapping), str(row.id_masked)) for row in conn.execute(query)]


def audit_trail(conn: Connection, person_key: str) -> list[dict[str, object]]:
    """Every audit row of a person, oldest first."""
    rows = conn.execute(
        select(consent_audit)
        .where(consent_audit.c.person_key == person_key)
        .order_by(consent_audit.c.id)
    )
    return [{**row._mapping, "at": _aware(row.at)} for row in rows]
