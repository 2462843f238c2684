"""Migration 0004 and ``store/tables.py`` describe the same risk tables, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from puhui.store.tables import metadata

RISK_TABLES = {
    "risk_event",
    "risk_alert",
    "risk_action",
    "risk_audit",
    "customer_contact",
    "notification",
    "outbox",
}


def _tables_in(diff: object) -> set[str]:
    names = set()
    for item in diff if isinstance(diff, list) else [diff]:
        for part in item if isinstance(item, tuple) else (item,):
            name = getattr(part, "name", None) if not isinstance(part, str) else None
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None):
                names.add(table.name)
            elif name:
                names.add(name)
            elif isinstance(part, str):
                names.add(part)
    return names


def test_the_migration_matches_the_table_definitions(db):
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    ours = [d for d in diffs if _tables_in(d) & RISK_TABLES]
    assert ours == []
