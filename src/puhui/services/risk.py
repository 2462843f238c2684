"""Risk monitoring use cases 贷后监测: take in events, run a day's rules, act, reverse.

- :meth:`RiskService.ingest` validates a batch as a whole and stores it in one transaction —
  a bad batch writes nothing; replayed event ids are skipped.
- :meth:`RiskService.run_day` gathers the day's inputs from the store, runs the pure
  ``risk.evaluate_day``, and in **one** serialised write transaction stores the new alerts, applies
  the policy's actions to the credit lines (the same ``CreditLine`` transitions the lending
  service uses) and appends the audit rows. Alert keys are unique, so running a day twice
  raises no new alert and takes no new action.
- :meth:`RiskService.reverse` lets an officer undo an alert's line actions with a reason:
  the line's status and limit go back to exactly what they were before; an audit row says who
  and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Connection, and_, func, or_, select

from puhui.errors import Conflict, ValidationError
from puhui.loans import LineStatus
from puhui.logs import log_event
from puhui.risk import evaluate as risk_eval
from puhui.risk.anomaly import HISTORY_MONTHS, AnomalyModel
from puhui.risk.events import EventKind, validate
from puhui.risk.policy import ActionKind, Policy, load_policy
from puhui.risk.profile import PROFILE_KINDS, monthly_profile
from puhui.risk.rules import RuleKind, RuleSet, load_rules
from puhui.settings import Settings
from puhui.store import alerts as alert_store
from puhui.store import events as event_store
from puhui.store import loans as loan_store
from puhui.store.db import Database
from puhui.store.tables import credit_line, loan, loan_row

SYSTEM_ACTOR = "system:risk"
MAX_REASON_CHARS = 500
_DAILY_KINDS = (
    EventKind.DEVICE_CHANGE.value,
    EventKind.LOCATION_CHANGE.value,
    EventKind.DRAWDOWN.value,
    EventKind.REPAYMENT.value,
)


@dataclass(frozen=True, slots=True)
class IngestResult:
    received: int
    stored: int
    replayed: int


@dataclass(frozen=True, slots=True)
class RunResult:
    business_date: date
    events: int
    alerts_raised: int
    alerts_new: int
    actions_applied: int
    actions_skipped: int


@dataclass(frozen=True, slots=True)
class ReverseResult:
    alert_id: int
    actions_reversed: int
    line_id: int | None
    line_status: str | None
    limit_fen: int | None


def _month_start(on: date, back_months: int) -> date:
    months = on.year * 12 + on.month - 1 - back_months
    return date(months // 12, months % 12 + 1, 1)


class RiskService:
    def __init__(
        self, db: Database, rules: RuleSet, policy: Policy, model: AnomalyModel | None = None
    ) -> None:
        policy.check_rules(rules)
        self.db = db
        self.rules = rules
        self.policy = policy
        self.model = model

    # -- intake ----------------------------------------------------------------------------
    def ingest(
        self, records: Iterable[Mapping[str, Any]] | pd.DataFrame, received_at: datetime
    ) -> IngestResult:
        events = validate(records)
        with self.db.engine.begin() as conn:
            stored, replayed = event_store.insert_events(conn, events, received_at)
        log_event("risk_events_ingested", received=len(events), stored=stored, replayed=replayed)
        return IngestResult(len(events), stored, replayed)

    # -- the day's run ---------------------------------------------------------------------
    def _inputs(self, conn: Connection, on: date) -> risk_eval.DayInput:
        today = event_store.events_on(conn, on)
        persons = set(today["person_key"].dropna().astype(str))
        month_end = (on + timedelta(days=1)).day == 1
        if month_end and self.model is not None:
            persons |= set(event_store.persons_between(conn, on.replace(day=1), on))
        start = _month_start(on, HISTORY_MONTHS - 1)
        hist = event_store.history(conn, sorted(persons), start, on, PROFILE_KINDS)
        window_days = max(
            (r.window_days for r in self.rules.rules if r.kind in _WINDOWED), default=0
        )
        dates = pd.to_datetime(hist["occurred_on"])
        recent = hist[
            hist["kind"].isin(_DAILY_KINDS).fillna(False)
            & (dates < pd.Timestamp(on))
            & (dates >= pd.Timestamp(on - timedelta(days=window_days)))
        ]
        codes = today.loc[today["kind"] == EventKind.DISASTER_NOTICE.value, "township_code"]
        people = event_store.township_people(conn, sorted(set(codes.dropna().astype(str))))
        return risk_eval.DayInput(
            on=on,
            today=today,
            recent=recent,
            profile=monthly_profile(hist),
            dpd=_past_due(conn, on),
            township_people=people,
        )

    def run_day(self, on: date, now: datetime) -> RunResult:
        """Evaluate ``on``'s events and act on the new alerts (idempotent per alert key)."""
        with self.db.read() as conn:
            day = self._inputs(conn, on)
            alerts = risk_eval.evaluate_day(day, self.rules, self.model)
            alerts = _resolve_targets(conn, alerts)
        applied = skipped = 0
        with self.db.write() as conn:
            new = alert_store.insert_new_alerts(conn, alerts, self.rules.version, now)
            for alert in new:
                for kind in self.policy.actions_for(alert.rule):
                    if self._act(conn, alert, kind, now):
                        applied += 1
                    else:
                        skipped += 1
        result = RunResult(on, len(day.today), len(alerts), len(new), applied, skipped)
        log_event(
            "risk_run",
            business_date=on.isoformat(),
            events=result.events,
            alerts_new=result.alerts_new,
            actions_applied=applied,
        )
        return result

    def _act(
        self, conn: Connection, alert: alert_store.StoredAlert, kind: ActionKind, now: datetime
    ) -> bool:
        """Apply one action; record it (applied or skipped) and audit it. True if applied."""
        values: dict[str, Any] = {"line_id": alert.line_id}
        if kind is ActionKind.NOTIFY_OFFICER:
            values.update(status="applied", note="officer notified 已通知信贷员")
        elif alert.line_id is None:
            values.update(status="skipped", note="no credit line 无额度")
        else:
            line = loan_store.load_line(conn, alert.line_id)
            values.update(status_before=line.status.value, limit_before_fen=line.limit_fen)
            changed, note = line, ""
            if line.status is LineStatus.CLOSED:
                note = "line closed 额度已关闭"
            elif kind in (ActionKind.FREEZE_LINE, ActionKind.REQUIRE_VERIFICATION):
                if line.status is LineStatus.FROZEN:
                    note = "already frozen 已冻结"
                else:
                    changed = line.transition(LineStatus.FROZEN)
            else:
                target = (
                    self.policy.cut_limit(line.limit_fen)
                    if kind is ActionKind.CUT_LIMIT
                    else self.policy.rescored_limit(
                        line.limit_fen,
                        int(alert.evidence["score_old"]),
                        int(alert.evidence["score_new"]),
                    )
                )
                if target == line.limit_fen:
                    note = "limit unchanged 额度不变"
                else:
                    changed = line.with_limit(target)
            if changed is line:
                values.update(status="skipped", note=note)
            else:
                loan_store.save_line(conn, changed)
                values.update(
                    status="applied",
                    note=kind.label_zh,
                    status_after=changed.status.value,
                    limit_after_fen=changed.limit_fen,
                )
        action_id = alert_store.record_action(conn, alert.alert_id, kind.value, now, **values)
        alert_store.audit(
            conn,
            at=now,
            actor=SYSTEM_ACTOR,
            what="apply" if values["status"] == "applied" else "skip",
            alert_id=alert.alert_id,
            action_id=action_id,
            line_id=alert.line_id,
            detail={"kind": kind.value, "rule": alert.rule, **values},
        )
        return values["status"] == "applied"

    # -- officer reversal ------------------------------------------------------------------
    def reverse(self, alert_id: int, actor: str, reason: str, now: datetime) -> ReverseResult:
        """Undo the alert's applied line actions, restoring the line exactly; audited."""
        reason = (reason or "").strip()
        if not reason or len(reason) > MAX_REASON_CHARS:
            raise ValidationError(
                "REVERSE_REASON_REQUIRED",
                f"撤销处置必须填写原因（1 到 {MAX_REASON_CHARS} 字）",
                f"a reason of 1..{MAX_REASON_CHARS} characters is required to reverse an action",
            )
        with self.db.write() as conn:
            alert_store.get_alert(conn, alert_id)  # NotFound for an unknown alert
            actions = alert_store.actions_of(conn, [alert_id])[alert_id]
            live = [
                a
                for a in actions
                if a["status"] == "applied" and ActionKind(a["kind"]).changes_line
            ]
            if not live:
                if any(a["status"] == "reversed" for a in actions):
                    raise Conflict(
                        "ALERT_ALREADY_REVERSED",
                        "该预警的处置已被撤销",
                        f"the actions of alert {alert_id} were already reversed",
                    )
                raise Conflict(
                    "NOTHING_TO_REVERSE",
                    "该预警没有可撤销的额度处置",
                    f"alert {alert_id} changed no credit line; nothing to reverse",
                )
            line = None
            for action in reversed(live):
                line = loan_store.load_line(conn, action["line_id"])
                before = {"status": line.status.value, "limit_fen": line.limit_fen}
                restored = line
                if action["status_before"] != action["status_after"] and (
                    line.status.value != action["status_before"]
                ):
                    restored = restored.transition(LineStatus(action["status_before"]))
                if action["limit_before_fen"] != action["limit_after_fen"]:
                    restored = restored.with_limit(int(action["limit_before_fen"]))
                loan_store.save_line(conn, restored)
                alert_store.mark_reversed(conn, action["id"], now, actor, reason)
                alert_store.audit(
                    conn,
                    at=now,
                    actor=actor,
                    what="reverse",
                    alert_id=alert_id,
                    action_id=action["id"],
                    line_id=action["line_id"],
                    detail={
                        "kind": action["kind"],
                        "reason": reason,
                        "before": before,
                        "after": {"status": restored.status.value, "limit_fen": restored.limit_fen},
                    },
                )
                line = restored
        log_event("risk_reversed", alert_id=alert_id, actor=actor, actions=len(live))
        return ReverseResult(
            alert_id,
            len(live),
            line.line_id if line else None,
            line.status.value if line else None,
            line.limit_fen if line else None,
        )

    # -- queries ---------------------------------------------------------------------------
    def alert_detail(self, alert_id: int) -> dict[str, Any]:
        with self.db.read() as conn:
            alert = alert_store.get_alert(conn, alert_id)
            return {
                "alert": alert,
                "actions": alert_store.actions_of(conn, [alert_id])[alert_id],
                "audit": alert_store.audit_of(conn, alert_id),
            }

    def alerts(self, **filters: Any) -> list[tuple[alert_store.StoredAlert, list[dict]]]:
        with self.db.read() as conn:
            found = alert_store.list_alerts(conn, **filters)
            actions = alert_store.actions_of(conn, [a.alert_id for a in found])
        return [(a, actions[a.alert_id]) for a in found]


_WINDOWED = (RuleKind.DEVICE_THEN_DRAW, RuleKind.CYCLING)


def _past_due(conn: Connection, on: date) -> pd.DataFrame:
    """Open loans with an instalment unpaid past its due date, as of ``on``."""
    unpaid = or_(
        loan_row.c.principal_paid_fen < loan_row.c.principal_fen,
        loan_row.c.interest_paid_fen < loan_row.c.interest_fen,
    )
    query = (
        select(
            loan.c.id.label("loan_id"),
            loan.c.line_id,
            loan.c.customer_id,
            func.min(loan_row.c.due_date).label("overdue_since"),
        )
        .join(loan_row, loan_row.c.loan_id == loan.c.id)
        .where(
            and_(
                # the day's close marks every loan with an unpaid past-due row "overdue"
                loan.c.status == "overdue",
                loan_row.c.due_date < on,
                loan_row.c.kind == "scheduled",
                unpaid,
            )
        )
        .group_by(loan.c.id, loan.c.line_id, loan.c.customer_id)
    )
    rows = conn.execute(query).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=list(risk_eval.DPD_COLUMNS))
    if frame.empty:
        return frame
    frame["overdue_since"] = pd.to_datetime(frame["overdue_since"])
    frame["days_past_due"] = (pd.Timestamp(on) - frame["overdue_since"]).dt.days
    keys = event_store.person_keys_of(conn, frame["customer_id"].astype(int).tolist())
    frame["person_key"] = frame["customer_id"].map(keys)
    return frame


def _resolve_targets(conn: Connection, alerts: pd.DataFrame) -> pd.DataFrame:
    """Fill the customer (from the person key) and the line (the customer's open line)."""
    if alerts.empty:
        return alerts
    alerts = alerts.copy()
    missing = alerts["customer_id"].isna() & alerts["person_key"].notna()
    if missing.any():
        found = event_store.customers_of(conn, alerts.loc[missing, "person_key"].unique().tolist())
        alerts.loc[missing, "customer_id"] = alerts.loc[missing, "person_key"].map(found)
    no_line = alerts["line_id"].isna() & alerts["customer_id"].notna()
    if no_line.any():
        ids = sorted({int(c) for c in alerts.loc[no_line, "customer_id"]})
        query = (
            select(credit_line.c.customer_id, func.max(credit_line.c.id))
            .where(credit_line.c.customer_id.in_(ids) & (credit_line.c.status != "closed"))
            .group_by(credit_line.c.customer_id)
        )
        lines = {int(c): int(i) for c, i in conn.execute(query)}
        alerts.loc[no_line, "line_id"] = alerts.loc[no_line, "customer_id"].map(
            lambda c: lines.get(int(c))
        )
    for name in ("customer_id", "line_id", "loan_id"):
        alerts[name] = alerts[name].astype(object).where(alerts[name].notna(), None)
    return alerts


def risk_service(settings: Settings, db: Database) -> RiskService:
    """The service as configured: rules, policy and (if set) the anomaly model file."""
    model = AnomalyModel.load(settings.risk_model_path) if settings.risk_model_path else None
    return RiskService(
        db, load_rules(settings.risk_rules_path), load_policy(settings.risk_policy_path), model
    )
