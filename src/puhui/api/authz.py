"""Authorisation 权限: the one place that decides who may see or do what.

Roles (角色): ``borrower`` 借款人, ``officer`` 信贷员 (cooperative window, own county),
``risk`` 风控 (the lender's risk team), ``admin`` 管理员, ``government`` 政府 (aggregates only).

Every endpoint calls :func:`authorize` with an action and the scope of the record it touches.
The rules, in full:

- an action must be in the role's permission set (:data:`PERMISSIONS`);
- a borrower may touch only records of their own customer id;
- an officer only records whose customer lives in the officer's county;
- risk and admin act on every county;
- the government viewer has no per-person action at all — only ``aggregate:read``;
- behaviour events are taken in only from the risk team and admins (``events:ingest``);
  alerts are read, and automatic actions reversed, by officers (their county), risk and admin.

``tests/api/test_authz.py`` walks every role × every endpoint × own/other record.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from puhui.errors import Forbidden


class Role(StrEnum):
    BORROWER = "borrower"
    OFFICER = "officer"
    RISK = "risk"
    ADMIN = "admin"
    GOVERNMENT = "government"


class Action(StrEnum):
    READ = "record:read"  # lines, loans, schedules, statements, wallet
    DRAW = "loan:draw"
    REPAY = "loan:repay"
    DEPOSIT = "wallet:move"
    MANAGE_LINE = "line:manage"  # freeze, unfreeze, close, change limit
    GRANT = "line:grant"  # open a line for a customer directly (officer-assisted)
    AGGREGATE = "aggregate:read"
    MANAGE_USERS = "users:manage"
    INGEST_EVENTS = "events:ingest"  # behaviour-event intake (partner feeds, the scoring engine)
    READ_ALERTS = "alerts:read"  # early-warning alerts and the actions taken
    REVERSE_ACTION = "alerts:reverse"  # undo an automatic action, with a reason
    APPLY = "credit:apply"  # apply for a line (the 310 decision), consent, ask for a review
    HANDLE_REVIEW = "review:handle"  # decide a human review the applicant asked for


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.BORROWER: frozenset(
        {Action.READ, Action.DRAW, Action.REPAY, Action.DEPOSIT, Action.APPLY}
    ),
    Role.OFFICER: frozenset(
        {
            Action.READ,
            Action.REPAY,
            Action.DEPOSIT,
            Action.MANAGE_LINE,
            Action.AGGREGATE,
            Action.READ_ALERTS,
            Action.REVERSE_ACTION,
            Action.HANDLE_REVIEW,
        }
    ),
    Role.RISK: frozenset(
        {
            Action.READ,
            Action.MANAGE_LINE,
            Action.GRANT,
            Action.AGGREGATE,
            Action.INGEST_EVENTS,
            Action.READ_ALERTS,
            Action.REVERSE_ACTION,
        }
    ),
    Role.ADMIN: frozenset(Action),
    Role.GOVERNMENT: frozenset({Action.AGGREGATE}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a logged-in user."""

    user_id: int
    role: Role
    county: str
    customer_id: int | None
    #: The borrower's person key 人员标识 (None until registered with an identity number).
    person_key: str | None = None


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose record an action touches (``None`` for book-wide actions)."""

    customer_id: int
    county: str


def allowed(principal: Principal, action: Action, scope: Scope | None) -> bool:
    if action not in PERMISSIONS[principal.role]:
        return False
    if scope is None:  # book-wide actions (aggregates, lists filtered by the caller)
        return True
    if principal.role is Role.BORROWER:
        return principal.customer_id == scope.customer_id
    if principal.role is Role.OFFICER:
        return bool(principal.county) and principal.county == scope.county
    return principal.role in (Role.RISK, Role.ADMIN)


def authorize(principal: Principal, action: Action, scope: Scope | None = None) -> None:
    """Raise ``FORBIDDEN`` unless ``principal`` may do ``action`` on ``scope``."""
    if not allowed(principal, action, scope):
        raise Forbidden(
            "FORBIDDEN",
            "您无权访问该记录或执行该操作",
            f"role {principal.role.value} may not {action.value} here",
        )


@dataclass(frozen=True, slots=True)
class Visibility:
    """Which records a listing may return: one customer's, one county's, or all."""

    customer_id: int | None = None
    county: str | None = None
    nothing: bool = False


def visible(principal: Principal) -> Visibility:
    """The rows a caller may list (the same rules as :func:`authorize`)."""
    if principal.role is Role.BORROWER:
        if principal.customer_id is None:
            return Visibility(nothing=True)
        return Visibility(customer_id=principal.customer_id)
    if principal.role is Role.OFFICER:
        return Visibility(county=principal.county) if principal.county else Visibility(nothing=True)
    if principal.role is Role.GOVERNMENT:
        return Visibility(nothing=True)  # aggregates only, through the stats endpoints
    return Visibility()


def aggregate_county(principal: Principal) -> str | None:
    """County an aggregate is limited to (None = the whole book) for a permitted caller."""
    authorize(principal, Action.AGGREGATE)
    if principal.role in (Role.OFFICER, Role.GOVERNMENT) and principal.county:
        return principal.county
    return None
