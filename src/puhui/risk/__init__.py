"""Risk monitoring 贷后风险监测: events, early-warning rules, anomaly model, actions, reminders.

Owns, as pure functions over frames and small immutable types:

- ``events``    — the behaviour-event schema (payments, transfers, drawdowns, repayments,
                  logins and device changes, disaster notices, re-scores), whole-batch
                  validation naming every bad event and field, the simulator stream converter;
- ``rules``     — the versioned rules file ``rules.yaml`` (windows and thresholds), validated;
- ``profile``   — per-person monthly behaviour profiles built from events;
- ``evaluate``  — one day's rule evaluation, vectorised over people → alerts;
- ``anomaly``   — the isolation-forest anomaly model, exported to JSON and scored in numpy;
- ``policy``    — the alert → action policy ``policy.yaml`` and the limit arithmetic;
- ``reminders`` — reminder dates (T−3, T−1, due, D+1, D+7), quiet hours, message texts.

Invariants: nothing here reads the clock or an unseeded random generator (dates, times and
seeds are passed in); money is integer fen (model features may be floats); an alert's key is
deterministic, so evaluating a day twice raises the same alerts; a reminder's key is unique
per loan, instalment and kind; no raw identity number is ever accepted.

May import: ``puhui.errors``, ``puhui.money``, ``puhui.schedule``, ``puhui.products``,
``puhui.ledger``, ``puhui.loans``, numpy, pandas, scikit-learn, PyYAML — never ``store``,
``services``, ``api``, ``web`` or ``cli``.
"""

from puhui.risk.anomaly import FEATURE_NAMES, AnomalyModel
from puhui.risk.evaluate import ALERT_COLUMNS, DPD_COLUMNS, DayInput, evaluate_day
from puhui.risk.events import EVENT_FIELDS, EventKind, EventsInvalid, validate
from puhui.risk.policy import ActionKind, Policy, load_policy
from puhui.risk.profile import monthly_profile
from puhui.risk.reminders import Channel, DueRow, Reminder, ReminderKind, reminders_on
from puhui.risk.rules import Rule, RuleKind, RuleSet, Severity, load_rules

__all__ = [
    "ALERT_COLUMNS",
    "DPD_COLUMNS",
    "EVENT_FIELDS",
    "FEATURE_NAMES",
    "ActionKind",
    "AnomalyModel",
    "Channel",
    "DayInput",
    "DueRow",
    "EventKind",
    "EventsInvalid",
    "Policy",
    "Reminder",
    "ReminderKind",
    "Rule",
    "RuleKind",
    "RuleSet",
    "Severity",
    "evaluate_day",
    "load_policy",
    "load_rules",
    "monthly_profile",
    "reminders_on",
    "validate",
]
