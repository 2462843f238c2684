"""Events schema, the rules and policy files, the limit arithmetic, reminder dates and texts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from puhui.risk import EventsInvalid, load_policy, load_rules, validate
from puhui.risk.events import from_sim, keyed_hash
from puhui.risk.policy import PolicyInvalid, parse_policy
from puhui.risk.reminders import (
    Channel,
    DueRow,
    ReminderKind,
    in_quiet_hours,
    next_allowed,
    reminders_on,
)
from puhui.risk.rules import RulesInvalid, parse_rules
from tests.risk.helpers import ev

SHANGHAI = ZoneInfo("Asia/Shanghai")


# -- events -------------------------------------------------------------------------------


def test_a_valid_batch_becomes_a_typed_frame():
    events = validate([ev("drawdown", date(2026, 3, 1), amount_fen=100_000, line_id=3)])
    assert events["amount_fen"].iloc[0] == 100_000
    assert str(events["occurred_on"].dtype) == "datetime64[s]"


def test_every_problem_is_named_with_its_event_and_field():
    with pytest.raises(EventsInvalid) as caught:
        validate(
            [
                ev("drawdown", date(2026, 3, 1), amount_fen=100_000, event_id="ok-1"),
                {
                    "event_id": "bad-2",
                    "kind": "teleport",
                    "occurred_on": "2026-02-30",
                    "person_key": "p",
                },
                {
                    "event_id": "bad-3",
                    "kind": "payment",
                    "occurred_on": "2026-03-01",
                    "person_key": "p",
                    "amount_fen": -5,
                },
                {
                    "event_id": "bad-4",
                    "kind": "score_update",
                    "occurred_on": "2026-03-01",
                    "person_key": "p",
                    "score_old": 700,
                    "score_new": 2000,
                },
                {
                    "event_id": "ok-1",
                    "kind": "login",
                    "occurred_on": "2026-03-01",
                    "person_key": "p",
                },
                {"event_id": "bad-6", "kind": "login", "occurred_on": "2026-03-01"},
            ]
        )
    text = caught.value.message_en
    assert caught.value.code == "EVENTS_INVALID"
    for fragment in (
        "event #1 (bad-2): kind",
        "event #1 (bad-2): occurred_on",
        "event #2 (bad-3): amount_fen: must not be negative",
        "event #3 (bad-4): score_new",
        "event #4 (ok-1): event_id: appears twice",
        "event #5 (bad-6): person_key",
    ):
        assert fragment in text
    assert "整批未写入" in caught.value.message_zh


def test_raw_identity_numbers_are_refused():
    with pytest.raises(EventsInvalid, match="raw identity numbers"):
        validate(
            [
                {
                    "event_id": "x",
                    "kind": "login",
                    "occurred_on": "2026-03-01",
                    "id_number": "370982199001011234",
                }
            ]
        )


def test_a_disaster_notice_needs_a_township_and_a_level():
    with pytest.raises(EventsInvalid, match="township_code"):
        validate(
            [{"event_id": "d", "kind": "disaster_notice", "occurred_on": "2026-07-01", "count": 1}]
        )


def test_the_simulator_stream_converts_with_stable_ids():
    month = pd.DataFrame(
        {
            "event_date": pd.to_datetime(["2019-01-31", "2019-01-31", "2019-01-05"]),
            "id_number": ["370982199001011234", "370982199001011234", None],
            "township_code": ["370982101", "370982101", "370982102"],
            "kind": ["transfer_out", "transfer_out", "disaster_notice"],
            "amount_fen": pd.array([500, 500, None], dtype="Int64"),
            "count": pd.array([1, 1, 2], dtype="Int64"),
            "counterparty_id_number": [None, None, None],
            "detail": [None, None, "flood"],
        }
    )
    keys = keyed_hash(b"test-secret-key-0123456789")
    first, second = from_sim(month, keys), from_sim(month, keys)
    assert first["event_id"].tolist() == second["event_id"].tolist()
    assert first["event_id"].nunique() == 3  # two identical aggregates stay two events
    assert "370982199001011234" not in first.to_string()
    validate(first)


# -- rules and policy files ---------------------------------------------------------------


def test_the_packaged_rules_and_policy_load_and_agree():
    rules, policy = load_rules(), load_policy()
    policy.check_rules(rules)
    for rule in rules.rules:
        assert rule.window_days >= 1
        assert rule.threshold


def test_a_broken_rules_file_names_every_problem():
    data = yaml.safe_load(Path("src/puhui/risk/rules.yaml").read_text("utf-8"))
    data["rules"][0]["threshold"] = {"days_past_due": 0}
    data["rules"][1]["severity"] = "apocalyptic"
    data["rules"][2]["window_days"] = 0
    data["rules"][3]["threshold"]["bogus"] = 1
    data["rules"].append(dict(data["rules"][4]))
    with pytest.raises(RulesInvalid) as caught:
        parse_rules(data, "rules.yaml")
    text = caught.value.message_en
    for fragment in (
        "rule overdue_d1: threshold.days_past_due",
        "rule overdue_d7: severity",
        "rule overdue_d30: window_days",
        "rule spending_spike: threshold.bogus",
        "rule device_then_draw: code: is used twice",
    ):
        assert fragment in text


def test_a_broken_policy_names_every_problem():
    data = yaml.safe_load(Path("src/puhui/risk/policy.yaml").read_text("utf-8"))
    data["actions"]["cycling"] = ["explode"]
    data["cut_limit"]["keep_fraction"] = 1.5
    with pytest.raises(PolicyInvalid) as caught:
        parse_policy(data)
    assert "unknown action 'explode'" in caught.value.message_en
    assert "cut_limit.keep_fraction" in caught.value.message_en


@given(st.integers(min_value=0, max_value=30_000_000))
def test_a_cut_never_raises_the_limit_and_keeps_the_floor(limit_fen):
    policy = load_policy()
    cut = policy.cut_limit(limit_fen)
    assert cut <= limit_fen
    assert cut >= min(limit_fen, policy.cut.min_limit_fen)


@given(
    st.integers(min_value=100_000, max_value=30_000_000),
    st.integers(min_value=350, max_value=950),
    st.integers(min_value=350, max_value=950),
)
def test_a_rescore_moves_the_limit_within_the_policy_bounds(limit_fen, old, new):
    policy = load_policy()
    r = policy.rescore
    after = policy.rescored_limit(limit_fen, old, new)
    if after != limit_fen:
        assert r.min_limit_fen <= after <= r.max_limit_fen
        assert after <= limit_fen * (1 + r.max_raise_fraction)
        assert after >= limit_fen * (1 - r.max_cut_fraction) - r.step_fen
        assert (after > limit_fen) == (new > old) or after in (r.min_limit_fen, r.max_limit_fen)
    if new == old:
        assert after == limit_fen


# -- reminders ----------------------------------------------------------------------------


def test_each_instalment_gets_five_reminders_on_the_right_days():
    row = DueRow(
        loan_id=7, seq=2, customer_id=1, due_date=date(2026, 5, 10), amount_due_fen=123_456
    )
    seen = {}
    for day in range(1, 25):
        on = date(2026, 5, day)
        for r in reminders_on(on, [row]):
            seen[r.kind] = on
    assert seen == {
        ReminderKind.T_MINUS_3: date(2026, 5, 7),
        ReminderKind.T_MINUS_1: date(2026, 5, 9),
        ReminderKind.DUE: date(2026, 5, 10),
        ReminderKind.D_PLUS_1: date(2026, 5, 11),
        ReminderKind.D_PLUS_7: date(2026, 5, 17),
    }


def test_reminder_text_has_amount_due_date_and_how_to_repay():
    row = DueRow(
        loan_id=7, seq=2, customer_id=1, due_date=date(2026, 5, 10), amount_due_fen=123_456
    )
    (reminder,) = reminders_on(date(2026, 5, 7), [row])
    assert reminder.key == "remind:7:2:t-3"
    assert "1,234.56" in reminder.body_zh
    assert "2026年5月10日" in reminder.body_zh
    assert "还款方式" in reminder.body_zh
    assert "合作社服务窗口" in reminder.body_zh
    (late,) = reminders_on(date(2026, 5, 17), [row])
    assert "已逾期 7 天" in late.body_zh


@pytest.mark.parametrize(
    ("hour", "minute", "quiet", "allowed"),
    [
        (7, 59, True, datetime(2026, 5, 7, 8, 0, tzinfo=SHANGHAI)),
        (8, 0, False, datetime(2026, 5, 7, 8, 0, tzinfo=SHANGHAI)),
        (20, 59, False, datetime(2026, 5, 7, 20, 59, tzinfo=SHANGHAI)),
        (21, 0, True, datetime(2026, 5, 8, 8, 0, tzinfo=SHANGHAI)),
        (23, 30, True, datetime(2026, 5, 8, 8, 0, tzinfo=SHANGHAI)),
    ],
)
def test_quiet_hours_defer_to_eight_in_the_morning(hour, minute, quiet, allowed):
    at = datetime(2026, 5, 7, hour, minute, tzinfo=SHANGHAI)
    assert in_quiet_hours(at) is quiet
    assert next_allowed(at) == allowed


def test_quiet_hours_are_local_time_and_spare_in_app_messages():
    utc_noon = datetime(2026, 5, 7, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
    assert in_quiet_hours(utc_noon.astimezone(SHANGHAI))
    assert not Channel.IN_APP.quiet_hours_apply
    assert Channel.SMS.quiet_hours_apply
    assert Channel.EMAIL.quiet_hours_apply
