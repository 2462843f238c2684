"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL.

PostgreSQL is the server on 127.0.0.1:5432 (user postgres, trust auth). If it is not running the
session starts it (``pg_ctlcluster … main start``). Each test run migrates one template database
and clones it per test (``CREATE DATABASE … TEMPLATE``), so tests are isolated and fast; every
database this run made is dropped at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from puhui.store.db import Database

PG_ADMIN_URL = os.environ.get(
    "PUHUI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PG_TEST_OPTIONS = "?options=-c%20synchronous_commit%3Doff"
FIRST_DAY = date(2026, 1, 15)
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _pg_ready() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # any failure means "not reachable"
        return False


def _start_pg() -> None:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if versions:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
            check=False,
            capture_output=True,
        )


class PgServer:
    """Creates and drops throwaway databases on the local server."""

    def __init__(self) -> None:
        if not _pg_ready():
            _start_pg()
        if not _pg_ready():
            pytest.fail(
                "PostgreSQL is not reachable at 127.0.0.1:5432 and could not be started; "
                "start it with: pg_ctlcluster --skip-systemctl-redirect "
                "$(ls /etc/postgresql) main start"
            )
        self.admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []
        self.prefix = f"puhui_t{os.getpid()}_{uuid.uuid4().hex[:6]}"

    def url(self, name: str) -> str:
        # Commits need not wait for the WAL flush here: a throwaway test database is never
        # recovered after an OS crash, and a killed process loses nothing it committed.
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}" + PG_TEST_OPTIONS

    def create(self, template: str | None = None) -> str:
        name = f"{self.prefix}_{len(self.created)}"
        with self.admin.connect() as conn:
            clause = f" TEMPLATE {template}" if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        self.created.append(name)
        return name

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in reversed(self.created):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where pages or endpoints are under test rather than argon2's cost: the cheapest
    parameters (tests of hashing itself and the browser journey keep the real ones)."""
    from argon2 import PasswordHasher

    from puhui.services import accounts

    monkeypatch.setattr(
        accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = PgServer()
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> str:
    name = pg_server.create()
    db = Database(pg_server.url(name))
    db.upgrade(FIRST_DAY)
    db.dispose()
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade(FIRST_DAY)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a fresh migrated database (business date 2026-01-15), on each engine."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "puhui.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.create(template=request.getfixturevalue("pg_template"))
    return server.url(name)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The partner files of the tiny simulated county (``tests/county.py``), made once."""
    from tests.county import generate_tiny

    return generate_tiny(tmp_path_factory.mktemp("county") / "xintai")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def county_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tiny_run: Path
) -> Iterator[Database]:
    """A database holding the tiny county, everyone consenting (the tests of one module share
    it, so they only add to it: a test that must start empty uses ``db``)."""
    from tests.county import import_with_consent

    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("county-db") / "puhui.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        server: PgServer = request.getfixturevalue("pg_server")
        url = server.url(server.create(template=request.getfixturevalue("pg_template")))
    database = Database(url)
    import_with_consent(database, tiny_run)
    yield database
    database.dispose()
