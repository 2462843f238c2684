"""Page plumbing: templates, language, who is looking, form tokens, and errors shown as pages.

Every page route is a :class:`PageRoute`: whatever a page raises becomes a page, never JSON or a
stack trace — a missing session redirects to the login page, a :class:`Redirect` redirects, and
a domain error (:class:`~puhui.errors.PuhuiError`) renders ``error.html`` with its sentence in
the reader's language and its HTTP status.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from puhui.api.authz import Principal, Role
from puhui.api.deps import ServicesDep, principal_of, session_of, session_token
from puhui.errors import Forbidden, PuhuiError, ValidationError
from puhui.money import format_rate, format_yuan, from_fen
from puhui.services.accounts import Unauthenticated
from puhui.web import i18n

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
LANG_COOKIE = "lang"
#: Double-submit token of the forms shown before there is a session (log in, register).
FORM_COOKIE = "puhui_form"
YEAR_SECONDS = 365 * 24 * 3600


class Redirect(Exception):
    """Raised by a page to send the reader elsewhere (303 See Other)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


# -- templates ------------------------------------------------------------------------------


def fen(amount_fen: int) -> str:
    """Integer fen → ``¥1,234.50``."""
    return format_yuan(from_fen(amount_fen))


def yuan(amount: str | Decimal) -> str:
    """A yuan string or Decimal (the API's shapes) → ``¥1,234.50``."""
    return format_yuan(Decimal(amount))


def percent(rate_annual: Decimal) -> str:
    return format_rate(rate_annual)


def iso(day: date | None) -> str:
    return day.isoformat() if day else "—"


@lru_cache(maxsize=64)
def static_url(path: str) -> str:
    """``/static/path?v=<content hash>``: pages always load the current file, phones cache it."""
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]
    return f"/static/{path}?v={digest}"


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(fen=fen, yuan=yuan, percent=percent, iso=iso)
_env.globals.update(static_url=static_url)


def lang_of(request: Request) -> str:
    """``?lang=`` wins, then the ``lang`` cookie, then Chinese."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return asked if asked in i18n.LANGS else i18n.DEFAULT_LANG


def switch_url(request: Request, lang: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in [*params, ("lang", lang)])
    return f"{request.url.path}?{query}"


# -- who is looking -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Viewer:
    """A logged-in reader: who they are (for ``authz``), their name and CSRF token."""

    principal: Principal
    name: str
    csrf_token: str

    @property
    def is_borrower(self) -> bool:
        return self.principal.role is Role.BORROWER


async def viewer(request: Request, svc: ServicesDep) -> Viewer:
    """The session's user; writes are checked for the CSRF token by ``session_of``."""
    user, csrf = await session_of(request, svc)
    return Viewer(principal_of(user), user.display_name, csrf)


ViewerDep = Annotated[Viewer, Depends(viewer)]


async def optional_viewer(request: Request, svc: ServicesDep) -> Viewer | None:
    if not session_token(request)[0]:
        return None
    try:
        return await viewer(request, svc)
    except Unauthenticated:
        return None


OptionalViewerDep = Annotated[Viewer | None, Depends(optional_viewer)]


def borrower(reader: ViewerDep) -> Viewer:
    """Borrower pages: staff are sent to their own start page."""
    if not reader.is_borrower:
        raise Redirect("/staff")
    return reader


BorrowerDep = Annotated[Viewer, Depends(borrower)]


def home_of(reader: Viewer) -> str:
    return "/line" if reader.is_borrower else "/staff"


# -- forms before a session -----------------------------------------------------------------


def form_token(request: Request) -> str:
    return request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(18)


def check_form_token(request: Request, sent: str) -> None:
    """Log-in and register forms: the hidden field must match the cookie (double submit)."""
    cookie = request.cookies.get(FORM_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie.encode(), sent.encode()):
        raise i18n.error(Forbidden, "CSRF_FAILED", "err.csrf")


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (no ``//host`` or scheme) may be a redirect target."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


# -- responses ------------------------------------------------------------------------------


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    reader: Viewer | None = None,
    status: int = 200,
    form_cookie: str | None = None,
) -> HTMLResponse:
    lang = lang_of(request)
    other = "en" if lang == "zh" else "zh"
    html = _env.get_template(template).render(
        {
            "t": i18n.translator(lang),
            "lang": lang,
            "html_lang": "zh-CN" if lang == "zh" else "en",
            "switch_lang": other,
            "switch_url": switch_url(request, other),
            "path": request.url.path,
            "reader": reader,
            **(context or {}),
        }
    )
    response = HTMLResponse(html, status_code=status, headers={"Content-Language": lang})
    if request.query_params.get("lang") == lang:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=YEAR_SECONDS, httponly=True, samesite="lax", path="/"
        )
    if form_cookie:
        response.set_cookie(FORM_COOKIE, form_cookie, httponly=True, samesite="strict", path="/")
    return response


def redirect(request: Request, url: str) -> Response:
    """303 to ``url``; an htmx request gets ``HX-Redirect`` so the whole page moves."""
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def error_message(request: Request, exc: PuhuiError) -> str:
    return exc.message_en if lang_of(request) == "en" else exc.message_zh


def error_page(request: Request, exc: PuhuiError) -> HTMLResponse:
    request_id = getattr(request.state, "request_id", "")
    return render(
        request,
        "error.html",
        {"message": error_message(request, exc), "code": exc.code, "request_id": request_id},
        status=exc.http_status,
    )


class PageRoute(APIRoute):
    """A route whose failures are pages: login redirect, redirect, or the error page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except Redirect as move:
                return redirect(request, move.url)
            except Unauthenticated:
                target = request.url.path if request.method == "GET" else "/"
                return redirect(request, f"/login?next={quote(target)}")
            except PuhuiError as exc:
                return error_page(request, exc)
            except RequestValidationError:
                return error_page(request, i18n.error(ValidationError, "FORM_INVALID", "err.form"))

        return page
