"""Training configs: validated as a whole; protected attributes are never features."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from puhui.errors import ValidationError
from puhui.scoring.config import load_config, parse_config

from .conftest import config_dict


def test_a_good_config_parses_with_risk_directions_and_paths(tmp_path: Path) -> None:
    config = parse_config(config_dict("people.csv"), tmp_path)
    assert config.data_path == (tmp_path / "people.csv").resolve()
    assert config.monotone == {"income": -1, "late": 1}
    assert config.categorical == ("town",)
    assert config.sentinels == {"late": (96.0, 98.0)}
    assert config.feature_names == ("income", "late", "age", "town")
    assert [g.name for g in config.fairness] == ["gender", "age_band"]


def test_training_refuses_a_protected_attribute_as_a_feature(tmp_path: Path) -> None:
    data = config_dict("people.csv")
    data["features"].append("gender")
    with pytest.raises(ValidationError) as err:
        parse_config(data, tmp_path)
    assert err.value.code == "PROTECTED_FEATURE"
    assert "gender" in err.value.message_en


def test_gender_is_protected_by_default(tmp_path: Path) -> None:
    data = config_dict("people.csv")
    del data["protected"]
    data["features"].append("gender")
    with pytest.raises(ValidationError) as err:
        parse_config(data, tmp_path)
    assert err.value.code == "PROTECTED_FEATURE"


def test_every_problem_is_reported_together(tmp_path: Path) -> None:
    data = config_dict("people.csv")
    data["family"] = "forest"
    data["features"][1]["monotone"] = "up"
    data["seed"] = -1
    data["features"][0]["reason"] = {"zh": "{收入}", "en": "x"}
    data["colour"] = "red"
    with pytest.raises(ValidationError) as err:
        parse_config(data, tmp_path)
    assert err.value.code == "MODEL_CONFIG_INVALID"
    problems = err.value.details["problems"]
    assert len(problems) == 5
    text = err.value.message_en
    for needle in ("`family`", "`monotone`", "`seed`", "{feature}", "colour"):
        assert needle in text


def test_a_blend_takes_a_fixed_weight_or_auto(tmp_path: Path) -> None:
    data = config_dict("people.csv", family="blend")
    assert parse_config(data, tmp_path).blend.weight_gbm == "auto"
    data["blend"] = {"weight_gbm": 0.3}
    assert parse_config(data, tmp_path).blend.weight_gbm == 0.3


@pytest.mark.parametrize(
    ("family", "blend", "needle"),
    [
        ("blend", {"weight_gbm": 1.5}, "`blend.weight_gbm` must be auto or a number in [0, 1]"),
        ("blend", {"weight_gbm": "half"}, "`blend.weight_gbm`"),
        ("blend", {"weight_gbm": True}, "`blend.weight_gbm`"),
        ("blend", {"weight": 0.5}, "unknown keys ['weight']"),
        ("blend", 0.5, "`blend` must be a mapping"),
        ("lightgbm", {"weight_gbm": 0.5}, "`blend` applies only to `family: blend`"),
    ],
)
def test_a_bad_blend_section_is_refused(
    tmp_path: Path, family: str, blend: object, needle: str
) -> None:
    data = {**config_dict("people.csv", family=family), "blend": blend}
    with pytest.raises(ValidationError) as err:
        parse_config(data, tmp_path)
    assert err.value.code == "MODEL_CONFIG_INVALID"
    assert needle in err.value.message_en


def test_unreadable_and_malformed_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as err:
        load_config(tmp_path / "absent.yaml")
    assert err.value.code == "MODEL_CONFIG_UNREADABLE"
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed", "utf-8")
    with pytest.raises(ValidationError) as err:
        load_config(bad)
    assert err.value.code == "MODEL_CONFIG_INVALID"


def test_load_config_resolves_paths_next_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "m.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(config_dict("../people.csv")), "utf-8")
    assert load_config(path).data_path == (tmp_path / "people.csv").resolve()


def test_the_example_configs_are_valid() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "scoring"
    configs = sorted(examples.glob("*.yaml"))
    assert configs
    for path in configs:
        config = load_config(path)
        assert config.data_path.name in {"cs-training.csv.gz", "train_public.csv"}
        assert not any(f.startswith("early_return") for f in config.feature_names)
