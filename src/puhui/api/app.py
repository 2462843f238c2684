"""The FastAPI app factory: routers, error mapping, security headers, request logs, the pages."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from puhui import __version__
from puhui.api import errors
from puhui.api.routers import (
    applications,
    auth,
    customers,
    health,
    lines,
    loans,
    risk,
    stats,
)
from puhui.api.schemas import ERROR_RESPONSES
from puhui.logs import configure, log_event
from puhui.services.reminders import reminder_service
from puhui.services.risk import risk_service
from puhui.services.wiring import build_services
from puhui.settings import Settings, get_settings
from puhui.web import mount as web_pages

API_PREFIX = "/api/v1"

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
    ),
    "Cache-Control": "no-store",
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application; ``settings`` default to the environment's (``PUHUI_*``)."""
    settings = settings or get_settings()
    configure()
    app = FastAPI(
        title="puhui 普惠 API",
        version=__version__,
        description=(
            "Digital inclusive credit: credit lines, 310 applications, drawdowns with the APR "
            "shown, repayments, schedules, statements. Money is a string of yuan with at most "
            "two decimals. Every money-moving POST needs an `Idempotency-Key` header. Errors "
            "have one shape: `{error: {code, message_zh, message_en, request_id}}`."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        responses=ERROR_RESPONSES,
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.services = build_services(settings)
    app.state.risk = risk_service(settings, app.state.services.db)
    app.state.reminders = reminder_service(settings, app.state.services.db)
    errors.install(app)

    @app.middleware("http")
    async def headers_and_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.request_id = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
        started = time.perf_counter()
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.scheme == "https":
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        response.headers["X-Request-Id"] = request.state.request_id
        log_event(
            "request",
            request_id=request.state.request_id,
            method=request.method,
            path=request.url.path,
            status=response.status_code,
            ms=round((time.perf_counter() - started) * 1000, 1),
            user_id=getattr(request.state, "user_id", None),
        )
        return response

    for router in (
        health.router,
        auth.router,
        applications.router,
        lines.router,
        loans.router,
        customers.router,
        stats.router,
        risk.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    web_pages.install(app)
    return app
