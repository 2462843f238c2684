"""Staff pages: the officer's county book, the inclusion dashboard, the portfolio overview.

Who sees what is decided by ``authz`` alone: the book listings reuse the API's listing
functions (which apply ``visible``), the aggregates come through ``aggregate_county`` (an
officer or government viewer sees their county, risk and admin the whole book), and freezing a
line asks ``authorize(MANAGE_LINE)`` for that line. The government viewer sees aggregates only:
no names, no loans.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request, Response

from puhui.api.authz import Action, Principal, Role, allowed, authorize
from puhui.api.deps import Services, ServicesDep, line_scope
from puhui.api.routers.lines import list_lines
from puhui.api.routers.loans import list_loans
from puhui.api.routers.stats import portfolio_stats
from puhui.api.schemas import PortfolioOut
from puhui.loans import AssetClass, LineStatus
from puhui.store import loans as loan_store
from puhui.web import i18n
from puhui.web.pages import PageRoute, Redirect, Viewer, ViewerDep, lang_of, render

router = APIRouter(prefix="/staff", route_class=PageRoute, include_in_schema=False)

START = {
    Role.OFFICER: "/staff/officer",
    Role.RISK: "/staff/portfolio",
    Role.ADMIN: "/staff/portfolio",
    Role.GOVERNMENT: "/staff/inclusion",
}
#: What the officer page's freeze / unfreeze buttons do.
MOVES = {"freeze": LineStatus.FROZEN, "unfreeze": LineStatus.ACTIVE}
#: Loans on the portfolio page's watch list, furthest past due first.
WATCH_LIST = 20
TEN_THOUSAND = Decimal(10_000)


def staff_links(principal: Principal) -> list[tuple[str, str]]:
    """(path, message key) of the staff pages this reader may open."""
    links = []
    if allowed(principal, Action.READ, None):
        links.append(("/staff/officer", "staff.nav.book"))
    if allowed(principal, Action.AGGREGATE, None):
        links.append(("/staff/inclusion", "staff.nav.inclusion"))
    if allowed(principal, Action.READ, None) and allowed(principal, Action.AGGREGATE, None):
        links.append(("/staff/portfolio", "staff.nav.portfolio"))
    return links


@router.get("")
def staff_home(reader: ViewerDep) -> Response:
    raise Redirect(START.get(reader.principal.role, "/line"))


def _names(svc: Services, customer_ids: set[int]) -> dict[int, str]:
    with svc.db.read() as conn:
        return {cid: loan_store.get_customer(conn, cid)["name"] for cid in sorted(customer_ids)}


@router.get("/officer")
def officer_page(
    request: Request, reader: ViewerDep, svc: ServicesDep, done: str = "", line: int = 0
) -> Response:
    """信贷员 the county's lines (freeze / unfreeze) and loans with status, DPD and 五级分类."""
    authorize(reader.principal, Action.READ)
    if done in MOVES and line:  # confirm only what is true of the line now
        authorize(reader.principal, Action.READ, line_scope(line, svc))
        done = done if svc.lending.line(line).status is MOVES[done] else ""
    lines = list_lines(reader.principal, svc)
    loans = sorted(list_loans(reader.principal, svc), key=lambda x: (-x.days_past_due, -x.loan_id))
    return render(
        request,
        "staff/officer.html",
        {
            "lines": lines,
            "loans": loans,
            "names": _names(svc, {x.customer_id for x in lines} | {x.customer_id for x in loans}),
            "may_manage": allowed(reader.principal, Action.MANAGE_LINE, None),
            "done": done if done in MOVES else "",
            "done_line": line,
            "links": staff_links(reader.principal),
        },
        reader=reader,
    )


@router.post("/lines/{line_id}/{move}")
def line_status(line_id: int, move: str, reader: ViewerDep, svc: ServicesDep) -> Response:
    """冻结 / 解冻 a line; ``authz`` decides whether this reader may, for this line."""
    target = MOVES.get(move)
    if target is None:
        raise Redirect("/staff/officer")
    authorize(reader.principal, Action.MANAGE_LINE, line_scope(line_id, svc))
    svc.lending.set_line_status(line_id, target)
    raise Redirect(f"/staff/officer?done={move}&line={line_id}")


def _wan(amount: str) -> str:
    """Yuan string → 万元 with two decimals, for chart axes."""
    return str((Decimal(amount) / TEN_THOUSAND).quantize(Decimal("0.01")))


def _charts(figures: PortfolioOut, t: i18n.Translate) -> dict[str, dict[str, Any]]:
    classes = [c.value for c in AssetClass]
    return {
        "township": {
            "kind": "bar",
            "title": t("chart.by_township"),
            "unit": t("unit.wan"),
            "labels": list(figures.by_township),
            "values": [_wan(v) for v in figures.by_township.values()],
        },
        "classes": {
            "kind": "pie",
            "title": t("chart.by_class"),
            "unit": t("unit.wan"),
            "labels": [t(f"asset_class.{c}") for c in classes],
            "values": [_wan(figures.by_class.get(c, "0")) for c in classes],
        },
    }


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.2%}" if whole else "—"


def _dashboard(request: Request, reader: Viewer, svc: Services) -> dict[str, Any]:
    figures = portfolio_stats(reader.principal, svc)
    t = i18n.translator(lang_of(request))
    return {
        "figures": figures,
        "charts": _charts(figures, t),
        "usage_ratio": _ratio(figures.borrowers_now, figures.lines_active),
        "links": staff_links(reader.principal),
    }


@router.get("/inclusion")
def inclusion_page(request: Request, reader: ViewerDep, svc: ServicesDep) -> Response:
    """普惠成效 reach, borrowers now, balance, NPL, by township — aggregates only."""
    return render(request, "staff/inclusion.html", _dashboard(request, reader, svc), reader=reader)


@router.get("/portfolio")
def portfolio_page(request: Request, reader: ViewerDep, svc: ServicesDep) -> Response:
    """资产质量 the classification chart and the loans furthest past due."""
    authorize(reader.principal, Action.READ)
    context = _dashboard(request, reader, svc)
    overdue = [x for x in list_loans(reader.principal, svc) if x.days_past_due > 0]
    context["watch"] = sorted(overdue, key=lambda x: -x.days_past_due)[:WATCH_LIST]
    return render(request, "staff/portfolio.html", context, reader=reader)
