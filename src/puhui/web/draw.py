"""Money pages: draw on a line (with the live schedule preview and its APR) and repay a loan.

Each form is rendered with a fresh idempotency key in a hidden field; the service records the
result under that key (namespaced by user exactly as the API does), so a double tap, a reload
of the POST or a retry after a dropped connection moves the money once.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from puhui.api.authz import Action, authorize
from puhui.api.deps import Services, ServicesDep, line_scope, loan_scope, namespaced_key
from puhui.api.schemas import price
from puhui.errors import PuhuiError, ValidationError
from puhui.money import from_fen, positive_yuan
from puhui.schedule import Schedule
from puhui.web import i18n
from puhui.web.borrower import LineView, line_views, next_row_due_fen, own_customer, wallet_fen
from puhui.web.pages import (
    BorrowerDep,
    PageRoute,
    Redirect,
    Viewer,
    error_message,
    lang_of,
    render,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: Which form field a draw or repay error belongs next to (the rest go above the form).
FIELD_OF = {
    "AMOUNT_FORMAT": "amount",
    "AMOUNT_PRECISION": "amount",
    "AMOUNT_NEGATIVE": "amount",
    "AMOUNT_NOT_POSITIVE": "amount",
    "AMOUNT_NOT_FINITE": "amount",
    "DRAW_BELOW_MINIMUM": "amount",
    "INSUFFICIENT_AVAILABLE": "amount",
    "REPAY_EXCEEDS_OWED": "amount",
    "INSUFFICIENT_FUNDS": "source",
    "TERM_NOT_OFFERED": "term",
    "METHOD_UNKNOWN": "method",
    "METHOD_NOT_OFFERED": "method",
    "METHOD_NOT_ALLOWED": "method",
}


def new_key() -> str:
    return secrets.token_urlsafe(16)


def amount_of(request: Request, value: str, field_key: str) -> str:
    """Validate an amount with the domain rule, naming the field in the reader's words."""
    label = i18n.translator(lang_of(request))(field_key)
    return str(positive_yuan(value, field=label))


def term_of(value: str) -> int:
    if not value.isdigit():
        raise i18n.error(ValidationError, "TERM_NOT_OFFERED", "err.term")
    return int(value)


def _line_view(svc: Services, customer_id: int, line_id: int | None) -> LineView:
    views = line_views(svc, customer_id)
    for view in views:
        if line_id == view.line.line_id or (line_id is None and view.drawable):
            return view
    if line_id is None and views:
        return views[0]
    raise Redirect("/apply")


def _draw_form(
    request: Request,
    reader: Viewer,
    view: LineView,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "draw.html",
        {"view": view, "values": values, "errors": errors or {}},
        reader=reader,
        status=status,
    )


@router.get("/draw")
def draw_form(
    request: Request, reader: BorrowerDep, svc: ServicesDep, line: int | None = None
) -> Response:
    """支用 the form: amount, term, method; the preview fills in as the borrower types."""
    view = _line_view(svc, own_customer(reader, svc), line)
    values = {
        "amount": "",
        "term": str(max(view.product.terms_months)),
        "method": view.line.methods[0].value,
        "key": new_key(),
    }
    return _draw_form(request, reader, view, values)


def _preview(
    svc: Services, request: Request, line_id: int, amount: str, term: str, method: str
) -> Schedule:
    return svc.lending.preview(
        line_id, amount_of(request, amount, "field.amount"), term_of(term), method
    )


@router.get("/draw/preview")
def draw_preview(
    request: Request,
    reader: BorrowerDep,
    svc: ServicesDep,
    line_id: int,
    amount: str = "",
    term: str = "",
    method: str = "",
) -> Response:
    """试算 htmx fragment: the schedule with its APR, or why there is none (nothing written)."""
    authorize(reader.principal, Action.READ, line_scope(line_id, svc))
    context: dict[str, object] = {"schedule": None, "problem": None}
    if amount.strip():
        try:
            schedule = _preview(svc, request, line_id, amount, term, method)
            context.update(schedule=schedule, price=price(schedule.rate_annual, schedule.apr))
        except PuhuiError as exc:
            context["problem"] = error_message(request, exc)
    return render(request, "_preview.html", context, reader=reader)


@router.post("/draw")
def draw(
    request: Request,
    reader: BorrowerDep,
    svc: ServicesDep,
    line_id: Annotated[int, Form()],
    key: Annotated[str, Form(max_length=64)],
    amount: Annotated[str, Form(max_length=20)] = "",
    term: Annotated[str, Form(max_length=3)] = "",
    method: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Disburse to the wallet, then show the wallet with the money that arrived."""
    authorize(reader.principal, Action.DRAW, line_scope(line_id, svc))
    try:
        result = svc.lending.draw(
            namespaced_key(reader.principal, key),
            line_id,
            amount_of(request, amount, "field.amount"),
            term_of(term),
            method,
        )
    except PuhuiError as exc:
        view = _line_view(svc, own_customer(reader, svc), line_id)
        values = {"amount": amount, "term": term, "method": method, "key": key}
        errors = {FIELD_OF.get(exc.code, "form"): error_message(request, exc)}
        return _draw_form(request, reader, view, values, errors, exc.http_status)
    raise Redirect(f"/wallet?drawn={result.loan_id}")


def _repay_form(
    request: Request,
    reader: Viewer,
    svc: Services,
    loan_id: int,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    item = svc.lending.loan(loan_id)
    if item.status.closed:
        raise Redirect(f"/loans/{loan_id}")
    next_due, next_fen = next_row_due_fen(item)
    return render(
        request,
        "repay.html",
        {
            "loan": item,
            "payoff_fen": svc.lending.payoff(loan_id),
            "next_due": next_due,
            "next_fen": next_fen,
            "wallet_fen": wallet_fen(svc, item.customer_id),
            "values": values,
            "errors": errors or {},
        },
        reader=reader,
        status=status,
    )


@router.get("/loans/{loan_id}/repay")
def repay_form(request: Request, loan_id: int, reader: BorrowerDep, svc: ServicesDep) -> Response:
    """还款 an amount (dues first, the rest prepays) or settle in full with the payoff quote."""
    authorize(reader.principal, Action.REPAY, loan_scope(loan_id, svc))
    _, next_fen = next_row_due_fen(svc.lending.loan(loan_id))
    values = {
        "mode": "amount",
        "amount": str(from_fen(next_fen)),
        "source": "wallet",
        "key": new_key(),
    }
    return _repay_form(request, reader, svc, loan_id, values)


@router.post("/loans/{loan_id}/repay")
def repay(
    request: Request,
    loan_id: int,
    reader: BorrowerDep,
    svc: ServicesDep,
    key: Annotated[str, Form(max_length=64)],
    mode: Annotated[str, Form(max_length=10)] = "amount",
    amount: Annotated[str, Form(max_length=20)] = "",
    source: Annotated[str, Form(max_length=10)] = "wallet",
) -> Response:
    authorize(reader.principal, Action.REPAY, loan_scope(loan_id, svc))
    try:
        if mode not in ("amount", "full") or source not in ("wallet", "card"):
            raise i18n.error(ValidationError, "FORM_INVALID", "err.form")
        svc.lending.repay(
            namespaced_key(reader.principal, key),
            loan_id,
            None if mode == "full" else amount_of(request, amount, "field.repay_amount"),
            from_channel=source == "card",
        )
    except PuhuiError as exc:
        values = {"mode": mode, "amount": amount, "source": source, "key": key}
        errors = {FIELD_OF.get(exc.code, "form"): error_message(request, exc)}
        return _repay_form(request, reader, svc, loan_id, values, errors, exc.http_status)
    # the page shows the loan as it now is; the query only says "thank you"
    raise Redirect(f"/loans/{loan_id}?repaid=1")
