"""``rows.insert_batch``: many rows in one statement, ids in the rows' order, on both engines;
on PostgreSQL one statement text whatever the number of rows (arrays unnested), so the driver
and the server convert and plan it once."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import event, select

from puhui.store.rows import insert_batch
from puhui.store.tables import credit_line, customer, idempotency

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def _customers(count: int, tag: str) -> list[dict[str, object]]:
    return [
        {
            "name": f"{tag}{i:03d}",
            "segment": "farmer" if i % 2 else "merchant",
            "county": "新泰市",
            "township": "" if i % 3 == 0 else f"镇{i}",
            "wallet_account_id": None,  # a column of nulls only
            "created_at": NOW,
        }
        for i in range(count)
    ]


def _stored_customers(db, ids):
    with db.read() as conn:
        rows = conn.execute(
            select(
                customer.c.id, customer.c.name, customer.c.township, customer.c.wallet_account_id
            ).where(customer.c.id.in_(ids))
        )
        return {r.id: (r.name, r.township, r.wallet_account_id) for r in rows}


def test_ids_come_back_in_the_rows_order(db):
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        if "INSERT INTO" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        for count, tag in ((1, "甲"), (2, "乙"), (5, "丙"), (17, "丁")):
            rows = _customers(count, tag)
            with db.write_records() as conn:
                ids = insert_batch(conn, customer, rows, ids=True)
            assert len(ids) == count == len(set(ids))
            stored = _stored_customers(db, ids)
            # each id names the row given in its place
            assert [stored[i] for i in ids] == [
                (r["name"], r["township"], r["wallet_account_id"]) for r in rows
            ]
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    if db.is_postgres:
        # one row takes the plain insert; 2, 5 and 17 rows one and the same unnest statement
        assert len(set(statements)) == 2
        assert "unnest" in statements[-1]


def test_dates_booleans_and_no_ids(db):
    with db.write_records() as conn:
        owners = insert_batch(conn, customer, _customers(3, "己"), ids=True)
    lines = [
        {
            "customer_id": owner,
            "product_code": "xintai_farmer_line",
            "limit_fen": 1_000_000 * (i + 1),
            "rate_annual_e8": 7_200_000,
            "penalty_rate_e8": 10_800_000,
            "band": "A",
            "methods": "equal_installment",
            "granted_on": date(2026, 11, 26),
            "expires_on": date(2027, 11, 26 - i),
            "revolving": i != 1,
            "status": "active",
            "used_fen": 0,
            "drawn_total_fen": 0,
            "created_at": NOW,
        }
        for i, owner in enumerate(owners)
    ]
    keys = [
        {
            "key": f"batch-{i}",
            "operation": "apply",
            "request_hash": "0" * 64,
            "response": "{}",
            "created_at": NOW,
        }
        for i in range(4)
    ]
    with db.write_records() as conn:
        line_ids = insert_batch(conn, credit_line, lines, ids=True)
        # rows of long texts go one insert per row, pipelined, ids claimed first
        piped_ids = insert_batch(conn, credit_line, lines[::-1], ids=True, arrays=False)
        assert insert_batch(conn, idempotency, keys) == []
        assert insert_batch(conn, idempotency, []) == []
    with db.read() as conn:
        stored = {
            r.id: (r.customer_id, r.limit_fen, r.expires_on, r.revolving)
            for r in conn.execute(select(credit_line).where(credit_line.c.id.in_(line_ids)))
        }
        assert [stored[i] for i in line_ids] == [
            (x["customer_id"], x["limit_fen"], x["expires_on"], x["revolving"]) for x in lines
        ]
        piped = {
            r.id: (r.customer_id, r.limit_fen, r.expires_on, r.revolving)
            for r in conn.execute(select(credit_line).where(credit_line.c.id.in_(piped_ids)))
        }
        assert [piped[i] for i in piped_ids] == [stored[i] for i in line_ids[::-1]]
        found = conn.execute(
            select(idempotency.c.key).where(idempotency.c.key.like("batch-%"))
        ).scalars()
        assert sorted(found) == [f"batch-{i}" for i in range(4)]
