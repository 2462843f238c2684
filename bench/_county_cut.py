"""A simulated run cut down to the people a training table can hold (bench/county_model.py).

The training population ``borrowers`` is the people who owed money at a month-end of the label
window ``T ≤ month_end < T + 12 months`` (``features.training``). Their features depend only
on their own rows, on everyone's platform accounts (who a contact is) and on the lender's
files (contacts' status), so a run keeps, for a county of a million people, about a tenth of
its partner rows:

- whole: ``platform/accounts``, ``government/disaster_notices``, every ``lender/`` file;
- the chosen people's rows: ``government/*`` registries, ``ecommerce/shops`` (and those shops'
  ``ecommerce/monthly``), ``truth/*``;
- the chosen people's accounts' rows: ``platform/monthly``, ``platform/device_changes``, and
  ``platform/transfers`` in either direction (contacts are counted both ways).

This is a benchmark device, not a product path: ``--verify-cut`` in bench/county_model.py
builds the table from the whole run too and checks the two are equal.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

WHOLE = (
    "government/disaster_notices",
    "platform/accounts",
    "lender/lines",
    "lender/draws",
    "lender/repayments",
    "lender/monthly_status",
)
BY_PERSON = (
    "government/residents",
    "government/social_insurance",
    "government/land_plots",
    "government/subsidies",
    "ecommerce/shops",
    "truth/persons",
    "truth/monthly",
)
BY_ACCOUNT = ("platform/monthly", "platform/device_changes")
BATCH_ROWS = 1 << 20


def owing_in_window(run: Path, as_of: date, months: int) -> pa.Array:
    """Identity numbers of everyone who owed money at a month-end in ``[as_of, +months)``."""
    lines = pq.read_table(run / "lender/lines.parquet", columns=["line_id", "id_number"])
    status = pq.read_table(
        run / "lender/monthly_status.parquet",
        columns=["line_id", "month_end", "outstanding_principal_fen"],
    )
    start = pd.Timestamp(as_of)
    end = start + pd.DateOffset(months=months)
    month_end = status["month_end"]
    chosen = pc.and_(
        pc.and_(
            pc.greater_equal(month_end, pa.scalar(start.date())),
            pc.less(month_end, pa.scalar(end.date())),
        ),
        pc.greater(status["outstanding_principal_fen"], 0),
    )
    line_ids = pc.unique(status.filter(chosen)["line_id"])
    return pc.unique(lines.filter(pc.is_in(lines["line_id"], value_set=line_ids))["id_number"])


def _filtered(path: Path, column: str, values: pa.Array, other: str | None = None) -> pa.Table:
    """Rows of a Parquet file whose ``column`` (or ``other``) is in ``values``, batch by batch."""
    parts = []
    source = pq.ParquetFile(path)
    for batch in source.iter_batches(BATCH_ROWS):
        keep = pc.is_in(batch[column], value_set=values)
        if other is not None:
            keep = pc.or_(keep, pc.is_in(batch[other], value_set=values))
        parts.append(pa.Table.from_batches([batch.filter(keep)], schema=source.schema_arrow))
    return pa.concat_tables(parts) if parts else source.schema_arrow.empty_table()


def cut_run(run: Path, out: Path, id_numbers: pa.Array) -> None:
    """Write the cut of ``run`` for ``id_numbers`` under ``out`` (same layout)."""

    def write(name: str, table: pa.Table) -> None:
        path = out / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)

    for name in WHOLE:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(run / f"{name}.parquet", out / f"{name}.parquet")
    for name in BY_PERSON:
        write(name, _filtered(run / f"{name}.parquet", "id_number", id_numbers))
    accounts = pq.read_table(run / "platform/accounts.parquet", columns=["user_id", "id_number"])
    chosen = accounts.filter(pc.is_in(accounts["id_number"], value_set=id_numbers))
    users = chosen["user_id"].combine_chunks()
    for name in BY_ACCOUNT:
        write(name, _filtered(run / f"{name}.parquet", "user_id", users))
    transfers = run / "platform/transfers.parquet"
    write("platform/transfers", _filtered(transfers, "user_id", users, "counterparty_user_id"))
    shops = pq.read_table(out / "ecommerce/shops.parquet", columns=["shop_id"])["shop_id"]
    shops = shops.combine_chunks()
    write("ecommerce/monthly", _filtered(run / "ecommerce/monthly.parquet", "shop_id", shops))
