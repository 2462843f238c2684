"""The training pipeline: splits, report contents, artifacts; any CSV/Parquet + config."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from puhui.errors import ValidationError
from puhui.scoring.config import load_config, parse_config
from puhui.scoring.train import split_rows, train

from .conftest import config_dict

CREATED = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("family", ["lightgbm", "scorecard"])
def test_training_builds_a_full_report_for_both_families(
    tmp_path: Path, table: pd.DataFrame, family: str
) -> None:
    table.to_parquet(tmp_path / "people.parquet")
    config = parse_config(config_dict("people.parquet", family), tmp_path)
    trained = train(config, created_at=CREATED)
    report = trained.report
    assert set(report["samples"]) == {"train", "test", "oot"}
    assert report["headline"]["test_auc"] > 0.65
    assert set(report["psi"]) == {"train→test", "train→oot", "test→oot"}
    assert set(report["fairness"]) == {"gender", "age_band"}
    gender = report["fairness"]["gender"]["test"]
    assert {g["group"] for g in gender["groups"]} == {"F", "M"}
    assert all(0 <= g["approval_rate"] <= 1 for g in gender["groups"])
    assert report["calibration"]["method"] in ("platt", "isotonic")
    assert [b["band"] for b in report["bands"]["test"]] == ["A", "B", "C", "D", "E"]
    assert "gender" not in report["feature_importance"]
    assert report["notes"] == ["synthetic test data"]
    assert report["model"]["created_at"] == CREATED.isoformat()
    assert (report["points_table"] is not None) == (family == "scorecard")
    assert json.loads(trained.files["report.json"])["headline"] == report["headline"]
    html = trained.files["report.html"]
    assert html.count("data:image/png;base64,") == 4
    assert "公平性 Fairness" in html


def test_out_of_time_rows_are_the_latest(table: pd.DataFrame, tmp_path: Path) -> None:
    config = parse_config(config_dict("people.csv"), tmp_path)
    rows = split_rows(table, config)
    months = table["month"]
    assert months.iloc[rows["oot"]].min() >= months.iloc[rows["train"]].max()
    assert len(rows["oot"]) == round(0.2 * len(table))
    assert not set(rows["train"]) & set(rows["test"])


def test_too_few_defaults_to_validate_is_a_clear_error(table: pd.DataFrame, tmp_path: Path) -> None:
    config = parse_config(config_dict("people.csv"), tmp_path)
    rare = table.copy()
    rare[config.target] = 0
    rare.loc[rare.index[:3], config.target] = 1
    with pytest.raises(ValidationError) as err:
        split_rows(rare, config)
    assert err.value.code == "DATASET_TOO_FEW_OUTCOMES"
    assert "3 defaults" in err.value.message_en


def test_a_column_named_in_the_config_but_absent_is_named(
    config_file: Path, table: pd.DataFrame
) -> None:
    table.drop(columns=["age"]).to_csv(config_file.parent / "people.csv", index=False)
    with pytest.raises(ValidationError) as err:
        train(load_config(config_file), created_at=CREATED)
    assert err.value.code == "DATASET_COLUMN_MISSING"
    assert "`age`" in err.value.message_en


def test_missing_dataset_is_a_clear_error(tmp_path: Path) -> None:
    config = parse_config(config_dict("absent.csv"), tmp_path)
    with pytest.raises(ValidationError) as err:
        train(config, created_at=CREATED)
    assert err.value.code == "DATASET_NOT_FOUND"
