"""``puhui model …``: exit 0 on the happy path, 2 with a sentence on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from rich.console import Console

import puhui.cli.model
from puhui.cli import main


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables print at full width so the assertions see whole words."""
    monkeypatch.setattr(puhui.cli.model, "console", Console(width=200))


def run(*args: str) -> int:
    return main(list(args))


def test_train_list_report_promote_rollback_score(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg = str(tmp_path / "models")
    assert run("model", "train", str(config_file), "--registry", reg) == 0
    assert run("model", "train", str(config_file), "--registry", reg) == 0
    out = capsys.readouterr().out
    assert "demo:v0001" in out
    assert "demo:v0002" in out
    assert run("model", "list", "--registry", reg) == 0
    listing = capsys.readouterr().out
    assert "champion" in listing
    assert "challenger" in listing
    html = tmp_path / "r.html"
    assert run("model", "report", "demo", "--registry", reg, "--out", str(html)) == 0
    assert "AUC" in capsys.readouterr().out
    assert html.read_text("utf-8").startswith("<!doctype")
    assert run("model", "promote", "demo", "v0002", "--registry", reg) == 0
    assert run("model", "rollback", "demo", "--registry", reg) == 0
    person = tmp_path / "p.json"
    person.write_text(json.dumps({"income": 5000, "late": 2, "age": 30, "town": "南村"}), "utf-8")
    assert run("model", "score", "demo", str(person), "--registry", reg) == 0
    assert "demo:v0001" in capsys.readouterr().out


def test_data_dir_default_layout(config_file: Path, tmp_path: Path) -> None:
    assert run("model", "train", str(config_file), "--data-dir", str(tmp_path / "var")) == 0
    assert (tmp_path / "var" / "models" / "demo" / "v0001" / "manifest.json").exists()


def test_bad_input_exits_2_with_a_sentence(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg = str(tmp_path / "models")
    data = yaml.safe_load(config_file.read_text("utf-8"))
    data["features"].append("gender")
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data), "utf-8")
    assert run("model", "train", str(bad), "--registry", reg) == 2
    err = capsys.readouterr().err
    assert "PROTECTED_FEATURE" in err
    assert "protected attributes must never be features" in err
    assert run("model", "report", "nope", "--registry", reg) == 2
    assert "MODEL_NOT_FOUND" in capsys.readouterr().err
    assert run("model", "train", str(config_file), "--registry", reg) == 0
    person = tmp_path / "p.json"
    person.write_text(json.dumps({"income": "lots", "late": 2, "age": 30, "town": "南村"}), "utf-8")
    assert run("model", "score", "demo", str(person), "--registry", reg) == 2
    assert "`income` must be numeric" in capsys.readouterr().err
    model_txt = tmp_path / "models" / "demo" / "v0001" / "model.txt"
    model_txt.write_text(model_txt.read_text("utf-8") + "#", "utf-8")
    assert run("model", "score", "demo", str(person), "--registry", reg) == 2
    assert "MODEL_TAMPERED" in capsys.readouterr().err
    assert run("model", "promote", "demo", "v0007", "--registry", reg) == 2
