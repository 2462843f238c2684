"""Liveness and readiness; ``/health`` does nothing and is the benchmarks' floor."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from puhui.api.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    """No-op: the process is up."""
    return {"status": "ok"}


@router.get("/ready")
def ready(svc: ServicesDep) -> dict[str, str]:
    """The database answers."""
    with svc.db.read() as conn:
        conn.execute(text("SELECT 1"))
        day = svc.db.business_date(conn)
    return {"status": "ok", "business_date": day.isoformat()}
