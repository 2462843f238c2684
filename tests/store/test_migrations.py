"""The migrations build exactly the schema ``store.tables`` describes, on both engines."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

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
