"""Risk monitoring: behaviour-event intake, early-warning alerts, reversing an automatic action,
and the borrower's notifications (in-app reminders)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from puhui.api import schemas
from puhui.api.authz import Action, Scope, authorize, visible
from puhui.api.deps import CustomerScope, PrincipalDep, ServicesDep, customer_scope, now
from puhui.errors import Conflict
from puhui.services.reminders import ReminderService
from puhui.services.risk import RiskService

router = APIRouter(tags=["risk 风险监测"])

#: Events one intake request may carry.
MAX_BATCH_EVENTS = 5000


def risk_service(request: Request) -> RiskService:
    return request.app.state.risk


def reminder_service(request: Request) -> ReminderService:
    return request.app.state.reminders


RiskDep = Annotated[RiskService, Depends(risk_service)]
RemindersDep = Annotated[ReminderService, Depends(reminder_service)]


class EventsIn(schemas.In):
    events: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_BATCH_EVENTS,
        description=(
            "Behaviour events: event_id (client key), kind, occurred_on, person_key or "
            "customer_id, and the kind's fields (docs/risk.md). A batch with any bad event is "
            "refused whole (422); a replayed event_id is skipped."
        ),
    )


class EventsOut(schemas.Out):
    received: int
    stored: int
    replayed: int


class ActionOut(schemas.Out):
    action_id: int
    kind: str
    status: str
    note: str
    line_id: int | None
    status_before: str | None
    status_after: str | None
    limit_before: str | None
    limit_after: str | None
    reversed_by: str | None
    reverse_reason: str | None


class AlertOut(schemas.Out):
    alert_id: int
    rule: str
    severity: int
    business_date: date
    customer_id: int | None
    line_id: int | None
    loan_id: int | None
    reason_zh: str
    reason_en: str
    evidence: dict[str, Any]
    actions: list[ActionOut]


class ReverseIn(schemas.In):
    reason: str = Field(min_length=1, max_length=500, description="why the action is undone")


class ReverseOut(schemas.Out):
    alert_id: int
    actions_reversed: int
    line_id: int | None
    line_status: str | None
    limit: str | None


class NotificationOut(schemas.Out):
    notification_id: int
    kind: str
    title_zh: str
    body_zh: str
    created_at: str


def _money(fen: int | None) -> str | None:
    return None if fen is None else schemas.yuan(fen)


def _action_out(row: dict[str, Any]) -> ActionOut:
    return ActionOut(
        action_id=row["id"],
        kind=row["kind"],
        status=row["status"],
        note=row["note"],
        line_id=row["line_id"],
        status_before=row["status_before"],
        status_after=row["status_after"],
        limit_before=_money(row["limit_before_fen"]),
        limit_after=_money(row["limit_after_fen"]),
        reversed_by=row["reversed_by"],
        reverse_reason=row["reverse_reason"],
    )


@router.post("/risk/events")
def ingest_events(body: EventsIn, principal: PrincipalDep, risk: RiskDep) -> EventsOut:
    """行为事件 Take in a batch of behaviour events (risk team and admin only)."""
    authorize(principal, Action.INGEST_EVENTS)
    result = risk.ingest(body.events, now())
    return EventsOut(received=result.received, stored=result.stored, replayed=result.replayed)


@router.get("/risk/alerts")
def list_alerts(
    principal: PrincipalDep,
    risk: RiskDep,
    since: date | None = None,
    min_severity: Annotated[int, Query(ge=0, le=4)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AlertOut]:
    """预警 Alerts the caller may see (an officer's county; risk and admin: all), newest first."""
    authorize(principal, Action.READ_ALERTS)
    scope = visible(principal)
    if scope.nothing:
        return []
    found = risk.alerts(
        customer_id=scope.customer_id,
        county=scope.county,
        since=since,
        min_severity=min_severity,
        limit=limit,
    )
    return [
        AlertOut(
            alert_id=a.alert_id,
            rule=a.rule,
            severity=a.severity,
            business_date=a.business_date,
            customer_id=a.customer_id,
            line_id=a.line_id,
            loan_id=a.loan_id,
            reason_zh=a.reason_zh,
            reason_en=a.reason_en,
            evidence=a.evidence,
            actions=[_action_out(x) for x in actions],
        )
        for a, actions in found
    ]


def _alert_scope(alert_id: int, svc: ServicesDep, risk: RiskDep) -> Scope | None:
    alert = risk.alert_detail(alert_id)["alert"]
    if alert.customer_id is None:
        return None
    return customer_scope(alert.customer_id, svc)


@router.post("/risk/alerts/{alert_id}/reverse")
def reverse_alert(
    alert_id: int,
    body: ReverseIn,
    principal: PrincipalDep,
    svc: ServicesDep,
    risk: RiskDep,
) -> ReverseOut:
    """撤销处置 Undo an alert's automatic line actions, restoring the line; audited."""
    scope = _alert_scope(alert_id, svc, risk)
    if scope is None:
        authorize(principal, Action.REVERSE_ACTION)
        raise Conflict(
            "NOTHING_TO_REVERSE",
            "该预警没有关联客户，无额度处置可撤销",
            f"alert {alert_id} names no customer; nothing to reverse",
        )
    authorize(principal, Action.REVERSE_ACTION, scope)
    result = risk.reverse(alert_id, f"user:{principal.user_id}", body.reason, now())
    return ReverseOut(
        alert_id=result.alert_id,
        actions_reversed=result.actions_reversed,
        line_id=result.line_id,
        line_status=result.line_status,
        limit=_money(result.limit_fen),
    )


def _notifications(reminders: ReminderService, customer_id: int) -> list[NotificationOut]:
    return [
        NotificationOut(
            notification_id=n["id"],
            kind=n["kind"],
            title_zh=n["title_zh"],
            body_zh=n["body_zh"],
            created_at=n["created_at"].isoformat(),
        )
        for n in reminders.notifications(customer_id)
    ]


@router.get("/notifications")
def my_notifications(principal: PrincipalDep, reminders: RemindersDep) -> list[NotificationOut]:
    """我的消息 The caller's own in-app notifications (a borrower's reminders), newest first."""
    if principal.customer_id is None:
        return []
    scope = Scope(customer_id=principal.customer_id, county=principal.county)
    authorize(principal, Action.READ, scope)
    return _notifications(reminders, principal.customer_id)


@router.get("/customers/{customer_id}/notifications")
def customer_notifications(
    customer_id: int, scope: CustomerScope, principal: PrincipalDep, reminders: RemindersDep
) -> list[NotificationOut]:
    """A customer's in-app notifications (the borrower, their county's officer, risk, admin)."""
    authorize(principal, Action.READ, scope)
    return _notifications(reminders, customer_id)
