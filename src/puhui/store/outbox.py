"""In-app notifications and the outbox of e-mail/SMS messages (``notification``, ``outbox``).

Outbox protocol (decision 0402): a message is inserted once per key; a sender *claims* due rows
by setting a lease (owner + expiry) in a short transaction, sends, then marks the row sent only
if it still holds the lease. A sender that dies leaves a lease that expires, and another sender
claims the row again — so a message can be sent twice only if a sender died between sending
and marking; the stable ``message_id`` lets the receiver drop that duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from puhui.store.events import insert_ignoring
from puhui.store.tables import app_user, customer_contact, notification, outbox


def add_notifications(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    return insert_ignoring(conn, notification, rows, ["key"])


def notifications_of(conn: Connection, customer_id: int, limit: int = 100) -> list[dict[str, Any]]:
    query = (
        select(notification)
        .where(notification.c.customer_id == customer_id)
        .order_by(notification.c.id.desc())
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def enqueue(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    return insert_ignoring(conn, outbox, rows, ["key"])


def contacts(conn: Connection, customer_ids: Sequence[int]) -> dict[int, dict[str, str | None]]:
    """E-mail and phone of each customer: ``customer_contact`` first, else the login phone."""
    ids = list(customer_ids)
    out: dict[int, dict[str, str | None]] = {i: {"email": None, "phone": None} for i in ids}
    if not ids:
        return out
    for cid, phone in conn.execute(
        select(app_user.c.customer_id, app_user.c.phone).where(app_user.c.customer_id.in_(ids))
    ):
        out[int(cid)]["phone"] = phone
    query = select(customer_contact).where(customer_contact.c.customer_id.in_(ids))
    for row in conn.execute(query).mappings():
        target = out[int(row["customer_id"])]
        target["email"] = row["email"] or target["email"]
        target["phone"] = row["phone"] or target["phone"]
    return out


def set_contact(conn: Connection, customer_id: int, email: str | None, phone: str | None) -> None:
    exists = conn.execute(
        select(customer_contact.c.customer_id).where(customer_contact.c.customer_id == customer_id)
    ).first()
    if exists:
        conn.execute(
            update(customer_contact)
            .where(customer_contact.c.customer_id == customer_id)
            .values(email=email, phone=phone)
        )
    else:
        conn.execute(
            customer_contact.insert().values(customer_id=customer_id, email=email, phone=phone)
        )


def claim(
    conn: Connection, owner: str, now: datetime, lease_until: datetime, limit: int
) -> list[dict[str, Any]]:
    """Lease up to ``limit`` due pending messages to ``owner`` (call in its own transaction)."""
    free = or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now)
    query = (
        select(outbox.c.id)
        .where(and_(outbox.c.status == "pending", outbox.c.not_before <= now, free))
        .order_by(outbox.c.not_before, outbox.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(conn.execute(query).scalars())
    if not ids:
        return []
    conn.execute(
        update(outbox)
        .where(outbox.c.id.in_(ids))
        .values(lease_owner=owner, lease_until=lease_until, attempts=outbox.c.attempts + 1)
    )
    rows = conn.execute(select(outbox).where(outbox.c.id.in_(ids)).order_by(outbox.c.id))
    return [dict(r) for r in rows.mappings()]


def _held(message_id: int, owner: str) -> Any:
    return and_(
        outbox.c.id == message_id, outbox.c.lease_owner == owner, outbox.c.status == "pending"
    )


def mark_sent(conn: Connection, message_id: int, owner: str, now: datetime) -> bool:
    """Mark sent if ``owner`` still holds the lease; False means another sender took over."""
    result = conn.execute(
        update(outbox)
        .where(_held(message_id, owner))
        .values(status="sent", sent_at=now, lease_owner=None, lease_until=None)
    )
    return bool(result.rowcount)


def release(
    conn: Connection,
    message_id: int,
    owner: str,
    not_before: datetime,
    *,
    error: str | None = None,
    failed: bool = False,
) -> None:
    """Give the message back (deferred to ``not_before``), or give up on it (``failed``)."""
    conn.execute(
        update(outbox)
        .where(_held(message_id, owner))
        .values(
            status="failed" if failed else "pending",
            not_before=not_before,
            lease_owner=None,
            lease_until=None,
            last_error=(error or None) and error[:300],
        )
    )


def messages(conn: Connection, status: str | None = None) -> list[dict[str, Any]]:
    query = select(outbox).order_by(outbox.c.id)
    if status is not None:
        query = query.where(outbox.c.status == status)
    return [dict(r) for r in conn.execute(query).mappings()]
