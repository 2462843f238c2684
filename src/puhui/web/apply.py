"""Apply and offer 申请与授信结果 — the pages the 310 decision and consent will drive.

Kept apart on purpose: the decision engine and the consent registry (issue 6, part 1) are being
built on ``main``. Until they land these pages make no decision and fake no approval: ``/apply``
explains what data the lender will use with the applicant's consent and says that, for now, the
lender grants the line; ``/offer`` shows a line the lender has granted (``services.lending``).

Integration point (issue 6): the lead wires
- ``POST /apply`` — record the consent from the form (``consent`` checkbox, CSRF-checked by
  ``ViewerDep``), call the 310 decision for ``reader.principal.customer_id`` with an
  idempotency key made when ``/apply`` was rendered, then redirect to ``/offer?decision=ID``;
- :func:`current_offer` — return the decision's offer (limit, APR, methods, reasons) instead of
  the newest line; an adverse decision shows its reasons and "request human review".
Nothing else in ``web`` needs to change: ``/offer`` links to ``/draw``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from puhui.api.deps import Services, ServicesDep
from puhui.web.borrower import LineView, line_views, own_customer
from puhui.web.pages import BorrowerDep, PageRoute, Redirect, Viewer, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def current_offer(svc: Services, reader: Viewer) -> LineView | None:
    """The offer to show: today the newest line the lender granted (no decision engine yet)."""
    views = line_views(svc, own_customer(reader, svc))
    return max(views, key=lambda v: v.line.line_id) if views else None


@router.get("/apply")
def apply_page(request: Request, reader: BorrowerDep, svc: ServicesDep) -> Response:
    """申请额度 consent text and where the application stands."""
    return render(request, "apply.html", {"offer": current_offer(svc, reader)}, reader=reader)


@router.get("/offer")
def offer_page(request: Request, reader: BorrowerDep, svc: ServicesDep) -> Response:
    """授信结果 the line granted: limit, APR with the daily rate, methods, expiry."""
    offer = current_offer(svc, reader)
    if offer is None:
        raise Redirect("/apply")
    return render(request, "offer.html", {"offer": offer}, reader=reader)
