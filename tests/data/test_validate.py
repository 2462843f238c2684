"""Validating partner files: every problem named by file, row, column and reason, together;
normalisation; duplicates; the catalogue is the simulator's contract."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from puhui.data.files import read_file, sha256
from puhui.data.report import MAX_PER_KIND, ImportRejected
from puhui.data.sources import SOURCES, get_source
from puhui.data.validate import validate_frame
from puhui.errors import ValidationError
from puhui.sim.schemas import SCHEMAS

TODAY = date(2026, 1, 15)
PENSION = get_source("government/social_insurance")


def _pension_rows(run: Path, n: int = 6) -> pd.DataFrame:
    return pd.read_parquet(run / "government/social_insurance.parquet").head(n)


def _reject(path: Path, source=PENSION) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        validate_frame(read_file(path), source, path.name, TODAY)
    return caught.value


def _codes(rejected: ImportRejected) -> set[tuple[int | None, str | None, str]]:
    return {(p.row, p.column, p.code) for p in rejected.report.problems}


def _bad_check_char(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def test_the_catalogue_is_the_simulators_file_contract():
    assert {s.name for s in SOURCES} == {n for n in SCHEMAS if not n.startswith("truth/")}
    for source in SOURCES:
        assert source.column_names == tuple(SCHEMAS[source.name].names), source.name
        nullable = {f.name for f in SCHEMAS[source.name] if f.nullable}
        assert {c.name for c in source.columns if c.nullable} == nullable, source.name


def test_every_simulated_file_validates_cleanly(tiny_run):
    for source in SOURCES:
        path = tiny_run / f"{source.name}.parquet"
        clean = validate_frame(read_file(path), source, path.name, TODAY)
        assert len(clean.frame) == clean.rows_in_file, source.name
        assert clean.duplicate_rows == 0


def test_a_bad_check_character_names_row_and_column_and_masks_the_number(tiny_run, tmp_path):
    rows = _pension_rows(tiny_run)
    number = rows.loc[2, "id_number"]
    rows.loc[2, "id_number"] = _bad_check_char(number)
    rows.to_csv(tmp_path / "pension.csv", index=False)
    rejected = _reject(tmp_path / "pension.csv")
    assert _codes(rejected) == {(3, "id_number", "ID_CHECKSUM")}
    assert rejected.code == "IMPORT_REJECTED"
    text = " ".join([str(rejected), rejected.message_zh, *rejected.report.lines()])
    assert "pension.csv:3 id_number ID_CHECKSUM" in text
    assert rows.loc[2, "id_number"] not in text
    assert number[:4] + "*" * 10 in text


def test_a_missing_column_is_reported_for_the_whole_file(tiny_run, tmp_path):
    _pension_rows(tiny_run).drop(columns=["paid_date"]).to_parquet(tmp_path / "p.parquet")
    rejected = _reject(tmp_path / "p.parquet")
    assert _codes(rejected) == {(None, "paid_date", "COLUMN_MISSING")}


def test_values_of_the_wrong_type_are_each_reported(tiny_run, tmp_path):
    rows = _pension_rows(tiny_run).astype({"contribution_fen": object, "year": object})
    rows.loc[1, "contribution_fen"] = "12.5"
    rows.loc[3, "year"] = "二〇一九"
    rows["paid_date"] = rows["paid_date"].astype(str)
    rows.loc[4, "paid_date"] = "2019-02-30"
    rows.to_json(tmp_path / "p.jsonl", orient="records", lines=True, force_ascii=False)
    rejected = _reject(tmp_path / "p.jsonl")
    assert _codes(rejected) == {
        (2, "contribution_fen", "WRONG_TYPE"),
        (4, "year", "WRONG_TYPE"),
        (5, "paid_date", "WRONG_TYPE"),
    }


def test_value_rules_and_several_problems_are_reported_together(tiny_run, tmp_path):
    rows = _pension_rows(tiny_run)
    rows.loc[0, "months_contributed"] = 13
    rows.loc[1, "contribution_fen"] = -1
    rows.loc[2, "id_number"] = _bad_check_char(rows.loc[2, "id_number"])
    rows.to_csv(tmp_path / "p.csv", index=False)
    rejected = _reject(tmp_path / "p.csv")
    assert _codes(rejected) == {
        (1, "months_contributed", "ABOVE_MAXIMUM"),
        (2, "contribution_fen", "BELOW_MINIMUM"),
        (3, "id_number", "ID_CHECKSUM"),
    }
    assert rejected.report.total == 3


def test_conflicting_duplicates_are_an_error_and_exact_duplicates_are_dropped(tiny_run, tmp_path):
    rows = _pension_rows(tiny_run)
    conflicting = rows.iloc[[0]].assign(contribution_fen=rows.loc[0, "contribution_fen"] + 100)
    pd.concat([rows, conflicting]).to_csv(tmp_path / "conflict.csv", index=False)
    rejected = _reject(tmp_path / "conflict.csv")
    assert _codes(rejected) == {(7, "id_number,year", "DUPLICATE_CONFLICT")}
    assert "as row 1" in rejected.report.problems[0].reason_en

    pd.concat([rows, rows.iloc[[2, 4]]]).to_csv(tmp_path / "dup.csv", index=False)
    clean = validate_frame(read_file(tmp_path / "dup.csv"), PENSION, "dup.csv", TODAY)
    assert (clean.rows_in_file, clean.duplicate_rows, len(clean.frame)) == (8, 2, 6)


def test_residents_gender_and_birth_date_must_agree_with_the_number(tiny_run, tmp_path):
    residents = pd.read_parquet(tiny_run / "government/residents.parquet").head(5)
    residents.loc[1, "gender"] = "female" if residents.loc[1, "gender"] == "male" else "male"
    residents.loc[3, "birth_date"] = date(1901, 1, 1)
    residents.to_parquet(tmp_path / "residents.parquet")
    rejected = _reject(tmp_path / "residents.parquet", get_source("government/residents"))
    assert _codes(rejected) == {(2, "gender", "ID_MISMATCH"), (4, "birth_date", "ID_MISMATCH")}


def test_text_is_normalised_before_it_is_checked(tiny_run, tmp_path):
    rows = _pension_rows(tiny_run, 2)
    number = rows.loc[0, "id_number"]
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    rows.loc[0, "id_number"] = f" {full_width.lower()} "
    rows.to_csv(tmp_path / "p.csv", index=False)
    clean = validate_frame(read_file(tmp_path / "p.csv"), PENSION, "p.csv", TODAY)
    assert clean.frame.loc[0, "id_number"] == number


def test_extra_columns_are_ignored_and_named(tiny_run, tmp_path):
    rows = _pension_rows(tiny_run, 2).assign(phone="13800000000")
    rows.to_csv(tmp_path / "p.csv", index=False)
    clean = validate_frame(read_file(tmp_path / "p.csv"), PENSION, "p.csv", TODAY)
    assert clean.ignored_columns == ("phone",)
    assert "phone" not in clean.frame


def test_a_report_lists_a_few_rows_per_kind_but_counts_them_all(tiny_run, tmp_path):
    rows = pd.read_parquet(tiny_run / "government/social_insurance.parquet").head(100)
    rows["months_contributed"] = 99
    rows.to_csv(tmp_path / "p.csv", index=False)
    rejected = _reject(tmp_path / "p.csv")
    assert rejected.report.total == 100
    assert len(rejected.report.problems) == MAX_PER_KIND
    assert rejected.report.lines()[-1] == f"… and {100 - MAX_PER_KIND} more problems"


def test_an_unknown_format_or_source_is_refused(tmp_path):
    (tmp_path / "data.xlsx").write_bytes(b"PK")
    with pytest.raises(ValidationError) as caught:
        read_file(tmp_path / "data.xlsx")
    assert caught.value.code == "FILE_FORMAT"
    with pytest.raises(ValidationError) as unknown:
        get_source("government/taxes")
    assert unknown.value.code == "SOURCE_UNKNOWN"


def test_the_fingerprint_is_of_the_bytes(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / "b.csv").write_text("x\n1\n")
    (tmp_path / "c.csv").write_text("x\n2\n")
    assert sha256(tmp_path / "a.csv") == sha256(tmp_path / "b.csv") != sha256(tmp_path / "c.csv")
