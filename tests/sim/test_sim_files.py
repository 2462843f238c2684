"""The partner files keep their contract: schemas, identity numbers, money, dates."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from puhui import idcard
from puhui.sim.output import MANIFEST
from puhui.sim.population import USER_ID_BASE, user_ids
from puhui.sim.schemas import SCHEMAS
from puhui.sim.timeline import make_timeline, to_epoch_day

DOCS = Path(__file__).resolve().parents[2] / "docs" / "data-sources.md"


def test_every_file_has_its_schema(small_run):
    for name, schema in SCHEMAS.items():
        written = pq.read_schema(small_run / f"{name}.parquet")
        assert written.remove_metadata().equals(schema), name
    assert (small_run / MANIFEST).is_file()


def test_every_identity_number_is_valid_and_unique(small_tables, small_config):
    numbers = small_tables["government/residents"]["id_number"].to_pylist()
    assert len(set(numbers)) == len(numbers) == small_config.people
    for number in numbers:
        parsed = idcard.validate(number, as_of=small_config.start)
        assert parsed.number == number


def test_gender_and_birth_date_agree_with_the_number(small_tables, small_config):
    residents = small_tables["government/residents"].to_pandas()
    for row in residents.head(500).itertuples():
        parsed = idcard.validate(row.id_number, as_of=small_config.start)
        assert parsed.birth_date == row.birth_date
        assert parsed.gender.value == row.gender


def test_masks_never_reveal_more_than_eight_digits(small_tables):
    for number in small_tables["government/residents"]["id_number"].to_pylist():
        masked = idcard.mask(number)
        assert sum(c.isdigit() for c in masked) <= 8
        assert masked[4:14] == "*" * 10


def test_foreign_keys_resolve(small_tables):
    ids = set(small_tables["government/residents"]["id_number"].to_pylist())
    for name in (
        "government/social_insurance",
        "government/land_plots",
        "government/subsidies",
        "platform/accounts",
        "ecommerce/shops",
        "lender/lines",
        "truth/persons",
        "truth/monthly",
    ):
        assert set(small_tables[name]["id_number"].to_pylist()) <= ids, name
    users = set(small_tables["platform/accounts"]["user_id"].to_pylist())
    for name in ("platform/monthly", "platform/transfers", "platform/device_changes"):
        assert set(small_tables[name]["user_id"].to_pylist()) <= users, name
    shops = set(small_tables["ecommerce/shops"]["shop_id"].to_pylist())
    assert set(small_tables["ecommerce/monthly"]["shop_id"].to_pylist()) <= shops
    lines = set(small_tables["lender/lines"]["line_id"].to_pylist())
    draws = set(small_tables["lender/draws"]["draw_id"].to_pylist())
    assert set(small_tables["lender/draws"]["line_id"].to_pylist()) <= lines
    assert set(small_tables["lender/repayments"]["draw_id"].to_pylist()) <= draws
    assert set(small_tables["lender/monthly_status"]["draw_id"].to_pylist()) <= draws


def test_user_ids_are_16_digit_2088_and_outsiders_never_collide(small_tables):
    users = np.asarray(small_tables["platform/accounts"]["user_id"])
    assert ((users >= USER_ID_BASE) & (users < USER_ID_BASE + 10**12)).all()
    counterparties = np.asarray(small_tables["platform/transfers"]["counterparty_user_id"])
    assert ((counterparties >= USER_ID_BASE) & (counterparties < USER_ID_BASE + 10**12)).all()
    keys = np.array([[3, 5], [7, 11], [13, 17], [19, 23]])
    index = np.arange(200_000)
    assert np.unique(user_ids(keys, index)).size == index.size


def test_money_is_integer_fen_and_never_float():
    for name, schema in SCHEMAS.items():
        for field in schema:
            if field.name.endswith("_fen"):
                assert field.type == pa.int64(), f"{name}.{field.name}"
            if "yuan" in field.name or "amount" in field.name:
                assert field.name.endswith("_fen"), f"{name}.{field.name} must be *_fen"


def test_nothing_is_dated_on_or_after_the_end_of_the_run(small_tables, small_config):
    end = make_timeline(small_config.start, small_config.months).end_day
    for name, tab in small_tables.items():
        if name in ("lender/draws", "lender/lines"):
            continue  # maturity and expiry dates are contract terms, known at signing
        for field in tab.schema:
            if pa.types.is_date32(field.type):
                days = pc.cast(pc.drop_null(tab[field.name]), pa.int32()).to_numpy()
                assert (days < end).all(), f"{name}.{field.name}"
    for name in ("lender/draws", "lender/lines"):
        date_column = "draw_date" if name == "lender/draws" else "granted_date"
        days = pc.cast(small_tables[name][date_column], pa.int32()).to_numpy()
        assert (days < end).all()
        assert (days >= to_epoch_day(small_config.start)).all()


def test_every_column_is_documented_in_data_sources():
    text = DOCS.read_text(encoding="utf-8")
    sections = re.split(r"^### ", text, flags=re.MULTILINE)
    by_file = {s.split("\n", 1)[0].strip().strip("`"): s for s in sections[1:]}
    for name, schema in SCHEMAS.items():
        heading = f"{name}.parquet"
        assert heading in by_file, f"docs/data-sources.md has no section for {heading}"
        for field in schema:
            assert f"`{field.name}`" in by_file[heading], f"{heading}: {field.name} undocumented"
