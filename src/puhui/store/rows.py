"""Inserting many rows at once: PostgreSQL ``COPY``, ``executemany`` elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select

_COPY_THRESHOLD = 200


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the current transaction."""
    if not rows:
        return
    if conn.dialect.name != "postgresql" or len(rows) < _COPY_THRESHOLD:
        conn.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    raw = conn.connection.driver_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(tuple(row[c] for c in columns))


def next_id(conn: Connection, table: Table) -> int:
    """``MAX(id) + 1`` — safe inside the serialised ``Database.write()`` transaction."""
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1
