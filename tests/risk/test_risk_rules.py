"""Each rule fires on a crafted history and stays silent on a normal one."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from puhui.risk import DayInput, evaluate_day, load_rules
from puhui.risk.evaluate import DPD_COLUMNS
from puhui.risk.events import score_update
from tests.risk.helpers import ev, frame, month_end, monthly, months_back, split

RULES = load_rules()
ON = month_end(2026, 6)


def run(records: list[dict], on: date = ON, **extra: object) -> pd.DataFrame:
    today, recent, profile = split(frame(records), on)
    return evaluate_day(
        DayInput(on=on, today=today, recent=recent, profile=profile, **extra), RULES
    )


def normal_year(
    person: str = "p1", income_fen: int = 500_000, spending_fen: int = 400_000
) -> list[dict]:
    """Fifteen ordinary months through ``ON`` (the same amounts every month)."""
    return [
        r for d in [*months_back(ON, 14), ON] for r in monthly(person, d, income_fen, spending_fen)
    ]


def rules_of(alerts: pd.DataFrame) -> set[str]:
    return set(alerts["rule"])


def dpd(days: int, loan_id: int = 9) -> pd.DataFrame:
    since = ON - timedelta(days=days)
    return pd.DataFrame(
        [["p1", 3, 4, loan_id, days, pd.Timestamp(since)]], columns=list(DPD_COLUMNS)
    )


def test_a_normal_history_raises_nothing():
    assert run(normal_year()).empty


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (0, set()),
        (1, {"overdue_d1"}),
        (6, {"overdue_d1"}),
        (7, {"overdue_d1", "overdue_d7"}),
        (45, {"overdue_d1", "overdue_d7", "overdue_d30"}),
    ],
)
def test_overdue_rules_fire_at_d1_d7_d30(days, expected):
    alerts = run(normal_year(), dpd=dpd(days) if days else pd.DataFrame(columns=list(DPD_COLUMNS)))
    assert rules_of(alerts) == expected
    assert set(alerts["loan_id"]) <= {9}


def test_overdue_alert_key_is_stable_across_days():
    first = run(normal_year(), dpd=dpd(8))
    since = ON - timedelta(days=8)
    later = DayInput(
        on=ON + timedelta(days=1),
        today=frame([]).iloc[0:0],
        dpd=dpd(9).assign(overdue_since=pd.Timestamp(since)),
    )
    second = evaluate_day(later, RULES)
    assert set(first["alert_key"]) == set(second["alert_key"])


def test_spending_spike_against_the_same_month_last_year():
    records = normal_year()
    records = [
        r for r in records if not (r["kind"] == "outflow" and r["occurred_on"] == ON.isoformat())
    ]
    records.append(ev("outflow", ON, "p1", amount_fen=2_000_000))
    assert rules_of(run(records)) == {"spending_spike"}


def test_seasonal_spending_that_matches_last_year_is_not_a_spike():
    """A Spring-Festival-sized month is normal if the same month last year was as big."""
    records = []
    for d in [*months_back(ON, 14), ON]:
        big = d.month == ON.month
        records += monthly("p1", d, 500_000, 2_000_000 if big else 400_000)
    assert run(records).empty


def test_drawdown_right_after_a_device_change():
    records = [
        *normal_year(),
        ev("device_change", ON - timedelta(days=2)),
        ev("drawdown", ON, amount_fen=3_000_000),
    ]
    alerts = run(records)
    assert rules_of(alerts) == {"device_then_draw"}
    assert "2 天内支用 30000.00 元" in alerts["reason_zh"].iloc[0]


def test_drawdown_long_after_a_device_change_is_quiet():
    records = [
        *normal_year(),
        ev("device_change", ON - timedelta(days=20)),
        ev("drawdown", ON, amount_fen=3_000_000),
    ]
    assert run(records).empty


def test_cash_out_cycling():
    records = normal_year()
    for k in range(3):
        records += [
            ev("drawdown", ON - timedelta(days=20 - 7 * k), amount_fen=1_000_000),
            ev("repayment", ON - timedelta(days=17 - 7 * k), amount_fen=1_000_500),
        ]
    records.append(ev("drawdown", ON, amount_fen=1_000_000))
    assert rules_of(run(records)) == {"cycling"}


def test_one_draw_and_its_repayment_is_not_cycling():
    records = [
        *normal_year(),
        ev("drawdown", ON - timedelta(days=10), amount_fen=1_000_000),
        ev("repayment", ON, amount_fen=1_000_000),
    ]
    assert run(records).empty


def test_income_collapse_against_the_same_months_last_year():
    records = []
    for d in [*months_back(ON, 14), ON]:
        recent = d >= months_back(ON, 2)[0]
        records += monthly("p1", d, 100_000 if recent else 800_000, 300_000)
    alerts = run(records)
    assert rules_of(alerts) == {"income_collapse"}


def test_a_seasonal_low_that_matches_last_year_is_not_a_collapse():
    records = []
    for d in [*months_back(ON, 14), ON]:
        low = d.month in (4, 5, 6)
        records += monthly("p1", d, 100_000 if low else 800_000, 300_000)
    assert run(records).empty


def test_township_disaster_flags_everyone_in_the_township():
    people = pd.DataFrame({"person_key": ["p1", "p2"], "township_code": ["370982101", "370982101"]})
    records = [ev("disaster_notice", ON, None, township_code="370982101", count=1, detail="flood")]
    alerts = run(records, township_people=people)
    assert rules_of(alerts) == {"disaster"}
    assert set(alerts["person_key"]) == {"p1", "p2"}
    assert "洪涝" in alerts["reason_zh"].iloc[0]


def test_a_minor_disaster_notice_is_quiet():
    people = pd.DataFrame({"person_key": ["p1"], "township_code": ["370982101"]})
    records = [
        ev("disaster_notice", ON, None, township_code="370982101", count=4, detail="drought")
    ]
    assert run(records, township_people=people).empty


def test_score_drop_beyond_the_threshold():
    alerts = run([ev("score_update", ON, score_old=700, score_new=610)])
    assert rules_of(alerts) == {"score_drop", "rescore"}


def test_a_small_score_move_only_rescores():
    alerts = run([ev("score_update", ON, score_old=700, score_new=690)])
    assert rules_of(alerts) == {"rescore"}
    assert run([ev("score_update", ON, score_old=700, score_new=700)]).empty


def test_a_rescore_event_is_valid_deterministic_and_raises_the_score_rules():
    key = "ab" * 32  # a person key: 64 hex characters
    made = {
        "customer_id": 5,
        "line_id": 8,
        "model_version": "county:v0001",
        "features_sha256": "f" * 64,
    }
    event = score_update(key, ON, 700, 610, **made)
    assert score_update(key, ON, 700, 610, **made) == event  # the same re-score, the same id
    others = [
        score_update(key, ON, 700, 620, **made),
        score_update(key, ON + timedelta(days=1), 700, 610, **made),
        score_update(key, ON, 700, 610, **{**made, "features_sha256": "e" * 64}),
        score_update(key, ON, 700, 610, **{**made, "model_version": "county:v0002"}),
    ]
    assert len({event["event_id"], *(o["event_id"] for o in others)}) == 5
    alerts = run([event])
    assert rules_of(alerts) == {"score_drop", "rescore"}
    assert set(alerts["line_id"]) == {8}
    assert set(alerts["alert_key"]) == {
        f"score_drop:{event['event_id']}",
        f"rescore:{event['event_id']}",
    }


def test_alerts_carry_severity_reasons_and_evidence():
    alerts = run([ev("score_update", ON, score_old=700, score_new=610, customer_id=5)])
    row = alerts[alerts["rule"] == "score_drop"].iloc[0]
    assert row["severity"] == 3
    assert "下降 90 分" in row["reason_zh"]
    assert "fell 90 points" in row["reason_en"]
    assert '"score_new": 610' in row["evidence"]
    assert row["customer_id"] == 5
