"""Shared helpers for the benchmark scripts: throwaway databases, results, memory."""

from __future__ import annotations

import json
import platform
import resource
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from puhui.store.db import Database

RESULTS = Path(__file__).parent / "results"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
FIRST_DAY = date(2026, 1, 15)


@contextmanager
def throwaway_url(engine: str) -> Iterator[str]:
    """The URL of a fresh, empty database on ``engine`` ('sqlite' or 'postgresql'), dropped
    (PostgreSQL: with its connections) or deleted afterwards."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory(prefix="puhui-bench-") as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    if engine != "postgresql":
        raise SystemExit(f"engine must be sqlite or postgresql; got {engine!r}")
    name = f"puhui_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def throwaway_db(engine: str) -> Iterator[Database]:
    """A fresh migrated database on ``engine`` ('sqlite' or 'postgresql'), dropped afterwards."""
    with throwaway_url(engine) as url:
        db = Database(url)
        db.upgrade(FIRST_DAY)
        try:
            yield db
        finally:
            db.dispose()


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict[str, object]:
    try:
        cpu = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        cpu = "?"
    return {"python": platform.python_version(), "cpus": cpu, "platform": platform.platform()}


def write_results(name: str, payload: dict[str, object]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"measured_at": datetime.now(UTC).isoformat(), "machine": machine(), **payload}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
    return path
