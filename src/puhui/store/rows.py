"""Inserting and reading many rows at once: a batch in one statement (``insert_batch``);
bulk loads by PostgreSQL ``COPY``, ``executemany`` elsewhere."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    Select,
    Table,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.schema import ScalarElementColumnDefault
from sqlalchemy.types import TypeEngine

from puhui.errors import invariant

_COPY_THRESHOLD = 200


def insert_batch(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    ids: bool = False,
    arrays: bool = True,
) -> list[int]:
    """Insert ``rows`` (mappings with the same keys) in one statement; with ``ids``, the new
    rows' ids (the column default: a sequence, or SQLite's rowid) in the rows' order.

    PostgreSQL, two rows or more, the statement's text never depends on the number of rows
    (a multi-row ``VALUES`` list is new text for each count, with hundreds of parameters
    psycopg re-parsed on every call: about 1.5 ms a statement of 32 rows):
    - ``arrays`` (the default): one array parameter per column, unnested (``INSERT … SELECT …
      FROM unnest(…) WITH ORDINALITY … ORDER BY`` the row number). Rows are inserted in that
      order, each taking its id from the sequence as it goes, so ascending ids are the rows'
      order.
    - not ``arrays``, for rows holding long texts (psycopg escapes each array element in
      Python: five times the ``VALUES`` list for the 310 decision records' ~2 KB of JSON): the
      ids claimed from the table's sequence first, then the one-row insert for every row as
      one pipelined ``executemany``.
    Elsewhere (and for one row): SQLAlchemy's insert — one row on its cached path, more as one
    ``VALUES`` list (``RETURNING`` sorted by parameter order)."""
    if not rows:
        return []
    columns = tuple(rows[0])
    if conn.dialect.name == "postgresql" and len(rows) > 1:
        if not arrays:
            claimed = claim_ids(conn, table, len(rows)) if ids else []
            numbered = [{"id": i, **row} for i, row in zip(claimed, rows, strict=True)]
            conn.execute(insert(table), numbered or list(rows))  # psycopg: one pipeline
            return claimed
        values = {column: [row[column] for row in rows] for column in columns}
        # What SQLAlchemy's insert would add: the table's Python-side defaults.
        for column, value in _scalar_defaults(table, columns).items():
            values[column] = [value] * len(rows)
        result = conn.execute(_unnest_insert(table, tuple(values), ids), values)
        return sorted(int(i) for i in result.scalars()) if ids else []
    statement = _returning_id(table) if ids else insert(table)
    result = conn.execute(statement, rows[0] if len(rows) == 1 else list(rows))
    return [int(i) for i in result.scalars()] if ids else []


@cache
def _returning_id(table: Table) -> Executable:
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


@cache
def _scalar_defaults(table: Table, given: tuple[str, ...]) -> dict[str, Any]:
    defaults = {}
    for column in table.columns:
        if column.name in given or column.default is None:
            continue
        default = column.default
        invariant(
            isinstance(default, ScalarElementColumnDefault),
            f"{table.name}.{column.name}: only a constant default can be filled in a batch",
        )
        defaults[column.name] = default.arg
    return defaults


@cache
def _unnest_insert(table: Table, columns: tuple[str, ...], ids: bool) -> TextClause:
    dialect = postgresql.dialect()
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(column) for column in columns)
    arrays = ", ".join(
        f"CAST(:{column} AS {table.c[column].type.compile(dialect=dialect)}[])"
        for column in columns
    )
    return text(
        f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} "
        f"FROM unnest({arrays}) WITH ORDINALITY AS batch ({names}, row_number) "
        f"ORDER BY row_number{' RETURNING id' if ids else ''}"
    )


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the current transaction."""
    if not rows:
        return
    if conn.dialect.name != "postgresql" or len(rows) < _COPY_THRESHOLD:
        conn.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    raw = conn.connection.driver_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(tuple(row[c] for c in columns))


def next_id(conn: Connection, table: Table) -> int:
    """``MAX(id) + 1`` — safe inside the serialised ``Database.write()`` transaction."""
    return int(conn.execute(_max_id(table)).scalar_one()) + 1


#: Tables whose ids come from their own sequence on PostgreSQL (migration 0008), so their
#: inserters need not be serialised on the ledger head: through :func:`claim_ids`, or by
#: leaving ``id`` to the column's default (``nextval``; the rowid on SQLite).
SEQUENCED_TABLES = frozenset({"credit_line", "decision_record"})


def claim_ids(conn: Connection, table: Table, count: int = 1) -> list[int]:
    """``count`` new ids for ``table`` (one of :data:`SEQUENCED_TABLES`), ascending.

    PostgreSQL: from the table's sequence — safe without the ledger lock, not contiguous
    under concurrency, and a rolled-back transaction leaves a gap. SQLite serialises every
    write, so ``MAX(id) + 1`` onwards. No inserter of these tables may number ids itself: a
    ``MAX(id) + 1`` beside the sequence would collide with it."""
    invariant(table.name in SEQUENCED_TABLES, f"{table.name} ids do not come from a sequence")
    if conn.dialect.name != "postgresql":
        first = next_id(conn, table)
        return list(range(first, first + count))
    if count == 1:
        return [int(conn.execute(_nextval(table.name)).scalar_one())]
    ids = conn.execute(_nextvals(table.name), {"n": count}).scalars().all()
    return sorted(ids)


def advance_sequence(conn: Connection, table: Table) -> None:
    """After inserting explicit ids into ``table``: on PostgreSQL move its ``id`` sequence past
    them, so inserters that let the column default (``nextval``) never collide with them."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"GREATEST((SELECT MAX(id) FROM {table.name}), 1))"
            )
        )


@cache
def _nextval(table_name: str) -> TextClause:
    return text(f"SELECT nextval(pg_get_serial_sequence('{table_name}', 'id'))")


@cache
def _nextvals(table_name: str) -> TextClause:
    return text(
        f"SELECT nextval(pg_get_serial_sequence('{table_name}', 'id')) FROM generate_series(1, :n)"
    )


@cache
def _max_id(table: Table) -> Select[tuple[int]]:
    return select(func.coalesce(func.max(table.c.id), 0))


def _column_values(series: pd.Series, kind: TypeEngine[Any], dialect: str) -> list[object]:
    """A column as values for the driver: nulls as None; dates as ``YYYY-MM-DD``; timestamps
    in UTC, written as SQLAlchemy writes them on SQLite (so text comparisons stay right) and as
    ISO 8601 with the zone on PostgreSQL."""
    missing = series.isna().to_numpy()
    if isinstance(kind, DateTime):
        stamps = pd.to_datetime(series, utc=True)
        if dialect == "postgresql":
            values = stamps.map(lambda t: t.isoformat(), na_action="ignore").to_numpy(object)
        else:
            values = stamps.dt.strftime("%Y-%m-%d %H:%M:%S.%f").to_numpy(dtype=object)
    elif isinstance(kind, Date):
        # A file holds few distinct days: format each once (numpy's str() per element is slow).
        days = pd.to_datetime(series).to_numpy().astype("datetime64[D]").view(np.int64)
        codes, uniques = pd.factorize(days)
        text = uniques.astype("datetime64[D]").astype(str).astype(object)
        values = text[codes]
    elif ptypes.is_integer_dtype(series) and not missing.any():
        return series.to_numpy(dtype=np.int64).tolist()
    else:
        values = series.to_numpy(dtype=object)
    if missing.any():
        values = values.copy()
        values[missing] = None
    return values.tolist()


def insert_frame(conn: Connection, table: Table, frame: pd.DataFrame) -> None:
    """Insert every row of ``frame`` (columns named as ``table``'s) in the current transaction.

    The columnar twin of :func:`insert_rows` for hundreds of thousands of rows: no dict per
    row; PostgreSQL ``COPY``, elsewhere one ``executemany`` of tuples.
    """
    if frame.empty:
        return
    columns = [str(c) for c in frame.columns]
    dialect = conn.dialect.name
    rows = list(
        zip(
            *(_column_values(frame[c], table.c[c].type, dialect) for c in columns),
            strict=True,
        )
    )
    if dialect == "postgresql":
        raw = conn.connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", rows)


def _typed(frame: pd.DataFrame, query: Select[Any]) -> pd.DataFrame:
    """Give each column the pandas type of its SQL type, the same on both engines (integer,
    float, date, timestamp; anything else is text)."""
    for column in query.selected_columns:
        name, kind = column.name, column.type
        values = frame[name]
        if isinstance(kind, DateTime):
            frame[name] = pd.to_datetime(values, utc=True, format="ISO8601")
        elif isinstance(kind, Date):
            frame[name] = pd.to_datetime(values, format="ISO8601").astype("datetime64[s]")
        elif isinstance(kind, Integer):
            frame[name] = values.astype("Int64" if values.isna().any() else "int64")
        elif isinstance(kind, Float):
            frame[name] = values.astype("float64")
        else:
            frame[name] = values.astype("str")
    return frame


def read_frame(conn: Connection, query: Select[Any]) -> pd.DataFrame:
    """Run ``query`` and return its rows as a frame typed from the SQL column types (dates as
    ``datetime64[s]``, integers ``int64`` or ``Int64`` with nulls, text ``str``).

    PostgreSQL streams the result as CSV through ``COPY (…) TO STDOUT`` (several times faster
    than fetching row objects for millions of rows); SQLite fetches tuples.
    """
    names = [c.name for c in query.selected_columns]
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name != "postgresql":
        # The DB-API cursor's plain tuples: Row objects cost pandas a lookup per field.
        rows = conn.exec_driver_sql(sql).cursor.fetchall()  # type: ignore[union-attr]
        return _typed(pd.DataFrame.from_records(rows, columns=names), query)
    buffer = io.BytesIO()
    raw = conn.connection.driver_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy,
    ):
        for block in copy:
            buffer.write(block)
    if not buffer.getbuffer().nbytes:
        return _typed(pd.DataFrame(columns=names), query)
    buffer.seek(0)
    text_columns = {
        c.name: "str"
        for c in query.selected_columns
        if not isinstance(c.type, Integer | Float | Date | DateTime)
    }
    frame = pd.read_csv(
        buffer, names=names, header=None, dtype=text_columns, keep_default_na=False, na_values=[""]
    )
    return _typed(frame, query)
