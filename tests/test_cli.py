"""The ``puhui`` command: the loan-core commands work end to end; bad input exits 2 with a
sentence and no traceback; a tampered ledger makes ``ledger verify`` exit 3."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from puhui.cli import main
from puhui.settings import get_settings
from puhui.store.db import Database


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PUHUI_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PUHUI_DATABASE_URL", raising=False)
    get_settings.cache_clear()

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    yield run
    get_settings.cache_clear()


def test_loan_lifecycle_from_the_command_line(cli, tmp_path):
    assert cli("db", "upgrade", "--business-date", "2026-01-15")[0] == 0
    assert cli("customer", "add", "王大山", "--township", "羊流镇")[0] == 0
    code, out, _ = cli(
        "line",
        "grant",
        "--customer",
        "1",
        "--product",
        "xintai_farmer_line",
        "--limit",
        "50000",
        "--band",
        "A",
    )
    assert code == 0
    assert "7.20%" in out
    code, out, _ = cli(
        "draw",
        "--line",
        "1",
        "--amount",
        "12000",
        "--term",
        "12",
        "--method",
        "interest_first",
        "-k",
        "draw-1",
    )
    assert code == 0
    assert "借据 loan 1" in out
    assert "APR" in out
    assert cli("wallet", "deposit", "--customer", "1", "--amount", "200")[0] == 0
    code, out, _ = cli("eod", "--date", "2026-02-16")
    assert code == 0
    assert "2026-02-15" in out
    code, out, _ = cli("loan", "show", "1")
    assert "正常还款中" in out
    code, out, _ = cli("repay", "--loan", "1", "--full", "--from-channel")
    assert code == 0
    assert "paid_off" in out
    code, out, _ = cli("ledger", "trial-balance")
    assert code == 0
    assert "借贷平衡" in out
    code, out, _ = cli("ledger", "verify")
    assert code == 0
    assert "hash chain verified" in out
    code, out, _ = cli("ledger", "statement", "wallet:1")
    assert code == 0
    assert "drawdown" in out
    code, out, _ = cli("eod", "--date", "2026-02-16")
    assert "already closed" in out


def test_schedule_preview_needs_no_database(cli):
    code, out, _ = cli(
        "schedule",
        "show",
        "--amount",
        "100000",
        "--rate",
        "0.072",
        "--term",
        "12",
        "--start",
        "2026-01-31",
    )
    assert code == 0
    assert "8,661.90" in out
    assert "2026-02-28" in out  # month end clipped


@pytest.mark.parametrize(
    ("args", "code_text"),
    [
        (("draw", "--line", "1", "--amount", "12.345", "--term", "12"), "AMOUNT_PRECISION"),
        (("draw", "--line", "99", "--amount", "100", "--term", "12"), "LINE_NOT_FOUND"),
        (
            (
                "line",
                "grant",
                "--customer",
                "1",
                "--product",
                "nope",
                "--limit",
                "1000",
                "--band",
                "A",
            ),
            "PRODUCT_NOT_FOUND",
        ),
        (("eod", "--date", "26/02/2026"), "DATE_FORMAT"),
        (("repay", "--loan", "1", "--amount", "-5"), "AMOUNT_NEGATIVE"),
        (("ledger", "statement", "wallet:77"), "ACCOUNT_NOT_FOUND"),
        (("products", "validate", "/no/such.yaml"), "CATALOGUE_UNREADABLE"),
    ],
)
def test_bad_input_exits_2_with_a_sentence(cli, args, code_text):
    cli("db", "upgrade", "--business-date", "2026-01-15")
    cli("customer", "add", "王大山")
    code, _, err = cli(*args)
    assert code == 2
    assert code_text in err
    assert "Traceback" not in err


def test_usage_errors_exit_2(cli):
    code, _, err = cli("repay", "--loan", "1")
    assert code == 2
    assert "--amount" in err


def test_every_command_has_help(cli):
    for args in (
        (),
        ("db",),
        ("products",),
        ("line",),
        ("wallet",),
        ("loan",),
        ("schedule",),
        ("ledger",),
        ("draw",),
        ("repay",),
        ("eod",),
        ("customer",),
    ):
        code, out, _ = cli(*args, "--help")
        assert code == 0
        assert "Usage" in out


def test_ledger_verify_fails_on_tampering(cli, tmp_path):
    cli("db", "upgrade", "--business-date", "2026-01-15")
    cli("customer", "add", "王大山")
    cli("wallet", "deposit", "--customer", "1", "--amount", "100")
    cli("wallet", "deposit", "--customer", "1", "--amount", "200")
    db = Database(get_settings().resolved_database_url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER posting_no_update"))
        conn.execute(text("UPDATE posting SET amount_fen = 1 WHERE entry_seq = 2"))
    db.dispose()
    code, out, _ = cli("ledger", "verify")
    assert code == 3
    assert "entry #2" in out


def test_running_main_again_registers_each_group_once(cli):
    from puhui.cli import app

    cli("--help")
    groups = len(app.registered_groups) + len(app.registered_commands)
    cli("--help")
    assert len(app.registered_groups) + len(app.registered_commands) == groups


def test_demo_refuses_a_county_too_small_to_train_a_model(cli):
    code, _, err = cli("demo", "--people", "5000", "--no-serve")
    assert code == 2
    assert "20,000" in err
