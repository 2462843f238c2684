"""A dated behaviour-event stream of a simulated county, for risk monitoring.

:func:`behaviour_events` turns a run's partner tables (from :func:`read_run` or a
``MemorySink``) into one ``pandas.DataFrame`` per calendar month, rows sorted by
``(event_date, kind, id_number)``. Every event names the person by identity number (the key
the importer hashes) and their township. Columns: see :data:`EVENT_COLUMNS`.

Granularity (what the partner files allow, no more):

- **daily**, dated the day it happened: ``drawdown``, ``repayment`` (``detail`` = instalment /
  overdue / prepayment), ``device_change``, ``disaster_notice`` (no person; ``township_code``);
- **monthly**, dated the *last day* of the month — the earliest day the monthly aggregate is
  known: ``inflow`` and ``outflow`` (amount, count), ``bill_payment`` (amount, count),
  ``bill_late`` (count, when > 0), ``login`` (count = days with a login), ``transfer_out``
  (per counterparty: amount, count, ``counterparty_id_number`` — null outside the county),
  ``shop_sales`` (amount, count = orders), ``shop_refund`` (amount, count, when > 0),
  ``delinquency`` (a draw past due at month-end: amount = overdue principal, count = days past
  due, ``detail`` = classification).

Nothing from ``truth/`` enters the stream.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from puhui.errors import ValidationError

EVENT_COLUMNS: tuple[str, ...] = (
    "event_date",
    "id_number",
    "township_code",
    "kind",
    "amount_fen",
    "count",
    "counterparty_id_number",
    "detail",
)
DAILY_KINDS: tuple[str, ...] = ("drawdown", "repayment", "device_change", "disaster_notice")
MONTHLY_KINDS: tuple[str, ...] = (
    "inflow",
    "outflow",
    "bill_payment",
    "bill_late",
    "login",
    "transfer_out",
    "shop_sales",
    "shop_refund",
    "delinquency",
)
#: Partner tables the stream is built from.
EVENT_SOURCES: tuple[str, ...] = (
    "government/residents",
    "government/disaster_notices",
    "platform/accounts",
    "platform/monthly",
    "platform/transfers",
    "platform/device_changes",
    "ecommerce/shops",
    "ecommerce/monthly",
    "lender/lines",
    "lender/draws",
    "lender/repayments",
    "lender/monthly_status",
)


def read_run(root: Path, names: tuple[str, ...] = EVENT_SOURCES) -> dict[str, pa.Table]:
    """Read the named tables of a generated run folder."""
    tables = {}
    for name in names:
        path = Path(root) / f"{name}.parquet"
        if not path.is_file():
            raise ValidationError(
                "SIM_RUN_INCOMPLETE",
                f"模拟输出目录缺少文件 {name}.parquet：{root}",
                f"{root} is not a complete simulator run: {name}.parquet is missing",
            )
        tables[name] = pq.read_table(path)
    return tables


def _pandas(tables: Mapping[str, pa.Table], name: str) -> pd.DataFrame:
    frame = tables[name].to_pandas()
    for column in frame.columns:
        if pa.types.is_date32(tables[name].schema.field(column).type):
            frame[column] = pd.to_datetime(frame[column])
    return frame


def _events(frame: pd.DataFrame, kind: str, **columns: object) -> pd.DataFrame:
    out = pd.DataFrame({name: columns.get(name) for name in EVENT_COLUMNS}, index=frame.index)
    out["kind"] = kind
    return out


def behaviour_events(tables: Mapping[str, pa.Table]) -> Iterator[pd.DataFrame]:
    """Yield the run's events month by month (see the module docstring)."""
    residents = _pandas(tables, "government/residents").set_index("id_number")["township_code"]
    accounts = _pandas(tables, "platform/accounts").set_index("user_id")["id_number"]
    shops = _pandas(tables, "ecommerce/shops").set_index("shop_id")["id_number"]
    lines = _pandas(tables, "lender/lines").set_index("line_id")["id_number"]
    draws = _pandas(tables, "lender/draws")
    draw_person = draws.set_index("draw_id")["line_id"].map(lines)

    sources = {
        "platform/monthly": ("month", _platform_monthly),
        "platform/transfers": ("month", _transfers),
        "ecommerce/monthly": ("month", _shop),
        "lender/monthly_status": ("month_end", _delinquency),
        "lender/draws": ("draw_date", _drawdowns),
        "lender/repayments": ("repay_date", _repayments),
        "platform/device_changes": ("event_date", _devices),
        "government/disaster_notices": ("notice_date", _notices),
    }
    keys = {"accounts": accounts, "shops": shops, "lines": lines, "draw_person": draw_person}
    by_month: dict[pd.Period, list[pd.DataFrame]] = {}
    for name, (date_column, build) in sources.items():
        frame = _pandas(tables, name)
        for period, chunk in frame.groupby(frame[date_column].dt.to_period("M"), sort=True):
            by_month.setdefault(period, []).append(build(chunk, keys))
    for period in sorted(by_month):
        month = pd.concat(by_month[period], ignore_index=True)
        person = month["id_number"].notna()
        month.loc[person, "township_code"] = month.loc[person, "id_number"].map(residents)
        month = month.astype(
            {
                "amount_fen": "Int64",
                "count": "Int64",
                "id_number": "string",
                "township_code": "string",
                "counterparty_id_number": "string",
                "detail": "string",
            }
        )
        yield month.sort_values(
            ["event_date", "kind", "id_number"], kind="stable", ignore_index=True
        )[list(EVENT_COLUMNS)]


def _month_end(month: pd.Series) -> pd.Series:
    return month + pd.offsets.MonthEnd(0)


def _platform_monthly(chunk: pd.DataFrame, keys: dict) -> pd.DataFrame:
    person = chunk["user_id"].map(keys["accounts"])
    day = _month_end(chunk["month"])
    parts = [
        _events(
            chunk,
            "inflow",
            event_date=day,
            id_number=person,
            amount_fen=chunk["inflow_fen"],
            count=chunk["inflow_count"],
        ),
        _events(
            chunk,
            "outflow",
            event_date=day,
            id_number=person,
            amount_fen=chunk["outflow_fen"],
            count=chunk["outflow_count"],
        ),
        _events(
            chunk,
            "bill_payment",
            event_date=day,
            id_number=person,
            amount_fen=chunk["bill_payment_fen"],
            count=chunk["bill_payment_count"],
        ),
        _events(chunk, "login", event_date=day, id_number=person, count=chunk["login_days"]),
    ]
    late = chunk["bill_late_count"] > 0
    parts.append(
        _events(
            chunk[late],
            "bill_late",
            event_date=day[late],
            id_number=person[late],
            count=chunk.loc[late, "bill_late_count"],
        )
    )
    return pd.concat(parts)


def _transfers(chunk: pd.DataFrame, keys: dict) -> pd.DataFrame:
    return _events(
        chunk,
        "transfer_out",
        event_date=_month_end(chunk["month"]),
        id_number=chunk["user_id"].map(keys["accounts"]),
        amount_fen=chunk["amount_fen"],
        count=chunk["transfer_count"],
        counterparty_id_number=chunk["counterparty_user_id"].map(keys["accounts"]),
    )


def _shop(chunk: pd.DataFrame, keys: dict) -> pd.DataFrame:
    person = chunk["shop_id"].map(keys["shops"])
    day = _month_end(chunk["month"])
    refunds = chunk["refund_count"] > 0
    return pd.concat(
        [
            _events(
                chunk,
                "shop_sales",
                event_date=day,
                id_number=person,
                amount_fen=chunk["sales_fen"],
                count=chunk["order_count"],
            ),
            _events(
                chunk[refunds],
                "shop_refund",
                event_date=day[refunds],
                id_number=person[refunds],
                amount_fen=chunk.loc[refunds, "refund_fen"],
                count=chunk.loc[refunds, "refund_count"],
            ),
        ]
    )


def _delinquency(chunk: pd.DataFrame, keys: dict) -> pd.DataFrame:
    late = chunk[chunk["days_past_due"] > 0]
    return _events(
        late,
        "delinquency",
        event_date=late["month_end"],
        id_number=late["line_id"].map(keys["lines"]),
        amount_fen=late["overdue_principal_fen"],
        count=late["days_past_due"],
        detail=late["classification"],
    )


def _drawdowns(chunk: pd.DataFrame, keys: dict) -> pd.DataFrame:
    return _events(
        chunk,
        "drawdown",
        event_date=chunk["draw_date"],
        id_number=chunk["line_id"].map(keys["lines"]),
        amount_fen=chunk["principal_fen"],
        count=chunk["term_months"],
        detail=chunk["repayment_method"],
    )


def _repayments(chunk: pd.DataFrame, keys: dict) -> pd.DataFrame:
    total = chunk["principal_fen"] + chunk["interest_fen"] + chunk["penalty_fen"]
    return _events(
        chunk,
        "repayment",
        event_date=chunk["repay_date"],
        id_number=chunk["draw_id"].map(keys["draw_person"]),
        amount_fen=total,
        detail=chunk["kind"],
    )


def _devices(chunk: pd.DataFrame, keys: dict) -> pd.DataFrame:
    return _events(
        chunk,
        "device_change",
        event_date=chunk["event_date"],
        id_number=chunk["user_id"].map(keys["accounts"]),
    )


def _notices(chunk: pd.DataFrame, keys: dict) -> pd.DataFrame:
    del keys  # notices name a township, not a person
    return _events(
        chunk,
        "disaster_notice",
        event_date=chunk["notice_date"],
        township_code=chunk["township_code"],
        count=chunk["level"],
        detail=chunk["kind"],
    )


def event_counts(frames: Iterator[pd.DataFrame]) -> dict[str, int]:
    """Number of events per kind over a stream (handy for summaries and tests)."""
    counts: dict[str, int] = {}
    for frame in frames:
        for kind, n in frame["kind"].value_counts().items():
            counts[str(kind)] = counts.get(str(kind), 0) + int(n)
    return dict(sorted(counts.items()))


__all__ = [
    "DAILY_KINDS",
    "EVENT_COLUMNS",
    "EVENT_SOURCES",
    "MONTHLY_KINDS",
    "behaviour_events",
    "event_counts",
    "read_run",
]
