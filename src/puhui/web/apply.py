"""Apply and decision 申请与审批结果 — the 310 pages.

``/apply`` says what data the lender uses and asks for consent with one tick; submitting records
the consent (if not held) and runs the automated decision (``services.applications``) with the
form's idempotency key, so a double submit decides once. ``/offer`` shows the newest decision:
an approval with its limit, APR next to the daily rate, methods and expiry; a decline with its
plain-Chinese reasons and reason codes and the applicant's right to a human review.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from puhui.api.authz import Action, authorize
from puhui.api.deps import Services, ServicesDep, customer_scope, now
from puhui.data.consent import Channel, Purpose, parse_scope
from puhui.errors import Forbidden, PuhuiError
from puhui.services.applications import decision_from_dict
from puhui.store import decisions as decision_store
from puhui.store.decisions import StoredDecision
from puhui.web import i18n
from puhui.web.borrower import LineView, line_views, own_customer
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
PRODUCT = "xintai_farmer_line"


def _identity(reader: Viewer, svc: Services) -> tuple[int, str]:
    customer_id = own_customer(reader, svc)
    if reader.principal.person_key is None:
        raise i18n.error(Forbidden, "IDENTITY_REQUIRED", "err.no_customer")
    return customer_id, reader.principal.person_key


def latest_decision(svc: Services, person_key: str) -> StoredDecision | None:
    with svc.db.read() as conn:
        found = decision_store.decisions_of(conn, person_key, limit=1)
    return found[0] if found else None


def current_offer(svc: Services, reader: Viewer) -> LineView | None:
    """The newest line the borrower holds (the one an approval opened)."""
    views = line_views(svc, own_customer(reader, svc))
    return max(views, key=lambda v: v.line.line_id) if views else None


def _apply_page(
    request: Request, reader: Viewer, svc: Services, error: str | None = None, status: int = 200
) -> Response:
    own_customer(reader, svc)
    person_key = reader.principal.person_key
    context = {
        "offer": current_offer(svc, reader),
        "identified": person_key is not None,
        "has_consent": person_key is not None
        and svc.consents.is_active(person_key, Purpose.CREDIT_SCORING, now()),
        "key": secrets.token_urlsafe(18),
        "error": error,
    }
    return render(request, "apply.html", context, reader=reader, status=status)


@router.get("/apply")
def apply_page(request: Request, reader: BorrowerDep, svc: ServicesDep) -> Response:
    """申请额度 what data is used, the consent tick, the apply button."""
    return _apply_page(request, reader, svc)


@router.post("/apply")
def apply(
    request: Request,
    reader: BorrowerDep,
    svc: ServicesDep,
    key: Annotated[str, Form(max_length=64)] = "",
    consent: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Consent (when not held yet) and the 310 decision, then the decision page."""
    customer_id, person_key = _identity(reader, svc)
    authorize(reader.principal, Action.APPLY, customer_scope(customer_id, svc))
    moment = now()
    try:
        if not svc.consents.is_active(person_key, Purpose.CREDIT_SCORING, now()):
            if consent != "yes":
                return _apply_page(
                    request,
                    reader,
                    svc,
                    i18n.translator(lang_of(request))("apply.consent_needed"),
                    422,
                )
            svc.consents.grant(
                person_key,
                Purpose.CREDIT_SCORING,
                parse_scope("all"),
                Channel.APP,
                moment,
                note="borrower web app",
            )
        result = svc.applications.apply(
            f"u{reader.principal.user_id}:web:{key}", customer_id, person_key, PRODUCT, moment
        )
    except PuhuiError as exc:
        return _apply_page(request, reader, svc, error_message(request, exc), exc.http_status)
    raise Redirect(f"/offer?decision={result.decision_id}")


@router.get("/offer")
def offer_page(
    request: Request, reader: BorrowerDep, svc: ServicesDep, decision: int | None = None
) -> Response:
    """审批结果 the decision: offer with APR, or reasons and the right to a human review."""
    customer_id = own_customer(reader, svc)
    person_key = reader.principal.person_key
    stored = latest_decision(svc, person_key) if person_key else None
    if decision is not None:
        stored = svc.applications.decision(decision)
        if stored.customer_id != customer_id:
            raise i18n.error(Forbidden, "FORBIDDEN", "err.no_customer")
    offer = current_offer(svc, reader)
    if stored is None:
        if offer is None:
            raise Redirect("/apply")
        # A line granted without an online decision (at the cooperative window).
        context = {"decision": None, "decision_id": None, "offer": offer, "review": None}
        return render(request, "offer.html", context, reader=reader)
    outcome = decision_from_dict(stored.outcome)
    with svc.db.read() as conn:
        review = decision_store.review_of_decision(conn, stored.decision_id)
    context = {
        "decision": outcome,
        "decision_id": stored.decision_id,
        "offer": offer if outcome.approved else None,
        "review": review,
    }
    return render(request, "offer.html", context, reader=reader)


@router.post("/offer/review")
def request_review(
    request: Request,
    reader: BorrowerDep,
    svc: ServicesDep,
    decision: Annotated[int, Form()],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """申请人工复核 the applicant's own request — the only way a person sees the case."""
    customer_id, _ = _identity(reader, svc)
    stored = svc.applications.decision(decision)
    if stored.customer_id != customer_id:
        raise i18n.error(Forbidden, "FORBIDDEN", "err.no_customer")
    authorize(reader.principal, Action.APPLY, customer_scope(customer_id, svc))
    svc.applications.request_review(decision, note, now())
    raise Redirect(f"/offer?decision={decision}")
