"""The partner-file contract: one Arrow schema per generated file.

These schemas are what ``docs/data-sources.md`` documents column by column (a test checks that
every column here is documented there). Conventions, chosen for importers:

- money is integer fen in ``int64`` columns named ``*_fen`` (never floats);
- rates are ``rate_annual_e8``: the annual rate × 10**8 as an integer (``puhui.money``);
- dates are ``date32``; a ``month`` column holds the first day of the month a row covers, and
  the row is known only after that month ends;
- identity numbers are 18-character strings; platform users are 16-digit ``int64`` ids;
- codes are lower-case English; Chinese names are given where the partner would give them.

Everything under ``truth/`` is ground truth for evaluation and must never become a feature.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from puhui.errors import invariant

_ID = pa.field("id_number", pa.string(), nullable=False)
_USER = pa.field("user_id", pa.int64(), nullable=False)
_MONTH = pa.field("month", pa.date32(), nullable=False)


def _f(name: str, kind: pa.DataType, nullable: bool = False) -> pa.Field:
    return pa.field(name, kind, nullable=nullable)


SCHEMAS: dict[str, pa.Schema] = {
    "government/residents": pa.schema(
        [
            _ID,
            _f("name", pa.string()),
            _f("gender", pa.string()),
            _f("birth_date", pa.date32()),
            _f("ethnicity", pa.string()),
            _f("township_code", pa.string()),
            _f("township_name", pa.string()),
            _f("village_code", pa.string()),
            _f("village_name", pa.string()),
            _f("household_size", pa.int8()),
            _f("education", pa.string()),
        ]
    ),
    "government/social_insurance": pa.schema(
        [
            _ID,
            _f("year", pa.int16()),
            _f("months_contributed", pa.int8()),
            _f("contribution_fen", pa.int64()),
            _f("paid_date", pa.date32()),
        ]
    ),
    "government/land_plots": pa.schema(
        [
            _f("plot_code", pa.string()),
            _ID,
            _f("village_code", pa.string()),
            _f("area_mu", pa.float64()),
            _f("crop", pa.string()),
            _f("registered_date", pa.date32()),
        ]
    ),
    "government/subsidies": pa.schema(
        [
            _ID,
            _f("paid_date", pa.date32()),
            _f("kind", pa.string()),
            _f("amount_fen", pa.int64()),
            _f("area_mu", pa.float64(), nullable=True),
            _f("machine", pa.string(), nullable=True),
        ]
    ),
    "government/disaster_notices": pa.schema(
        [
            _f("notice_id", pa.int32()),
            _f("township_code", pa.string()),
            _f("township_name", pa.string()),
            _f("notice_date", pa.date32()),
            _f("kind", pa.string()),
            _f("level", pa.int8()),
        ]
    ),
    "platform/accounts": pa.schema([_USER, _ID, _f("opened_date", pa.date32())]),
    "platform/monthly": pa.schema(
        [
            _USER,
            _MONTH,
            _f("inflow_fen", pa.int64()),
            _f("outflow_fen", pa.int64()),
            _f("inflow_count", pa.int32()),
            _f("outflow_count", pa.int32()),
            _f("bill_payment_count", pa.int16()),
            _f("bill_payment_fen", pa.int64()),
            _f("bill_late_count", pa.int16()),
            _f("login_days", pa.int8()),
            _f("balance_end_fen", pa.int64()),
        ]
    ),
    "platform/transfers": pa.schema(
        [
            _USER,
            _MONTH,
            _f("counterparty_user_id", pa.int64()),
            _f("transfer_count", pa.int16()),
            _f("amount_fen", pa.int64()),
        ]
    ),
    "platform/device_changes": pa.schema(
        [_USER, _f("event_date", pa.date32()), _f("device_id", pa.int64())]
    ),
    "ecommerce/shops": pa.schema(
        [
            _f("shop_id", pa.int64()),
            _ID,
            _f("opened_date", pa.date32()),
            _f("category", pa.string()),
        ]
    ),
    "ecommerce/monthly": pa.schema(
        [
            _f("shop_id", pa.int64()),
            _MONTH,
            _f("sales_fen", pa.int64()),
            _f("order_count", pa.int32()),
            _f("refund_count", pa.int32()),
            _f("refund_fen", pa.int64()),
            _f("rating_avg", pa.float64(), nullable=True),
            _f("rating_count", pa.int32()),
        ]
    ),
    "lender/lines": pa.schema(
        [
            _f("line_id", pa.int64()),
            _ID,
            _f("product_code", pa.string()),
            _f("granted_date", pa.date32()),
            _f("expiry_date", pa.date32()),
            _f("limit_fen", pa.int64()),
            _f("band", pa.string()),
            _f("rate_annual_e8", pa.int64()),
            _f("renewal_of", pa.int64(), nullable=True),
        ]
    ),
    "lender/draws": pa.schema(
        [
            _f("draw_id", pa.int64()),
            _f("line_id", pa.int64()),
            _f("draw_date", pa.date32()),
            _f("principal_fen", pa.int64()),
            _f("term_months", pa.int8()),
            _f("repayment_method", pa.string()),
            _f("rate_annual_e8", pa.int64()),
            _f("maturity_date", pa.date32()),
        ]
    ),
    "lender/repayments": pa.schema(
        [
            _f("draw_id", pa.int64()),
            _f("repay_date", pa.date32()),
            _f("kind", pa.string()),
            _f("principal_fen", pa.int64()),
            _f("interest_fen", pa.int64()),
            _f("penalty_fen", pa.int64()),
            _f("principal_remaining_fen", pa.int64()),
        ]
    ),
    "lender/monthly_status": pa.schema(
        [
            _f("month_end", pa.date32()),
            _f("draw_id", pa.int64()),
            _f("line_id", pa.int64()),
            _f("outstanding_principal_fen", pa.int64()),
            _f("overdue_principal_fen", pa.int64()),
            _f("overdue_interest_fen", pa.int64()),
            _f("days_past_due", pa.int32()),
            _f("classification", pa.string()),
        ]
    ),
    "truth/persons": pa.schema(
        [
            _ID,
            _f("user_id", pa.int64(), nullable=True),
            _f("occupation", pa.string()),
            _f("ability", pa.float64()),
            _f("willingness", pa.float64()),
            _f("need", pa.float64()),
            _f("digital_share", pa.float64()),
            _f("circle_id", pa.int64()),
            _f("granted", pa.bool_()),
            _f("default_month", pa.date32(), nullable=True),
        ]
    ),
    "truth/monthly": pa.schema(
        [
            _ID,
            _MONTH,
            _f("pd_month", pa.float64()),
            _f("in_default", pa.bool_()),
            _f("true_income_fen", pa.int64()),
        ]
    ),
}


def labels(names: Sequence[str], index: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """String column ``names[index]`` built by Arrow ``take`` (fast for millions of rows)."""
    indices = pa.array(np.asarray(index, dtype=np.int64), mask=mask)
    return pa.array(list(names), type=pa.string()).take(indices)


def _column(value: object, kind: pa.DataType) -> pa.Array:
    if isinstance(value, pa.Array | pa.ChunkedArray):
        return value.cast(kind)
    if pa.types.is_date32(kind) and isinstance(value, np.ndarray):
        # Epoch days are int64 inside the simulator; date32 stores int32.
        return pa.array(value.astype(np.int32), type=kind)
    return pa.array(value, type=kind)


def table(name: str, columns: dict[str, object]) -> pa.Table:
    """Build the table ``name`` from column arrays, cast to its schema's types and order."""
    schema = SCHEMAS[name]
    invariant(
        set(columns) == set(schema.names),
        f"{name}: columns {sorted(set(columns) ^ set(schema.names))} do not match the schema",
    )
    arrays = [_column(columns[f.name], f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)
