"""Idempotency keys 幂等键: a client's retry of a write has exactly one effect.

The key comes from the client (``Idempotency-Key`` header, ``--idempotency-key`` option). The
first request stores its response in the same transaction as its effect; a retry with the same
key and the same request gets that response back without doing anything; the same key with a
*different* request is refused (``IDEMPOTENCY_KEY_REUSED``) — it is almost certainly a bug.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select

from puhui.errors import Conflict, ValidationError
from puhui.store.ledger import utcnow
from puhui.store.rows import insert_batch
from puhui.store.tables import idempotency

MAX_KEY_LENGTH = 120

_LOOKUP = select(idempotency.c.operation, idempotency.c.request_hash, idempotency.c.response).where(
    idempotency.c.key == bindparam("key")
)


def request_hash(operation: str, request: dict[str, Any]) -> str:
    canonical = json.dumps({"op": operation, **request}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationError(
            "IDEMPOTENCY_KEY",
            f"幂等键必须是 1 到 {MAX_KEY_LENGTH} 个可打印字符",
            f"Idempotency-Key must be 1..{MAX_KEY_LENGTH} printable characters",
        )
    return key


def lookup(
    conn: Connection, key: str, operation: str, request: dict[str, Any]
) -> dict[str, Any] | None:
    """The stored response for ``key``, or None if the key is new."""
    row = conn.execute(_LOOKUP, {"key": key}).first()
    if row is None:
        return None
    if row.operation != operation or row.request_hash != request_hash(operation, request):
        raise Conflict(
            "IDEMPOTENCY_KEY_REUSED",
            "该幂等键已用于另一笔不同的请求",
            f"Idempotency-Key {key!r} was already used for a different request",
        )
    return json.loads(row.response)


def record(
    conn: Connection,
    key: str,
    operation: str,
    request: dict[str, Any],
    response: dict[str, Any],
) -> None:
    record_many(conn, [(key, operation, request, response)])


def record_many(
    conn: Connection, entries: Sequence[tuple[str, str, dict[str, Any], dict[str, Any]]]
) -> None:
    """Store ``(key, operation, request, response)`` entries in one statement; a key already
    stored fails it (unique), and with it the caller's transaction."""
    if not entries:
        return
    created_at = utcnow()
    insert_batch(
        conn,
        idempotency,
        [
            {
                "key": key,
                "operation": operation,
                "request_hash": request_hash(operation, request),
                "response": json.dumps(response, sort_keys=True, default=str),
                "created_at": created_at,
            }
            for key, operation, request, response in entries
        ],
    )
