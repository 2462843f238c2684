"""``puhui sim`` from the command line: happy path and bad input (exit 2, no traceback)."""

from __future__ import annotations

import json

import pytest

from puhui.cli import main
from puhui.sim.schemas import SCHEMAS


def test_generate_writes_every_partner_file(tmp_path, capsys):
    out = tmp_path / "county"
    code = main(
        [
            "sim",
            "generate",
            "--county",
            "xintai",
            "--people",
            "800",
            "--months",
            "3",
            "--seed",
            "9",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    for name in SCHEMAS:
        assert (out / f"{name}.parquet").is_file(), name
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run"]["people"] == 800
    assert manifest["run"]["seed"] == 9
    assert manifest["files"]["government/residents.parquet"] == 800
    out_text = capsys.readouterr().out
    assert "授信" in out_text
    assert "granted" in out_text


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--people", "0"], "SIM_PEOPLE"),
        (["--people", "-3"], "SIM_PEOPLE"),
        (["--people", "many"], "SIM_PEOPLE"),
        (["--months", "0"], "SIM_MONTHS"),
        (["--months", "121"], "SIM_MONTHS"),
        (["--county", "atlantis"], "SIM_COUNTY_UNKNOWN"),
        (["--seed", "-1"], "SIM_SEED"),
        (["--start", "2019/05"], "SIM_START"),
    ],
)
def test_bad_input_exits_2_with_a_clear_sentence(tmp_path, capsys, args, code):
    out = tmp_path / "never"
    assert main(["sim", "generate", "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert f"[{code}]" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_missing_out_is_a_usage_error(capsys):
    assert main(["sim", "generate", "--people", "10"]) == 2
    assert "--out" in capsys.readouterr().err


def test_existing_output_is_not_replaced_without_overwrite(tmp_path, capsys):
    out = tmp_path / "county"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    assert main(["sim", "generate", "--people", "50", "--months", "1", "--out", str(out)]) == 2
    assert "[SIM_OUT_EXISTS]" in capsys.readouterr().err
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_calibrate_fails_loudly_when_too_small_to_match(capsys):
    assert main(["sim", "calibrate", "--people", "1500", "--seed", "3"]) == 2
    captured = capsys.readouterr()
    assert "[SIM_CALIBRATION_OFF]" in captured.err
    assert "不良率" in captured.out


@pytest.mark.slow
def test_calibrate_passes_at_the_default_scale(capsys):
    assert main(["sim", "calibrate"]) == 0
    assert "all calibrated figures within tolerance" in capsys.readouterr().out
