"""Database connection, transactions and migrations.

Two engines, one code path: SQLite (WAL, the embedded default) and PostgreSQL. Transactions:

- :meth:`Database.read` — a plain transaction for queries;
- :meth:`Database.write` — a transaction that moves money. Money-moving writes are serialised:
  on PostgreSQL by locking the single ``ledger_head`` row first (``SELECT … FOR UPDATE``), on
  SQLite by ``BEGIN IMMEDIATE``. Serialising is what lets the hash chain grow one entry at a time
  and makes "read balance, check, write" safe without optimistic retries; a county's volume is
  far below what one writer sustains (bench/ledger.py). On SQLite the writers of one process
  first take turns on a lock, so a waiting writer does not poll in SQLite's busy handler, which
  sleeps up to 100 ms between tries. Not on PostgreSQL: the row lock already queues writers in
  order, and a process lock there measured slower — writers parked in the database hold their
  pooled connections, which throttles how many request threads contend for the GIL at once
  (bench/decision.py, docs/benchmarks.md);
- :meth:`Database.write_records` — a write that moves no money (the 310 decision and the line
  it opens): on PostgreSQL it skips the ledger head, so decisions do not queue behind each
  other or behind money; their ids come from sequences (migration 0008). On SQLite it is
  ``write()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import date
from importlib import resources
from pathlib import Path
from threading import RLock
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, select, update
from sqlalchemy.engine import make_url

from puhui.errors import ValidationError
from puhui.store import ledger as ledger_store
from puhui.store.tables import ledger_head, system_state


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: object) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's implicit transactions
        # would defeat BEGIN IMMEDIATE).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


_BUSINESS_DATE = select(system_state.c.business_date)


def opened_business_date(read: date | None) -> date:
    """The business date as read (alone, or inside a larger statement that selects
    ``system_state.business_date``); None means the database was never initialised."""
    if read is None:
        raise ValidationError(
            "DB_NOT_INITIALISED",
            "数据库尚未初始化，请先运行 puhui db upgrade",
            "the database is not initialised; run `puhui db upgrade` first",
        )
    return read


class Database:
    """An engine plus the transaction disciplines above."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(url, echo=echo, future=True)
        self.dialect = self.engine.dialect.name
        #: SQLite: one writer of this process at a time (re-entrant: a nested write fails in
        #: the database as it always did, instead of deadlocking here).
        self.write_turn: AbstractContextManager[object] = (
            RLock() if self.dialect == "sqlite" else nullcontext()
        )
        if self.dialect == "sqlite":
            _sqlite_pragmas(self.engine)

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A serialised money-moving transaction (commits on success, rolls back on error)."""
        with self.write_turn, self.engine.connect() as raw:
            conn = raw.execution_options(sqlite_begin="IMMEDIATE") if not self.is_postgres else raw
            try:
                with conn.begin():
                    head = None
                    if self.is_postgres:
                        head = conn.execute(
                            select(ledger_head.c.seq, ledger_head.c.hash).with_for_update()
                        ).one()
                    ledger_store.begin_write(conn, head)
                    yield conn
                    ledger_store.flush(conn)
            finally:
                ledger_store.end_write(conn)

    @contextmanager
    def write_records(self) -> Iterator[Connection]:
        """A write that moves no money (a 310 decision and the line it opens).

        On PostgreSQL it does not take the ledger head, so such writes run side by side with
        each other and with money-moving ones; nothing in it may append a journal entry (the
        ledger store refuses outside ``write()``), and the ids it inserts must come from
        sequences (``rows.claim_ids``, or the column default). On SQLite every write is
        serialised anyway: this is ``write()``."""
        if not self.is_postgres:
            with self.write() as conn:
                yield conn
            return
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def analyze(self, *tables: str) -> None:
        """Refresh PostgreSQL's planner statistics after a bulk load (``ANALYZE``; all tables
        when none are named). Autovacuum gets there on its own within minutes; until then the
        queries after a nightly import are planned on empty-table estimates — the 310 facts
        statement cost 1.58 ms of database CPU per decision on a just-loaded county, 1.19 ms
        after. A no-op on SQLite (its planner's defaults serve it; ``sqlite_stat1`` stays
        unwritten)."""
        if self.is_postgres:
            with self.engine.connect() as conn, conn.begin():
                conn.exec_driver_sql(f"ANALYZE {', '.join(tables)}" if tables else "ANALYZE")

    def dispose(self) -> None:
        self.engine.dispose()

    # -- schema ----------------------------------------------------------------------------
    def alembic_config(self) -> Config:
        cfg = Config()
        cfg.set_main_option(
            "script_location", str(resources.files("puhui.store").joinpath("migrations"))
        )
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return cfg

    def upgrade(self, business_date: date) -> None:
        """Bring the schema to the newest revision; set the first business date if new."""
        cfg = self.alembic_config()
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with self.write() as conn:
            exists = conn.execute(select(system_state.c.business_date)).first()
            if exists is None:
                conn.execute(system_state.insert().values(id=1, business_date=business_date))

    def business_date(self, conn: Connection) -> date:
        """The open business date 营业日: the day online transactions take effect."""
        row = conn.execute(_BUSINESS_DATE).first()
        return opened_business_date(None if row is None else row[0])

    def set_business_date(self, conn: Connection, day: date) -> None:
        conn.execute(update(system_state).values(business_date=day))
