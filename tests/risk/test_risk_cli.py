"""The risk commands end to end: events import (CSV, JSON lines, Parquet), risk run, alerts,
reverse, remind, and ``puhui eod`` running the risk run and reminders inside the day close."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from puhui.cli import main
from puhui.settings import get_settings


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PUHUI_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PUHUI_DATABASE_URL", raising=False)
    get_settings.cache_clear()

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    assert run("db", "upgrade", "--business-date", "2026-01-15")[0] == 0
    assert run("customer", "add", "王大山", "--county", "新泰市")[0] == 0
    grant = ("line", "grant", "--customer", "1", "--product", "xintai_farmer_line")
    assert run(*grant, "--limit", "50000", "--band", "B")[0] == 0
    yield run
    get_settings.cache_clear()


EVENTS = [
    {"event_id": "dev-1", "kind": "device_change", "occurred_on": "2026-01-15", "customer_id": 1},
    {
        "event_id": "draw-1",
        "kind": "drawdown",
        "occurred_on": "2026-01-15",
        "customer_id": 1,
        "line_id": 1,
        "amount_fen": 300000,
    },
]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_import_run_list_and_reverse(cli, tmp_path, suffix):
    path = tmp_path / f"events{suffix}"
    frame = pd.DataFrame(EVENTS)
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".jsonl":
        path.write_text("\n".join(json.dumps(e) for e in EVENTS), encoding="utf-8")
    else:
        frame.to_parquet(path)
    code, out, err = cli("events", "import", str(path))
    assert code == 0, err
    assert "新存 stored 2" in out
    assert "重复 replayed 2" in cli("events", "import", str(path))[1]
    code, out, _ = cli("risk", "run", "--date", "2026-01-15")
    assert code == 0
    assert "新 new 1" in out
    assert "新 new 0" in cli("risk", "run", "--date", "2026-01-15")[1]
    code, out, _ = cli("risk", "alerts")
    assert "device_then_draw" in out
    assert "require_verification:applied" in out
    assert "冻结" in cli("line", "show", "1")[1]
    code, _, err = cli("risk", "reverse", "1", "--reason", " ")
    assert code == 2
    assert "REVERSE_REASON_REQUIRED" in err
    code, out, _ = cli("risk", "reverse", "1", "--reason", "本人换机，已核实")
    assert code == 0
    assert "active" in out


def test_a_bad_events_file_exits_2_naming_the_event_and_field(cli, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        json.dumps(
            {"event_id": "x", "kind": "payment", "occurred_on": "2026-01-15", "customer_id": 1}
        )
    )
    code, out, err = cli("events", "import", str(path))
    assert code == 2
    assert "EVENTS_INVALID" in err
    assert "event #0 (x): amount_fen" in err
    assert "Traceback" not in out + err
    assert cli("events", "import", str(tmp_path / "events.txt"))[0] == 2


def test_eod_runs_the_risk_run_and_enqueues_reminders(cli):
    assert cli("draw", "--line", "1", "--amount", "3000", "--term", "3")[0] == 0
    assert cli("wallet", "withdraw", "--customer", "1", "--amount", "3000")[0] == 0
    code, out, err = cli("eod", "--date", "2026-02-23")
    assert code == 0, err
    assert "预警 1，处置 2" in out  # overdue D+7 on 2026-02-22: freeze + notify officer
    assert "提醒 1" in out
    code, out, _ = cli("risk", "alerts")
    assert "overdue_d7" in out
    assert "freeze_line:applied" in out
    code, out, _ = cli("remind", "--date", "2026-02-16", "--no-send")
    assert code == 0
    assert "提醒 1" in out


def test_rescore_without_a_champion_exits_2_with_a_sentence(cli):
    code, out, err = cli("risk", "rescore", "--date", "2026-01-15")
    assert code == 2
    assert "MODEL_NO_CHAMPION" in err
    assert "train and promote one first" in err
    assert "Traceback" not in out + err
    code, out, err = cli("eod", "--date", "2026-01-31")
    assert code == 0, err
    assert "月末未重新评分" in out  # the month end closes, and says it did not re-score


def test_rescore_and_the_month_end_close_use_the_champion(cli, tmp_path):
    from tests.models import train_county_model

    train_county_model(tmp_path / "models")  # PUHUI_DATA_DIR/models: the default registry
    code, out, err = cli("risk", "rescore", "--date", "2026-01-15")
    assert code == 0, err
    assert "county:v0001" in out
    # the one customer was added at the window without a person key: nobody to re-score
    assert "holders 0" in out
    code, out, err = cli("risk", "rescore", "--date", "2026-01-16")
    assert code == 2
    assert "RESCORE_DATE_AHEAD" in err
    code, out, err = cli("eod", "--date", "2026-01-31")
    assert code == 0, err
    assert "重新评分 0，分数变化 0" in out
    assert "月末未重新评分" not in out
