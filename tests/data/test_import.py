"""Importing partner files into the database (SQLite and PostgreSQL): all or nothing, lineage,
idempotent re-import, source agreements and consent, the schema matches the migration."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from puhui.data.files import sha256
from puhui.data.report import ImportRejected
from puhui.data.sources import SOURCES
from puhui.errors import NotFound
from puhui.store.tables import FACT_TABLES, consent_audit, import_batch, metadata, person
from tests.county import NOW, importer, raw_ids, table_counts


def _copy(run: Path, name: str, tmp_path: Path) -> Path:
    target = tmp_path / f"{name}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(run / f"{name}.parquet", target)
    return target


def test_the_migrated_schema_is_the_table_metadata(db):
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


def _bad_files(run: Path, tmp_path: Path) -> dict[str, Path]:
    residents = pd.read_parquet(run / "government/residents.parquet").head(50)
    checksum = residents.copy()
    number = checksum.loc[7, "id_number"]
    checksum.loc[7, "id_number"] = number[:17] + ("0" if number[17] != "0" else "1")
    missing = residents.drop(columns=["township_code"])
    wrong = residents.astype({"household_size": object})
    wrong.loc[4, "household_size"] = "four"
    conflict = pd.concat([residents, residents.iloc[[3]].assign(household_size=9)])
    files = {"checksum": tmp_path / "checksum.parquet", "missing": tmp_path / "missing.parquet"}
    checksum.to_parquet(files["checksum"])
    missing.to_parquet(files["missing"])
    files["wrong"] = tmp_path / "wrong.jsonl"
    wrong.assign(birth_date=wrong["birth_date"].astype(str)).to_json(
        files["wrong"], orient="records", lines=True, force_ascii=False
    )
    files["conflict"] = tmp_path / "conflict.csv"
    conflict.to_csv(files["conflict"], index=False)
    return files


#: Each bad file, and the first problem its report must name: (row, column, code).
BAD_FILES = {
    "checksum": (8, "id_number", "ID_CHECKSUM"),
    "missing": (None, "township_code", "COLUMN_MISSING"),
    "wrong": (5, "household_size", "WRONG_TYPE"),
    "conflict": (51, "id_number", "DUPLICATE_CONFLICT"),
}


def test_a_bad_file_is_rejected_whole_and_the_database_is_unchanged(db, tiny_run, tmp_path):
    run = importer(db)
    run.import_file("government/land_plots", tiny_run / "government/land_plots.parquet", NOW)
    before = table_counts(db)
    files = _bad_files(tiny_run, tmp_path)
    for case, expected in BAD_FILES.items():
        with pytest.raises(ImportRejected) as caught:
            run.import_file("government/residents", files[case], NOW)
        report = caught.value.report
        assert report.file == files[case].name
        first = report.problems[0]
        assert (first.row, first.column, first.code) == expected, case
        assert table_counts(db) == before, case


def test_a_stored_fact_is_never_silently_overwritten(db, tiny_run, tmp_path):
    run = importer(db)
    run.import_file("government/land_plots", tiny_run / "government/land_plots.parquet", NOW)
    before = table_counts(db)
    plots = pd.read_parquet(tiny_run / "government/land_plots.parquet").head(20)
    plots.loc[5, "area_mu"] += 1
    plots.to_csv(tmp_path / "plots.csv", index=False)
    with pytest.raises(ImportRejected) as caught:
        run.import_file("government/land_plots", tmp_path / "plots.csv", NOW)
    assert {p.code for p in caught.value.report.problems} == {"FACT_CONFLICT"}
    assert caught.value.report.problems[0].row == 6
    assert table_counts(db) == before


def test_a_re_delivery_with_known_and_new_facts_stores_only_the_new(db, tiny_run, tmp_path):
    run = importer(db)
    plots = pd.read_parquet(tiny_run / "government/land_plots.parquet")
    plots.head(100).to_csv(tmp_path / "first.csv", index=False)
    plots.head(150).to_csv(tmp_path / "second.csv", index=False)
    run.import_file("government/land_plots", tmp_path / "first.csv", NOW)
    result = run.import_file("government/land_plots", tmp_path / "second.csv", NOW)
    assert (result.rows_stored, result.rows_already_stored, result.status) == (50, 100, "complete")


def test_a_county_imports_end_to_end_and_re_import_is_a_no_op(db, tiny_run):
    results = importer(db).import_run(tiny_run, NOW)
    assert [r.source for r in results] == [s.name for s in SOURCES]
    by_source = {r.source: r for r in results}
    # government and lender: stored for everyone under their agreements
    residents = by_source["government/residents"]
    assert residents.rows_stored == residents.rows_in_file == 800 == residents.new_persons
    assert by_source["lender/monthly_status"].status == "complete"
    # platform and e-commerce: consent only — skipped, counted, never silent
    accounts = by_source["platform/accounts"]
    assert (accounts.rows_stored, accounts.rows_no_consent) == (0, accounts.rows_in_file)
    monthly = by_source["platform/monthly"]
    assert monthly.rows_unknown_person == monthly.rows_in_file
    assert monthly.status == "partial"

    before = table_counts(db)
    again = importer(db).import_run(tiny_run, NOW)
    assert {r.status for r in again} == {"unchanged"}
    assert table_counts(db) == before


def test_after_consent_the_same_files_store_every_fact_once(county_db, tiny_run):
    counts = table_counts(county_db)
    for source in SOURCES:
        rows = len(pd.read_parquet(tiny_run / f"{source.name}.parquet"))
        assert counts[source.table] == rows, source.name
    importer(county_db).import_run(tiny_run, NOW)
    assert table_counts(county_db) == counts


def test_every_fact_knows_its_file_and_batch(county_db, tiny_run):
    with county_db.read() as conn:
        for source in SOURCES:
            table = FACT_TABLES[source.name]
            lineage = conn.execute(
                select(
                    import_batch.c.source,
                    import_batch.c.file_sha256,
                    func.count(),
                    func.min(table.c.source_row),
                    func.max(table.c.source_row - import_batch.c.rows_in_file),
                )
                .select_from(table.outerjoin(import_batch, import_batch.c.id == table.c.batch_id))
                .group_by(import_batch.c.source, import_batch.c.file_sha256)
            ).all()
            file_sha = sha256(tiny_run / f"{source.name}.parquet")
            assert [(name, sha) for name, sha, *_ in lineage] == [(source.name, file_sha)]
            [(_, _, rows, first_row, beyond_last)] = lineage
            assert rows > 0
            assert first_row >= 1
            assert beyond_last <= 0


def test_identity_numbers_are_stored_encrypted_and_masked_only(county_db, tiny_run):
    numbers = raw_ids(tiny_run)
    with county_db.read() as conn:
        people = conn.execute(select(person)).all()
    assert len(people) == 800
    for row in people:
        assert row.id_encrypted.startswith("v1.")
        assert row.id_encrypted not in numbers
        assert row.id_masked not in numbers
        assert row.id_masked[4:14] == "*" * 10


def test_the_consent_audit_is_append_only(county_db):
    with pytest.raises(DBAPIError), county_db.engine.begin() as conn:
        conn.execute(update(consent_audit).values(note="edited"))
    with pytest.raises(DBAPIError), county_db.engine.begin() as conn:
        conn.execute(text("DELETE FROM consent_audit"))


def test_a_missing_file_or_folder_is_a_clear_error(db, tmp_path):
    with pytest.raises(NotFound) as caught:
        importer(db).import_file("government/residents", tmp_path / "nope.csv", NOW)
    assert caught.value.code == "FILE_NOT_FOUND"
    with pytest.raises(NotFound):
        importer(db).import_run(tmp_path / "nowhere", NOW)


def test_records_of_unknown_parents_are_counted_and_stored_after_the_parent(db, tiny_run, tmp_path):
    run = importer(db)
    draws = _copy(tiny_run, "lender/draws", tmp_path)
    early = run.import_file("lender/draws", draws, NOW)
    assert (early.rows_stored, early.rows_unknown_person, early.status) == (
        0,
        early.rows_in_file,
        "partial",
    )
    run.import_file("government/residents", tiny_run / "government/residents.parquet", NOW)
    run.import_file("lender/lines", tiny_run / "lender/lines.parquet", NOW)
    later = run.import_file("lender/draws", draws, NOW)
    assert (later.rows_stored, later.status) == (early.rows_in_file, "complete")
