"""The FastAPI app factory: routers, error mapping, security headers, request logs, the pages."""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class HeadersAndLog:
    """Pure ASGI middleware: a request id, the security headers, one log line per request.

    (Starlette's ``BaseHTTPMiddleware`` runs every request through an extra task and memory
    streams; this costs nothing beyond the headers and the log line.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent_id = Headers(scope=scope).get("x-request-id")
        request_id = sent_id or uuid.uuid4().hex[:16]
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if scope.get("scheme") == "https":
                    headers["Strict-Transport-Security"] = "max-age=31536000"
                headers["X-Request-Id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            log_event(
                "request",
                request_id=request_id,
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
                user_id=state.get("user_id"),
            )


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application; ``settings`` default to the environment's (``PUHUI_*``)."""
    settings = settings or get_settings()
    configure()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # anyio's default is 40 threads; see Settings.request_threads.
        to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        # Everything loaded so far (model, catalogue, libraries) lives as long as the process:
        # keep it out of the collector's full passes, which otherwise walk it every time.
        gc.collect()
        gc.freeze()
        yield

    app = FastAPI(
        lifespan=lifespan,
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
    app.state.apply_batches = applications.apply_batches(app.state.services)
    app.state.risk = risk_service(settings, app.state.services.db)
    app.state.reminders = reminder_service(settings, app.state.services.db)
    errors.install(app)

    # Inside the headers and the request log (middleware added last runs first).
    app.add_middleware(applications.ApplyFastPath, path=f"{API_PREFIX}/applications")
    app.add_middleware(HeadersAndLog)

    # FastAPI tries the included routers in this order on every request: the 310 apply, the
    # hot path, first.
    for router in (
        applications.router,
        health.router,
        auth.router,
        lines.router,
        loans.router,
        customers.router,
        stats.router,
        risk.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    web_pages.install(app)
    return app
