"""Rule evaluation 规则评估: one business day's events → alerts, vectorised over people.

:func:`evaluate_day` is pure: the caller gathers the inputs (:class:`DayInput`) — today's
events, the recent daily events (device changes, draws, repayments), the monthly profiles of
the people concerned, the past-due loans and the people of townships with a notice — and gets
an alerts frame (:data:`ALERT_COLUMNS`). The same function runs inside end-of-day, from the
CLI, and in the simulator benchmark.

Invariants: every alert has a deterministic ``alert_key`` (rule + subject + period or event),
so evaluating the same day twice gives the same keys and the store keeps one; the alert only
uses events dated on or before ``on``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from puhui.money import from_fen
from puhui.risk.anomaly import FEATURES, AnomalyModel, features
from puhui.risk.events import EventKind
from puhui.risk.profile import month_no, seen, wide
from puhui.risk.rules import Rule, RuleKind, RuleSet

ALERT_COLUMNS: tuple[str, ...] = (
    "alert_key",
    "rule",
    "severity",
    "occurred_on",
    "person_key",
    "customer_id",
    "line_id",
    "loan_id",
    "reason_zh",
    "reason_en",
    "evidence",
    "score",
)
DPD_COLUMNS: tuple[str, ...] = (
    "person_key",
    "customer_id",
    "line_id",
    "loan_id",
    "days_past_due",
    "overdue_since",
)
_DISASTER_ZH = {"drought": "旱", "flood": "洪涝"}
_FEATURE_ZH = dict(FEATURES)


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass(frozen=True)
class DayInput:
    """Everything one day's evaluation reads (frames as built by ``risk.events``)."""

    on: date
    today: pd.DataFrame
    recent: pd.DataFrame = field(default_factory=lambda: _empty(("person_key",)))
    profile: pd.DataFrame = field(default_factory=lambda: _empty(("person_key", "month")))
    dpd: pd.DataFrame = field(default_factory=lambda: _empty(DPD_COLUMNS))
    township_people: pd.DataFrame = field(
        default_factory=lambda: _empty(("person_key", "township_code"))
    )


@dataclass
class _Alerts:
    """Collects alert rows; reasons are rendered from each row's evidence."""

    on: date
    rows: list[dict] = field(default_factory=list)

    def add(
        self,
        rule: Rule,
        key: str,
        person_key: object,
        evidence: dict,
        *,
        customer_id: object = None,
        line_id: object = None,
        loan_id: object = None,
        score: float = 0.0,
    ) -> None:
        zh, en = rule.reasons(evidence)
        self.rows.append(
            {
                "alert_key": f"{rule.code}:{key}",
                "rule": rule.code,
                "severity": int(rule.severity),
                "occurred_on": self.on,
                "person_key": None if pd.isna(person_key) else str(person_key),
                "customer_id": _int_or_none(customer_id),
                "line_id": _int_or_none(line_id),
                "loan_id": _int_or_none(loan_id),
                "reason_zh": zh,
                "reason_en": en,
                "evidence": json.dumps(evidence, ensure_ascii=False, sort_keys=True, default=str),
                "score": float(score) if score else float(rule.severity),
            }
        )


def _int_or_none(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)  # type: ignore[call-overload]


def _of(frame: pd.DataFrame, *kinds: EventKind) -> pd.DataFrame:
    if frame.empty or "kind" not in frame:
        return frame.iloc[0:0]
    return frame[frame["kind"].isin([k.value for k in kinds]).fillna(False)]


def _yuan(amount_fen: float) -> str:
    return str(from_fen(round(amount_fen)))


def _month_end(on: date) -> bool:
    return (on + timedelta(days=1)).day == 1


def _rows(frame: pd.DataFrame) -> Iterator[dict]:
    yield from frame.to_dict("records")


# -- rules ------------------------------------------------------------------------------


def _overdue(day: DayInput, rules: RuleSet, out: _Alerts) -> None:
    for rule in rules.of_kind(RuleKind.OVERDUE):
        hit = day.dpd[day.dpd["days_past_due"] >= rule.threshold["days_past_due"]]
        for row in _rows(hit):
            since = pd.Timestamp(row["overdue_since"]).date()
            evidence = {
                "loan_id": row["loan_id"],
                "days_past_due": int(row["days_past_due"]),
                "overdue_since": since.isoformat(),
            }
            out.add(
                rule,
                f"{row['loan_id']}:{since.isoformat()}",
                row["person_key"],
                evidence,
                customer_id=row.get("customer_id"),
                line_id=row.get("line_id"),
                loan_id=row["loan_id"],
            )


def _people(frame: pd.DataFrame) -> pd.Index:
    return pd.Index(frame["person_key"].dropna().astype(str).unique())


def _spending_spike(day: DayInput, rules: RuleSet, out: _Alerts) -> None:
    persons = _people(_of(day.today, EventKind.OUTFLOW, EventKind.PAYMENT))
    if persons.empty:
        return
    month = int(month_no(np.array([day.on], dtype="datetime64[D]"))[0])
    for rule in rules.of_kind(RuleKind.SPENDING_SPIKE):
        back = int(rule.threshold["baseline_months"])
        months = range(month - 12, month + 1)
        spend = wide(day.profile, "spending_fen", persons, months)
        had = seen(day.profile, persons, months)
        last_year = np.where(had[:, 0], spend[:, 0], np.nan)
        recent = np.where(had[:, -1 - back : -1], spend[:, -1 - back : -1], np.nan)
        with np.errstate(all="ignore"):
            recent_median = np.nanmedian(recent, axis=1)
        baseline = np.where(np.isfinite(last_year) & (last_year > 0), last_year, recent_median)
        current = spend[:, -1]
        with np.errstate(invalid="ignore"):
            hit = (
                np.isfinite(baseline)
                & (baseline > 0)
                & (current > rule.threshold["ratio"] * baseline)
                & (current - baseline >= rule.threshold["min_excess_fen"])
            )
        for i in np.flatnonzero(hit):
            evidence = {
                "spending_yuan": _yuan(current[i]),
                "baseline_yuan": _yuan(baseline[i]),
                "ratio": f"{current[i] / baseline[i]:.1f}",
                "month": month,
            }
            out.add(rule, f"{persons[i]}:{month}", persons[i], evidence)


def _window(day: DayInput, days: int, *kinds: EventKind) -> pd.DataFrame:
    both = pd.concat([_of(day.recent, *kinds), _of(day.today, *kinds)], ignore_index=True)
    start = pd.Timestamp(day.on - timedelta(days=days))
    dates = pd.to_datetime(both["occurred_on"])
    return both[(dates >= start) & (dates <= pd.Timestamp(day.on))]


def _device_then_draw(day: DayInput, rules: RuleSet, out: _Alerts) -> None:
    draws = _of(day.today, EventKind.DRAWDOWN)
    if draws.empty:
        return
    for rule in rules.of_kind(RuleKind.DEVICE_THEN_DRAW):
        changes = _window(day, rule.window_days, EventKind.DEVICE_CHANGE, EventKind.LOCATION_CHANGE)
        if changes.empty:
            continue
        latest = changes.groupby("person_key")["occurred_on"].max().rename("changed_on")
        hit = draws.join(latest, on="person_key", how="inner")
        hit = hit[hit["amount_fen"].fillna(0) >= rule.threshold["min_amount_fen"]]
        for row in _rows(hit):
            days_after = (pd.Timestamp(row["occurred_on"]) - pd.Timestamp(row["changed_on"])).days
            evidence = {
                "amount_yuan": _yuan(row["amount_fen"]),
                "days_after": days_after,
                "changed_on": pd.Timestamp(row["changed_on"]).date().isoformat(),
                "event_id": row["event_id"],
            }
            out.add(
                rule,
                str(row["event_id"]),
                row["person_key"],
                evidence,
                customer_id=row["customer_id"],
                line_id=row["line_id"],
                loan_id=row["loan_id"],
            )


def _cycling(day: DayInput, rules: RuleSet, out: _Alerts) -> None:
    active = _people(_of(day.today, EventKind.DRAWDOWN, EventKind.REPAYMENT))
    if active.empty:
        return
    for rule in rules.of_kind(RuleKind.CYCLING):
        window = _window(day, rule.window_days - 1, EventKind.DRAWDOWN, EventKind.REPAYMENT)
        window = window[window["person_key"].isin(active)]
        counts = pd.crosstab(window["person_key"], window["kind"])
        draws = counts.get(EventKind.DRAWDOWN.value, pd.Series(0, index=counts.index))
        repays = counts.get(EventKind.REPAYMENT.value, pd.Series(0, index=counts.index))
        hit = (draws >= rule.threshold["draws"]) & (repays >= rule.threshold["repayments"])
        month = day.on.strftime("%Y-%m")
        for person in counts.index[hit]:
            evidence = {"draws": int(draws[person]), "repayments": int(repays[person])}
            out.add(rule, f"{person}:{month}", person, evidence)


def _income_collapse(day: DayInput, rules: RuleSet, out: _Alerts) -> None:
    persons = _people(_of(day.today, EventKind.INFLOW))
    if persons.empty:
        return
    month = int(month_no(np.array([day.on], dtype="datetime64[D]"))[0])
    # only complete months count: this month once its last day has come
    last = month if _month_end(day.on) else month - 1
    months = range(last - 14, last + 1)
    income = wide(day.profile, "income_fen", persons, months)
    had_last_year = seen(day.profile, persons, months)[:, :3].all(axis=1)
    current, baseline = income[:, -3:].sum(axis=1), income[:, :3].sum(axis=1)
    for rule in rules.of_kind(RuleKind.INCOME_COLLAPSE):
        hit = (
            had_last_year
            & (baseline >= rule.threshold["min_baseline_fen"])
            & (current < rule.threshold["ratio"] * baseline)
        )
        for i in np.flatnonzero(hit):
            evidence = {
                "income_yuan": _yuan(current[i]),
                "baseline_yuan": _yuan(baseline[i]),
                "ratio_pct": round(rule.threshold["ratio"] * 100),
                "month": last,
            }
            out.add(rule, f"{persons[i]}:{last}", persons[i], evidence)


def _disaster(day: DayInput, rules: RuleSet, out: _Alerts) -> None:
    notices = _of(day.today, EventKind.DISASTER_NOTICE)
    if notices.empty or day.township_people.empty:
        return
    for rule in rules.of_kind(RuleKind.DISASTER):
        severe = notices[notices["count"] <= rule.threshold["max_level"]]
        hit = severe.merge(
            day.township_people.drop_duplicates(["person_key", "township_code"]),
            on="township_code",
            suffixes=("_notice", ""),
        )
        for row in _rows(hit):
            detail = "" if pd.isna(row["detail"]) else str(row["detail"])
            evidence = {
                "level": int(row["count"]),
                "disaster": detail or "disaster",
                "disaster_zh": _DISASTER_ZH.get(detail, ""),
                "township_code": row["township_code"],
                "event_id": row["event_id"],
            }
            out.add(rule, f"{row['person_key']}:{row['event_id']}", row["person_key"], evidence)


def _rescoring(day: DayInput, rules: RuleSet, out: _Alerts) -> None:
    scores = _of(day.today, EventKind.SCORE_UPDATE)
    if scores.empty:
        return
    change = scores["score_new"].astype("int64") - scores["score_old"].astype("int64")
    for kind, hit_of in (
        (RuleKind.SCORE_DROP, lambda r: -change >= r.threshold["points"]),
        (RuleKind.RESCORE, lambda r: change.abs() >= r.threshold["points"]),
    ):
        for rule in rules.of_kind(kind):
            for row in _rows(scores[hit_of(rule)]):
                evidence = {
                    "score_old": int(row["score_old"]),
                    "score_new": int(row["score_new"]),
                    "drop": int(row["score_old"]) - int(row["score_new"]),
                    "event_id": row["event_id"],
                }
                out.add(
                    rule,
                    str(row["event_id"]),
                    row["person_key"],
                    evidence,
                    customer_id=row["customer_id"],
                    line_id=row["line_id"],
                )


def _anomaly(day: DayInput, rules: RuleSet, model: AnomalyModel | None, out: _Alerts) -> None:
    anomaly_rules = rules.of_kind(RuleKind.ANOMALY)
    if model is None or not anomaly_rules or not _month_end(day.on) or day.profile.empty:
        return
    month = int(month_no(np.array([day.on], dtype="datetime64[D]"))[0])
    persons = _people(day.profile[day.profile["month"] == month])
    if persons.empty:
        return
    x = features(day.profile, persons, month)
    scores = model.score(x)
    for rule in anomaly_rules:
        hit = np.flatnonzero(scores >= rule.threshold["score"])
        explained = model.explain(x[hit])
        for i, names in zip(hit, explained, strict=True):
            evidence = {
                "score": f"{scores[i]:.3f}",
                "features": ", ".join(names) or "overall pattern",
                "features_zh": "、".join(_FEATURE_ZH[n] for n in names) or "整体行为",
                "month": month,
            }
            out.add(rule, f"{persons[i]}:{month}", persons[i], evidence, score=scores[i])


def evaluate_day(day: DayInput, rules: RuleSet, model: AnomalyModel | None = None) -> pd.DataFrame:
    """All alerts the rules (and the anomaly model, if given) raise on ``day.on``."""
    out = _Alerts(day.on)
    _overdue(day, rules, out)
    _spending_spike(day, rules, out)
    _device_then_draw(day, rules, out)
    _cycling(day, rules, out)
    _income_collapse(day, rules, out)
    _disaster(day, rules, out)
    _rescoring(day, rules, out)
    _anomaly(day, rules, model, out)
    if not out.rows:
        return _empty(ALERT_COLUMNS)
    alerts = pd.DataFrame(out.rows, columns=list(ALERT_COLUMNS))
    return alerts.drop_duplicates("alert_key", ignore_index=True)
