"""The one error shape, mapped once for every failure.

``{"error": {"code": "LINE_FROZEN", "message_zh": "…", "message_en": "…", "request_id": "…"}}``
with the status the domain error asks for (``PuhuiError.http_status``): 4xx for everything a
caller can cause, 500 with no detail for a bug. Never a stack trace.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from puhui.errors import PuhuiError
from puhui.logs import log_event


def error_body(code: str, zh: str, en: str, request_id: str, **extra: Any) -> dict[str, Any]:
    body = {"code": code, "message_zh": zh, "message_en": en, "request_id": request_id, **extra}
    return {"error": body}


def _request_id(request: Request) -> str:
    return getattr(request.state, "request_id", "")


_HTTP_CODES = {
    400: ("BAD_REQUEST", "请求有误", "bad request"),
    401: ("NOT_LOGGED_IN", "请先登录", "log in first"),
    403: ("FORBIDDEN", "无权访问", "forbidden"),
    404: ("NOT_FOUND", "找不到该页面或记录", "not found"),
    405: ("METHOD_NOT_ALLOWED", "不支持该请求方法", "method not allowed"),
}


def domain_error_response(exc: PuhuiError, request_id: str) -> JSONResponse:
    """A domain error's answer: its status and the one shape (and its simple details)."""
    details = {k: v for k, v in exc.details.items() if isinstance(v, int | str)}
    return JSONResponse(
        error_body(exc.code, exc.message_zh, exc.message_en, request_id, details=details),
        status_code=exc.http_status,
    )


def internal_error_response(exc: Exception, request_id: str, path: str) -> JSONResponse:
    """A bug's answer: logged by type (never the message or a trace), a 500 in the one shape."""
    log_event("internal_error", request_id=request_id, path=path, error=type(exc).__name__)
    return JSONResponse(
        error_body(
            "INTERNAL_ERROR",
            "系统内部错误，请稍后再试；如持续出现请联系我们并提供请求编号",
            "internal error; please retry later and quote the request id if it persists",
            request_id,
        ),
        status_code=500,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(PuhuiError)
    async def domain_error(request: Request, exc: PuhuiError) -> JSONResponse:
        return domain_error_response(exc, _request_id(request))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
                "problem": err.get("msg", ""),
            }
            for err in exc.errors()
        ]
        listing = "; ".join(f"{f['field']}: {f['problem']}" for f in fields)
        return JSONResponse(
            error_body(
                "REQUEST_INVALID",
                f"请求字段有误：{listing}",
                f"invalid request: {listing}",
                _request_id(request),
                fields=fields,
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, zh, en = _HTTP_CODES.get(
            exc.status_code, ("HTTP_ERROR", "请求失败", "request failed")
        )
        return JSONResponse(
            error_body(code, zh, en, _request_id(request)),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        return internal_error_response(exc, _request_id(request), request.url.path)
