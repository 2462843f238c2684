"""Register, log in, log out, who am I; staff accounts (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from puhui.api import schemas
from puhui.api.authz import Action, authorize
from puhui.api.deps import SESSION_COOKIE, PrincipalDep, ServicesDep, now, session_token
from puhui.logs import redact
from puhui.services.accounts import SESSION_TTL
from puhui.store.users import User

router = APIRouter(prefix="/auth", tags=["auth"])


def user_out(user: User) -> schemas.UserOut:
    return schemas.UserOut(
        user_id=user.user_id,
        role=user.role,
        display_name=user.display_name,
        county=user.county,
        customer_id=user.customer_id,
        phone_masked=redact(user.phone),
    )


@router.post("/register", status_code=status.HTTP_201_CREATED)
def register(body: schemas.RegisterIn, svc: ServicesDep) -> schemas.UserOut:
    """注册 A borrower account: phone, password, real name and identity number (validated;
    kept only encrypted). Township and village come from the county's household register."""
    done = svc.onboarding.register(
        body.phone, body.password, body.name, body.id_number, now(), body.segment
    )
    out = user_out(done.user)
    return out.model_copy(update={"in_county_register": done.in_county_register})


@router.post("/login")
def login(
    body: schemas.LoginIn, request: Request, response: Response, svc: ServicesDep
) -> schemas.SessionOut:
    """登录 Returns a bearer token and sets the session cookie (HttpOnly, Secure, SameSite)."""
    client = request.client.host if request.client else "-"
    session = svc.accounts.login(body.phone, body.password, client, now())
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        secure=svc.settings.env != "development" or request.url.scheme == "https",
        samesite="lax",
        path="/",
    )
    return schemas.SessionOut(
        token=session.token, csrf_token=session.csrf_token, user=user_out(session.user)
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, principal: PrincipalDep, svc: ServicesDep) -> None:
    """退出 Revokes the session."""
    token, _ = session_token(request)
    if token:
        svc.accounts.logout(token)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me")
def me(principal: PrincipalDep, svc: ServicesDep) -> schemas.UserOut:
    from puhui.store.users import get_user

    with svc.db.read() as conn:
        return user_out(get_user(conn, principal.user_id))


@router.post("/staff", status_code=status.HTTP_201_CREATED)
def add_staff(body: schemas.StaffIn, principal: PrincipalDep, svc: ServicesDep) -> schemas.UserOut:
    """Admin only: an officer, risk manager, admin or government viewer account."""
    authorize(principal, Action.MANAGE_USERS)
    user = svc.accounts.add_staff(
        body.phone, body.password, body.role, body.name, body.county, now()
    )
    return user_out(user)
