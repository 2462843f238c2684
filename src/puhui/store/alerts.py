"""Alerts, the actions taken on them, and the audit trail (``risk_alert``, ``risk_action``,
``risk_audit``).

An alert is stored once per ``alert_key`` (re-evaluating a day inserts nothing new); an action
once per alert and kind; every apply, skip and reversal appends one ``risk_audit`` row, which is
never updated or deleted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, insert, select, update

from puhui.errors import NotFound
from puhui.store.events import insert_ignoring
from puhui.store.tables import customer, risk_action, risk_alert, risk_audit


@dataclass(frozen=True, slots=True)
class StoredAlert:
    alert_id: int
    alert_key: str
    rule: str
    severity: int
    business_date: date
    person_key: str | None
    customer_id: int | None
    line_id: int | None
    loan_id: int | None
    reason_zh: str
    reason_en: str
    evidence: dict[str, Any]


def _alert(row: Any) -> StoredAlert:
    return StoredAlert(
        alert_id=int(row.id),
        alert_key=row.alert_key,
        rule=row.rule,
        severity=int(row.severity),
        business_date=row.business_date,
        person_key=row.person_key,
        customer_id=row.customer_id,
        line_id=row.line_id,
        loan_id=row.loan_id,
        reason_zh=row.reason_zh,
        reason_en=row.reason_en,
        evidence=json.loads(row.evidence),
    )


def insert_new_alerts(
    conn: Connection, alerts: pd.DataFrame, rules_version: str, now: datetime
) -> list[StoredAlert]:
    """Store the alerts whose key is new; return just those (with their ids)."""
    if alerts.empty:
        return []
    keys = alerts["alert_key"].tolist()
    rows = []
    for record in alerts.to_dict("records"):
        row = {k: (None if k != "score" and pd.isna(v) else v) for k, v in record.items()}
        for name in ("customer_id", "line_id", "loan_id", "severity"):
            row[name] = None if row[name] is None else int(row[name])
        row["business_date"] = row.pop("occurred_on")
        row["rules_version"] = rules_version
        row["created_at"] = now
        rows.append(row)
    before = set(
        conn.execute(
            select(risk_alert.c.alert_key).where(risk_alert.c.alert_key.in_(keys))
        ).scalars()
    )
    insert_ignoring(
        conn, risk_alert, [r for r in rows if r["alert_key"] not in before], ["alert_key"]
    )
    fresh = [k for k in keys if k not in before]
    if not fresh:
        return []
    query = select(risk_alert).where(risk_alert.c.alert_key.in_(fresh)).order_by(risk_alert.c.id)
    return [_alert(r) for r in conn.execute(query)]


def get_alert(conn: Connection, alert_id: int) -> StoredAlert:
    row = conn.execute(select(risk_alert).where(risk_alert.c.id == alert_id)).first()
    if row is None:
        raise NotFound("ALERT_NOT_FOUND", f"预警不存在：{alert_id}", f"no alert {alert_id}")
    return _alert(row)


def record_action(conn: Connection, alert_id: int, kind: str, now: datetime, **values: Any) -> int:
    """Insert one action row (unique per alert and kind) and return its id."""
    result = conn.execute(
        insert(risk_action).values(alert_id=alert_id, kind=kind, applied_at=now, **values)
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def actions_of(conn: Connection, alert_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in alert_ids}
    if not alert_ids:
        return out
    query = (
        select(risk_action)
        .where(risk_action.c.alert_id.in_(list(alert_ids)))
        .order_by(risk_action.c.id)
    )
    for row in conn.execute(query).mappings():
        out[int(row["alert_id"])].append(dict(row))
    return out


def mark_reversed(conn: Connection, action_id: int, now: datetime, actor: str, reason: str) -> None:
    conn.execute(
        update(risk_action)
        .where(risk_action.c.id == action_id)
        .values(status="reversed", reversed_at=now, reversed_by=actor, reverse_reason=reason)
    )


def audit(
    conn: Connection,
    *,
    at: datetime,
    actor: str,
    what: str,
    alert_id: int,
    action_id: int,
    line_id: int | None,
    detail: dict[str, Any],
) -> None:
    conn.execute(
        insert(risk_audit).values(
            at=at,
            actor=actor,
            what=what,
            alert_id=alert_id,
            action_id=action_id,
            line_id=line_id,
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
        )
    )


def audit_of(conn: Connection, alert_id: int) -> list[dict[str, Any]]:
    query = select(risk_audit).where(risk_audit.c.alert_id == alert_id).order_by(risk_audit.c.id)
    return [dict(r) for r in conn.execute(query).mappings()]


def list_alerts(
    conn: Connection,
    *,
    customer_id: int | None = None,
    county: str | None = None,
    since: date | None = None,
    min_severity: int = 0,
    limit: int = 200,
) -> list[StoredAlert]:
    """Newest first, filtered by customer, the customer's county, date and severity."""
    query = select(risk_alert).where(risk_alert.c.severity >= min_severity)
    if customer_id is not None:
        query = query.where(risk_alert.c.customer_id == customer_id)
    if county is not None:
        query = query.join(customer, customer.c.id == risk_alert.c.customer_id).where(
            customer.c.county == county
        )
    if since is not None:
        query = query.where(risk_alert.c.business_date >= since)
    query = query.order_by(risk_alert.c.id.desc()).limit(limit)
    return [_alert(r) for r in conn.execute(query)]
