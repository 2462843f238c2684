"""The migrations build exactly the schema ``store.tables`` describes, on both engines."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from puhui.store.db import Database
from puhui.store.tables import metadata


def test_migrated_schema_matches_the_table_definitions(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == [], differences


def test_downgrade_and_upgrade_again(db):
    from alembic import command

    cfg = db.alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with db.read() as conn:
        assert db.business_date(conn)


@pytest.mark.pg
def test_decision_documents_are_compressed_with_lz4_on_postgresql(pg_server, pg_template):
    """Migration 0009: the stored inputs and outcome of a decision use LZ4 (PostgreSQL; SQLite
    stores text as it is)."""
    db = Database(pg_server.url(pg_server.create(template=pg_template)))
    try:
        with db.read() as conn:
            methods = conn.execute(
                text(
                    "SELECT attname, attcompression FROM pg_attribute WHERE attrelid = "
                    "'decision_record'::regclass AND attname IN ('inputs', 'outcome')"
                )
            ).all()
    finally:
        db.dispose()
    assert sorted(methods) == [("inputs", "l"), ("outcome", "l")]
