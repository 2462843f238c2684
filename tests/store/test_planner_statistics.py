"""Planner statistics after bulk loads: PostgreSQL plans the queries that follow a nightly
import on the rows just loaded (``Database.analyze``), not on empty-table estimates."""

from __future__ import annotations

from sqlalchemy import func, select, text

from puhui.products import load_catalogue
from puhui.store.bulk import open_book, synthetic_book
from puhui.store.tables import FACT_TABLES, credit_line

CATALOGUE = load_catalogue()


def _planner_rows(db, table: str) -> float:
    """PostgreSQL's row estimate for ``table`` (-1: never analysed)."""
    with db.read() as conn:
        return float(
            conn.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                {"t": table},
            ).scalar_one()
        )


def test_analyze_gives_the_planner_the_rows_loaded(db):
    open_book(db, CATALOGUE, synthetic_book(CATALOGUE, 30, seed=3), batch_size=12)
    with db.read() as conn:
        lines = conn.execute(select(func.count()).select_from(credit_line)).scalar_one()
    if db.is_postgres:
        assert _planner_rows(db, "credit_line") == -1  # loaded, never analysed
    db.analyze("credit_line")
    if db.is_postgres:
        assert _planner_rows(db, "credit_line") == lines > 0
    else:  # a no-op: SQLite keeps its planner's defaults
        with db.read() as conn:
            stats = conn.execute(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            ).scalar_one()
        assert stats == 0


def test_an_import_run_leaves_the_facts_analysed(county_db):
    """``county_db`` is loaded through ``DataImport.import_run``."""
    residents = FACT_TABLES["government/residents"]
    with county_db.read() as conn:
        stored = conn.execute(select(func.count()).select_from(residents)).scalar_one()
    if county_db.is_postgres:
        assert _planner_rows(county_db, residents.name) == stored > 0
    else:
        assert stored > 0
