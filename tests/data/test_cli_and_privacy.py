"""The ``puhui data`` and ``puhui features`` commands end to end, and the privacy promise:
no raw identity number appears in the database, the logs or any command output."""

from __future__ import annotations

import logging
import re

import pandas as pd
import pytest
from sqlalchemy import String, Text, select

from puhui import idcard
from puhui.cli import err_console, main
from puhui.cli._shared import console as shared_console
from puhui.settings import get_settings
from puhui.store.db import Database
from puhui.store.tables import metadata
from tests.county import ENCRYPTION_KEY_TEXT, HASH_KEY, raw_ids

ID_LIKE = re.compile(r"[0-9]{17}[0-9X]")
#: A valid number of someone outside the county, who consents at the window.
STRANGER = "11010519491231002X"


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch, capsys, caplog):
    monkeypatch.setenv("PUHUI_DATABASE_URL", db_url)
    monkeypatch.setenv("PUHUI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PUHUI_ID_HASH_KEY", HASH_KEY.decode())
    monkeypatch.setenv("PUHUI_ENCRYPTION_KEY", ENCRYPTION_KEY_TEXT)
    # No wrapping, so a number cannot hide across lines. The consoles were made at import
    # (perhaps by another test file in this process), so COLUMNS alone may come too late.
    monkeypatch.setenv("COLUMNS", "250")
    for shown in (shared_console, err_console):
        monkeypatch.setattr(shown, "size", (250, 100))
    get_settings.cache_clear()
    caplog.set_level(logging.INFO, logger="puhui")
    transcript: list[str] = []

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        transcript.extend([out.out, out.err])
        return code, out.out, out.err

    run.transcript = transcript  # type: ignore[attr-defined]
    yield run
    get_settings.cache_clear()


def _found_numbers(texts: list[str], numbers: set[str]) -> set[str]:
    found: set[str] = set()
    for text in texts:
        found |= set(ID_LIKE.findall(text)) & numbers
        found |= set(ID_LIKE.findall(re.sub(r"\s+", "", text))) & numbers
    return found


def _database_numbers(url: str, numbers: set[str]) -> set[str]:
    db = Database(url)
    found: set[str] = set()
    with db.read() as conn:
        for table in metadata.tables.values():
            for column in table.columns:
                if isinstance(column.type, String | Text):
                    values = conn.execute(select(column).where(column.is_not(None))).scalars()
                    found |= set(ID_LIKE.findall("\n".join(map(str, values)))) & numbers
    db.dispose()
    return found


def test_the_commands_work_and_no_raw_identity_number_escapes(
    cli, db_url, tiny_run, tmp_path, caplog
):
    numbers = raw_ids(tiny_run) | {STRANGER}
    residents = pd.read_parquet(tiny_run / "government/residents.parquet")
    someone = str(residents["id_number"].iloc[0])

    code, out, _ = cli("data", "import-run", str(tiny_run))
    assert code == 0
    assert "partial" in out
    code, out, _ = cli(
        "data",
        "consents",
        "grant-all",
        "--purpose",
        "credit_scoring",
        "--channel",
        "cooperative_window",
    )
    assert code == 0
    assert "800" in out
    assert cli("data", "import-run", str(tiny_run))[0] == 0
    code, out, _ = cli("data", "batches", "--source", "platform/monthly")
    assert code == 0
    assert out.count("platform/monthly") == 2
    code, out, _ = cli(
        "data",
        "consents",
        "grant",
        STRANGER,
        "--purpose",
        "marketing",
        "--channel",
        "paper",
        "--scope",
        "platform",
    )
    assert code == 0
    assert idcard.mask(STRANGER) in out
    code, out, _ = cli("data", "consents", "list", "--person", someone)
    assert code == 0
    assert idcard.mask(someone) in out
    assert cli("data", "keys", "check")[0] == 0

    code, out, _ = cli(
        "features", "build", "--as-of", "2019-09-01", "--out", str(tmp_path / "f.csv")
    )
    assert code == 0
    assert "800" in out
    code, out, _ = cli("features", "show", someone)
    assert code == 0
    assert "pension_months_5y" in out
    assert idcard.mask(someone) in out
    code, out, _ = cli(
        "features",
        "training-table",
        "--as-of",
        "2019-09-01",
        "--out",
        str(tmp_path / "train.csv"),
        "--truth",
        str(tiny_run / "truth"),
    )
    assert code == 0
    assert "oracle_pd_12m" in out

    code, out, _ = cli("data", "consents", "withdraw", someone, "--purpose", "credit_scoring")
    assert code == 0
    code, _, err = cli("features", "show", someone)
    assert code == 2
    assert "CONSENT_REQUIRED" in err
    code, out, _ = cli("data", "consents", "history", someone)
    assert code == 0
    assert "withdraw" in out

    bad = residents.head(30).copy()
    bad.loc[4, "id_number"] = someone[:17] + ("0" if someone[17] != "0" else "1")
    bad.to_csv(tmp_path / "residents.csv", index=False)
    code, _, err = cli("data", "import", "government/residents", str(tmp_path / "residents.csv"))
    assert code == 2
    assert "IMPORT_REJECTED" in err
    assert "ID_CHECKSUM" in err
    code, _, err = cli("features", "show", "370982198503274130")
    assert code == 2
    assert "ID_CHECKSUM" in err

    written = [
        (tmp_path / name).read_text("utf-8") for name in ("f.csv", "train.csv", "train.yaml")
    ]
    logs = [record.getMessage() for record in caplog.records]
    assert any('"event": "data.import"' in line for line in logs)
    assert _found_numbers(cli.transcript, numbers) == set()  # type: ignore[attr-defined]
    assert _found_numbers(logs, numbers) == set()
    assert _found_numbers(written, numbers) == set()
    assert _database_numbers(db_url, numbers) == set()


def test_a_default_key_is_refused_in_production(monkeypatch, cli):
    monkeypatch.setenv("PUHUI_ENV", "production")
    monkeypatch.setenv("PUHUI_SECRET_KEY", "set")
    monkeypatch.delenv("PUHUI_ENCRYPTION_KEY")
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="PUHUI_ENCRYPTION_KEY"):
        get_settings()
