"""Landing, register, log in, log out.

Registering asks only what the lender cannot already know — a phone number to log in with, a
password, and the real name to match the county's records — and logs the new borrower straight
in (one step fewer on the way to the money).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from puhui.api.deps import SESSION_COOKIE, ServicesDep, now, session_token
from puhui.errors import PuhuiError
from puhui.logs import log_event
from puhui.money import format_rate
from puhui.services.accounts import SESSION_TTL, Session
from puhui.web.pages import (
    OptionalViewerDep,
    PageRoute,
    ViewerDep,
    check_form_token,
    error_message,
    form_token,
    home_of,
    redirect,
    render,
    safe_next,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: Which form field a registration or login error belongs next to.
FIELD_OF = {
    "PHONE_FORMAT": "phone",
    "USER_EXISTS": "phone",
    "PASSWORD_WEAK": "password",
    "PASSWORD_LONG": "password",
    "CUSTOMER_NAME": "name",
    "NAME_FORMAT": "name",
    "ID_FORMAT": "id_number",
    "ID_REGION": "id_number",
    "ID_BIRTH_DATE": "id_number",
    "ID_CHECKSUM": "id_number",
}


@router.get("/")
def landing(
    request: Request, reader: OptionalViewerDep, svc: ServicesDep, bye: int = 0
) -> Response:
    """What the product is: amounts, APR range and terms of the catalogue's first product."""
    product = next(iter(svc.lending.catalogue.products.values()))
    rates = [product.rate_for(band) for band in product.rate_bands]
    facts = {
        "product": product,
        "amount_low": f"{product.amount_min_yuan:,.0f}",
        "amount_high": f"{product.amount_max_yuan:,.0f}",
        "rate_low": format_rate(min(rates)),
        "rate_high": format_rate(max(rates)),
        "terms": "/".join(str(m) for m in product.terms_months),
        "bye": bool(bye),
    }
    return render(request, "landing.html", facts, reader=reader)


def _signed_in(request: Request, svc: ServicesDep, session: Session, to: str) -> Response:
    response = redirect(request, to)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        secure=svc.settings.env != "development" or request.url.scheme == "https",
        samesite="lax",
        path="/",
    )
    return response


def _form(
    request: Request,
    template: str,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    token = form_token(request)
    return render(
        request,
        template,
        {"values": values, "errors": errors or {}, "form_token": token},
        status=status,
        form_cookie=token,
    )


@router.get("/register")
def register_form(request: Request) -> Response:
    return _form(request, "register.html", {"phone": "", "name": ""})


@router.post("/register")
def register(
    request: Request,
    svc: ServicesDep,
    phone: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=128)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    id_number: Annotated[str, Form(max_length=20)] = "",
    form_token: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    check_form_token(request, form_token)
    client = request.client.host if request.client else "-"
    try:
        svc.onboarding.register(phone, password, name, id_number, now())
        session = svc.accounts.login(phone, password, client, now())
    except PuhuiError as exc:
        field = FIELD_OF.get(exc.code, "form")
        return _form(
            request,
            "register.html",
            {"phone": phone, "name": name},
            {field: error_message(request, exc)},
            exc.http_status,
        )
    log_event("web_register", user_id=session.user.user_id)
    return _signed_in(request, svc, session, "/apply")


@router.get("/login")
def login_form(request: Request, reader: OptionalViewerDep, next: str | None = None) -> Response:
    if reader is not None:
        return redirect(request, safe_next(next) or home_of(reader))
    return _form(request, "login.html", {"phone": "", "next": safe_next(next) or ""})


@router.post("/login")
def login(
    request: Request,
    svc: ServicesDep,
    phone: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=200)] = "",
    form_token: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    check_form_token(request, form_token)
    client = request.client.host if request.client else "-"
    try:
        session = svc.accounts.login(phone, password, client, now())
    except PuhuiError as exc:
        return _form(
            request,
            "login.html",
            {"phone": phone, "next": safe_next(next) or ""},
            {"form": error_message(request, exc)},
            exc.http_status,
        )
    home = "/line" if session.user.role == "borrower" else "/staff"
    return _signed_in(request, svc, session, safe_next(next) or home)


@router.post("/logout")
def logout(request: Request, reader: ViewerDep, svc: ServicesDep) -> Response:
    """退出 (``reader`` checks the session's CSRF token before anything is revoked)."""
    token, _ = session_token(request)
    if token:
        svc.accounts.logout(token)
    response = redirect(request, "/?bye=1")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
