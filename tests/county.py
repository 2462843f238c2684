"""A tiny simulated county for the data-import and feature-store tests, and helpers over it."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select

from puhui.data.consent import Channel, Purpose, parse_agreements, parse_scope
from puhui.data.identity import PersonKeyer, Vault
from puhui.data.sources import DEFAULT_AGREEMENTS
from puhui.services.consents import Consents
from puhui.services.data_import import DataImport
from puhui.sim.config import make_config
from puhui.sim.engine import generate
from puhui.store.db import Database
from puhui.store.tables import metadata

#: 800 households over 24 months from 2018-09: every file has rows, and the 12 months after
#: 2019-09-01 are in the lender files (the training label).
TINY = {"county": "xintai", "people": 800, "months": 24, "seed": 3}
AS_OF = date(2019, 9, 1)
NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
HASH_KEY = b"tests-person-key-0123456789abcdef0123456789"
ENCRYPTION_KEY = bytes(range(32))
ENCRYPTION_KEY_TEXT = base64.urlsafe_b64encode(ENCRYPTION_KEY).decode()
ID_SOURCES = (
    "government/residents",
    "government/social_insurance",
    "government/land_plots",
    "government/subsidies",
    "platform/accounts",
    "ecommerce/shops",
    "lender/lines",
)


def generate_tiny(out: Path) -> Path:
    generate(make_config(**TINY), out)
    return out


def keyer() -> PersonKeyer:
    return PersonKeyer(HASH_KEY)


def vault() -> Vault:
    return Vault(ENCRYPTION_KEY)


def importer(db: Database) -> DataImport:
    return DataImport(db, keyer(), vault(), parse_agreements(DEFAULT_AGREEMENTS))


def consents(db: Database) -> Consents:
    return Consents(db, keyer(), vault())


def import_with_consent(db: Database, run: Path) -> None:
    """Import a run, grant everyone a scoring consent, import again (the demo path)."""
    importer(db).import_run(run, NOW)
    consents(db).grant_all(
        Purpose.CREDIT_SCORING, parse_scope("all"), Channel.COOPERATIVE_WINDOW, NOW, "tests"
    )
    importer(db).import_run(run, NOW)


def raw_ids(run: Path) -> set[str]:
    """Every identity number in a run's partner files (truth/ included)."""
    found: set[str] = set()
    for name in (*ID_SOURCES, "truth/persons"):
        found |= set(pd.read_parquet(run / f"{name}.parquet", columns=["id_number"])["id_number"])
    return found


def table_counts(db: Database) -> dict[str, int]:
    """Rows in every table of the schema."""
    with db.read() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in metadata.tables.items()
        }
