"""The training pipeline: splits, report contents, artifacts; any CSV/Parquet + config."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from puhui.errors import ValidationError
from puhui.scoring.config import load_config, parse_config
from puhui.scoring.registry import ModelRegistry
from puhui.scoring.train import split_rows, train

from .conftest import config_dict

CREATED = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("family", ["lightgbm", "scorecard", "blend"])
def test_training_builds_a_full_report_for_every_family(
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


def test_training_a_blend_from_a_yaml_config_registers_a_loadable_scorer(
    tmp_path: Path, table: pd.DataFrame
) -> None:
    table.to_csv(tmp_path / "people.csv", index=False)
    data = {**config_dict("people.csv", family="blend"), "blend": {"weight_gbm": 0.4}}
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    trained = train(load_config(path), created_at=CREATED)
    report = trained.report
    assert report["model"]["family"] == "blend"
    assert report["model"]["weight_gbm"] == 0.4
    assert set(report["model"]["members"]) == {"lightgbm", "scorecard"}
    assert report["model"]["members"]["lightgbm"]["search_trials"] >= 1
    assert set(report["samples"]) == {"train", "test", "oot"}
    assert report["headline"]["test_auc"] > 0.65
    assert set(report["feature_importance"]) == {"income", "late", "age", "town"}
    assert sum(report["feature_importance"].values()) == pytest.approx(1.0)
    assert "融合权重 Blend weights: LightGBM\n0.4, scorecard 0.6" in trained.files["report.html"]
    assert trained.files["report.html"].count("data:image/png;base64,") == 4
    metadata = json.loads(trained.files["metadata.json"])
    assert metadata["family"] == "blend"

    registry = ModelRegistry(tmp_path / "models")
    registry.register("demo", trained.files, created_at=CREATED)
    scorer = registry.load_scorer("demo")
    test_rows = table.iloc[:200][list(trained.model.encoder_.columns)]
    assert np.array_equal(
        scorer.score_batch(test_rows)["pd"].to_numpy(),
        trained.model.predict_proba(test_rows)[:, 1],
    )
    result = scorer.score_one({"income": 3000.0, "late": 4.0, "age": 23.0, "town": "南村"})
    assert result.reasons
    assert result.reasons[0].impact_log_odds > 0


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
