"""Request dependencies: services, the caller (principal), record scopes, idempotency keys.

Authentication: the session token comes from the ``puhui_session`` cookie (browser) or an
``Authorization: Bearer`` header (API client). A cookie-authenticated request that changes
anything must also carry the session's CSRF token (``X-CSRF-Token`` header, or the
``csrf_token`` form field the web pages add), so another site cannot make a borrower's browser
act for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Path, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from puhui.api.authz import Principal, Role, Scope
from puhui.errors import Forbidden, NotFound, ValidationError
from puhui.services.accounts import Unauthenticated, live_session
from puhui.services.wiring import Services
from puhui.store.idempotency import check_key
from puhui.store.tables import credit_line, customer, loan
from puhui.store.users import User

#: Record ids are positive 64-bit integers (53 bits keeps them exact in JavaScript, too).
MAX_RECORD_ID = 2**53 - 1
RecordId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID, description="record id")]

SESSION_COOKIE = "puhui_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

T = TypeVar("T")


async def services(request: Request) -> Services:
    # ``async``: FastAPI runs a plain ``def`` dependency in the thread pool, a hop per request.
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(services)]


def now() -> datetime:
    return datetime.now(UTC)


def session_token(request: Request) -> tuple[str | None, bool]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    return request.cookies.get(SESSION_COOKIE), True


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a request presents to be served: its session token and, for a
    cookie-authenticated write, the CSRF token it sent (``csrf_checked``)."""

    token: str
    csrf_checked: bool
    csrf_sent: str | None

    def admit(self, found: tuple[User, str] | None) -> tuple[User, str]:
        """The session looked up for the token, if live and (for a cookie-authenticated
        write) the CSRF token sent is the session's; else the refusal."""
        user, csrf = live_session(found)
        if self.csrf_checked and self.csrf_sent != csrf:
            raise Forbidden(
                "CSRF_FAILED",
                "页面已过期，请刷新后重试",
                "missing or wrong CSRF token; reload the page and try again",
            )
        return user, csrf


async def credentials(request: Request) -> Credentials:
    """The request's credentials (the form is read only for a cookie-authenticated form
    post without the CSRF header); ``Unauthenticated`` without a session token."""
    token, from_cookie = session_token(request)
    if not token:
        raise Unauthenticated("NOT_LOGGED_IN", "请先登录", "log in first")
    checked = from_cookie and request.method not in SAFE_METHODS
    sent = request.headers.get(CSRF_HEADER) if checked else None
    if checked and sent is None and "form" in request.headers.get("content-type", ""):
        sent = (await request.form()).get("csrf_token")  # type: ignore[assignment]
    return Credentials(token, checked, sent)


async def with_session(request: Request, svc: Services, then: Callable[[User, str], T]) -> T:
    """Look up the live session and run ``then(user, csrf_token)`` with it, in one trip to the
    thread pool: the lookup waits on the database, so the event loop keeps serving, and a
    blocking ``then`` shares the trip instead of taking a second one. A cookie-authenticated
    write must carry the session's CSRF token (checked before ``then``)."""
    presented = await credentials(request)

    def run() -> T:
        user, csrf = presented.admit(
            svc.accounts.sessions([presented.token], now()).get(presented.token)
        )
        request.state.user_id = user.user_id
        return then(user, csrf)

    return await run_in_threadpool(run)


async def session_of(request: Request, svc: Services) -> tuple[User, str]:
    """The live session's user and CSRF token."""
    return await with_session(request, svc, lambda user, csrf: (user, csrf))


def principal_of(user: User) -> Principal:
    return Principal(
        user_id=user.user_id,
        role=Role(user.role),
        county=user.county,
        customer_id=user.customer_id,
        person_key=user.person_key,
    )


async def current_principal(request: Request, svc: ServicesDep) -> Principal:
    return await with_session(request, svc, lambda user, _: principal_of(user))


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def namespaced_key(principal: Principal, key: str | None) -> str:
    """The client's key, namespaced by user so two users' keys can never collide."""
    if key is None:
        raise ValidationError(
            "IDEMPOTENCY_KEY_REQUIRED",
            "该请求会动用资金，必须带 Idempotency-Key 请求头",
            "this request moves money and needs an Idempotency-Key header",
        )
    return f"u{principal.user_id}:{check_key(key)}"


#: The ``Idempotency-Key`` header as sent (``namespaced_key`` checks it).
IdempotencyHeader = Annotated[str | None, Header(alias="Idempotency-Key")]


async def idempotency_key(principal: PrincipalDep, key: IdempotencyHeader = None) -> str:
    return namespaced_key(principal, key)


IdempotencyKeyDep = Annotated[str, Depends(idempotency_key)]


def _scope(svc: Services, customer_id: int | None, what: str, ident: int) -> Scope:
    if customer_id is None:
        raise NotFound(f"{what.upper()}_NOT_FOUND", f"记录不存在：{ident}", f"no {what} {ident}")
    with svc.db.read() as conn:
        county = conn.execute(
            select(customer.c.county).where(customer.c.id == customer_id)
        ).scalar()
    if county is None:
        raise NotFound("CUSTOMER_NOT_FOUND", "客户不存在", f"no customer {customer_id}")
    return Scope(customer_id=customer_id, county=county)


def customer_scope(customer_id: RecordId, svc: ServicesDep) -> Scope:
    return _scope(svc, customer_id, "customer", customer_id)


def line_scope(line_id: RecordId, svc: ServicesDep) -> Scope:
    with svc.db.read() as conn:
        owner = conn.execute(
            select(credit_line.c.customer_id).where(credit_line.c.id == line_id)
        ).scalar()
    return _scope(svc, owner, "line", line_id)


def loan_scope(loan_id: RecordId, svc: ServicesDep) -> Scope:
    with svc.db.read() as conn:
        owner = conn.execute(select(loan.c.customer_id).where(loan.c.id == loan_id)).scalar()
    return _scope(svc, owner, "loan", loan_id)


CustomerScope = Annotated[Scope, Depends(customer_scope)]
LineScope = Annotated[Scope, Depends(line_scope)]
LoanScope = Annotated[Scope, Depends(loan_scope)]
