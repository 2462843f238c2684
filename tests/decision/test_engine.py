"""The 310 decision engine: one test per rule, limits, pricing, and bit-for-bit replay."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import date
from decimal import Decimal

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.decision import (
    Applicant,
    Application,
    PolicyInvalid,
    ScoreOutcome,
    decide,
    load_policy,
    policy_from_text,
)
from puhui.products import load_catalogue

CATALOGUE = load_catalogue()
POLICY = load_policy(CATALOGUE)
PRODUCT = CATALOGUE.get("xintai_farmer_line")
DAY = date(2026, 3, 2)
APP = Application(product_code="xintai_farmer_line", applied_on=DAY)
GOOD = Applicant(
    person_key="pk1",
    real_name_verified=True,
    birth_date=date(1980, 5, 1),
    county="新泰市",
    segment="farmer",
    has_consent=True,
)
FEATURES = {"inflow_mean_12m_yuan": 8000.0, "land_area_mu": 6.5}


def scorer(points: int = 720, band: str = "B"):
    calls = []

    def score(features):
        calls.append(features)
        return ScoreOutcome(
            pd=0.02,
            credit_points=points,
            band=band,
            model_version="county:v0001",
            reasons=(("late_bills_12m", "近一年有账单逾期", "late bills in the last year"),),
        )

    score.calls = calls
    return score


def test_good_applicant_gets_an_offer_with_the_apr():
    decision = decide(APP, GOOD, FEATURES, scorer(), POLICY, PRODUCT)
    assert decision.approved
    offer = decision.offer
    # income 96,000 a year × 0.5 (product) × 0.8 (band B) = 38,400 → 38,000
    assert offer.limit_fen == 3_800_000
    assert offer.rate_annual == "0.081"
    assert offer.apr == "8.10%"
    assert offer.daily_rate == "0.0225%"
    assert offer.methods == ("equal_installment", "interest_first")  # B is a quality band
    assert "年化利率 8.10%" in decision.reasons_zh[0]
    assert [c.rule for c in decision.checks] == [
        "REAL_NAME",
        "CONSENT",
        "AGE",
        "COVERAGE",
        "BLACKLIST",
        "OPEN_DPD",
        "COOLDOWN",
        "SCORE",
        "LIMIT",
        "PRICE",
    ]
    assert not decision.human_review_available


@pytest.mark.parametrize(
    ("change", "rule", "words"),
    [
        ({"real_name_verified": False}, "REAL_NAME", "实名"),
        ({"has_consent": False}, "CONSENT", "授权"),
        ({"birth_date": date(2008, 1, 1)}, "AGE", "年龄"),
        ({"birth_date": date(1960, 1, 1)}, "AGE", "年龄"),
        ({"county": "宁阳县"}, "COVERAGE", "服务范围"),
        ({"segment": "merchant"}, "COVERAGE", "服务范围"),
        ({"blacklisted": True}, "BLACKLIST", "不良记录"),
        ({"max_open_days_past_due": 30}, "OPEN_DPD", "逾期 30 天"),
        ({"last_decline_on": date(2026, 2, 20)}, "COOLDOWN", "未满 30 天"),
    ],
)
def test_each_eligibility_rule_declines_before_scoring(change, rule, words):
    score = scorer()
    decision = decide(APP, replace(GOOD, **change), FEATURES, score, POLICY, PRODUCT)
    assert not decision.approved
    assert decision.reason_codes == (rule,)
    assert words in decision.reasons_zh[0]
    assert decision.human_review_available
    assert score.calls == []  # no data is scored for an ineligible applicant


def test_cooldown_ends_after_the_configured_days():
    ok = replace(GOOD, last_decline_on=date(2026, 1, 31))
    assert decide(APP, ok, FEATURES, scorer(), POLICY, PRODUCT).approved


def test_open_dpd_under_thirty_days_is_allowed():
    assert decide(
        APP, replace(GOOD, max_open_days_past_due=29), FEATURES, scorer(), POLICY, PRODUCT
    ).approved


def test_low_score_declines_with_the_factors_that_lowered_it():
    decision = decide(APP, GOOD, FEATURES, scorer(points=540, band="E"), POLICY, PRODUCT)
    assert not decision.approved
    assert decision.reason_codes == ("SCORE", "late_bills_12m")
    assert "540" in decision.reasons_zh[0]
    assert decision.reasons_zh[1] == "近一年有账单逾期"


def test_limit_caps_product_internet_and_debt_to_income():
    rich = {"inflow_mean_12m_yuan": 200000.0}
    top = decide(APP, GOOD, rich, scorer(band="A"), POLICY, PRODUCT).offer
    assert top.limit_fen == 20_000_000  # the 200,000 CNY internet line cap, not 300,000
    holder = replace(GOOD, existing_limit_fen=15_000_000)
    assert decide(APP, holder, rich, scorer(band="A"), POLICY, PRODUCT).offer.limit_fen == 5_000_000
    indebted = replace(GOOD, annual_debt_service_fen=4_000_000)  # 40,000 a year already
    capped = decide(APP, indebted, FEATURES, scorer(band="A"), POLICY, PRODUCT).offer
    # budget 96,000 × 0.5 − 40,000 = 8,000; / (1 + 0.072 × 0.55) → 7,694 → 7,000
    assert capped.limit_fen == 700_000
    asked = Application("xintai_farmer_line", DAY, requested_limit_fen=1_000_000)
    assert decide(asked, GOOD, FEATURES, scorer(), POLICY, PRODUCT).offer.limit_fen == 1_000_000


def test_too_little_income_declines_on_limit():
    decision = decide(APP, GOOD, {"inflow_mean_12m_yuan": 100.0}, scorer(), POLICY, PRODUCT)
    assert not decision.approved
    assert decision.reason_codes == ("LIMIT",)


def test_risk_based_price_and_methods_by_band():
    e = decide(APP, GOOD, FEATURES, scorer(points=600, band="E"), POLICY, PRODUCT).offer
    a = decide(APP, GOOD, FEATURES, scorer(points=800, band="A"), POLICY, PRODUCT).offer
    assert (a.rate_annual, e.rate_annual) == ("0.072", "0.108")
    assert e.methods == ("equal_installment",)  # interest-first only for quality bands
    # penalty 1.5 × 10.8 % = 16.2 % is capped at the judicial ceiling 4 × LPR 3.0 % = 12 %
    assert Decimal(e.penalty_rate_annual) == Decimal("0.120")
    assert Decimal(a.penalty_rate_annual) == Decimal("0.108")


def _policy_with(**changes) -> str:
    data = yaml.safe_load(POLICY.source_text)
    for dotted, value in changes.items():
        node = data
        *path, last = dotted.split(".")
        for part in path:
            node = node[part]
        node[last] = value
    return yaml.safe_dump(data, allow_unicode=True)


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"max_limit_per_borrower": "300000"}, "INTERNET_LINE_CAP"),
        ({"disclosure.show_rates": ["daily"]}, "APR_DISCLOSURE"),
        ({"lpr_one_year": [{"from": "2025-01-01", "rate": "0.02"}]}, "JUDICIAL_CEILING"),
        ({"ceiling_lpr_multiple": "2"}, "JUDICIAL_CEILING"),
    ],
)
def test_policy_breaking_a_rule_of_the_trade_is_refused_naming_it(changes, rule):
    with pytest.raises(PolicyInvalid) as err:
        policy_from_text(_policy_with(**changes), CATALOGUE)
    assert rule in {r for r, _ in err.value.problems}
    assert rule in err.value.message_en


def test_policy_structure_problems_are_listed_together():
    text = _policy_with(
        **{"eligibility.age_min": 70, "scoring.min_points": 10, "products": ["nope"]}
    )
    with pytest.raises(PolicyInvalid) as err:
        policy_from_text(text, CATALOGUE)
    assert len(err.value.problems) >= 3


# -- replay -------------------------------------------------------------------------------


def _record(app, who, features, outcome):
    """What the service stores: inputs as JSON, and the score the model gave."""
    return json.loads(
        json.dumps(
            {
                "application": asdict(app),
                "applicant": asdict(who),
                "features": features,
                "score": asdict(outcome),
            },
            default=str,
        )
    )


def _replay(record):
    app = record["application"]
    who = record["applicant"]
    application = Application(
        app["product_code"],
        date.fromisoformat(app["applied_on"]),
        app["channel"],
        app["requested_limit_fen"],
    )
    applicant = Applicant(
        **{
            **who,
            "birth_date": date.fromisoformat(who["birth_date"]),
            "last_decline_on": date.fromisoformat(who["last_decline_on"])
            if who["last_decline_on"]
            else None,
        }
    )
    s = record["score"]
    outcome = ScoreOutcome(
        s["pd"],
        s["credit_points"],
        s["band"],
        s["model_version"],
        tuple(tuple(r) for r in s["reasons"]),
    )
    return decide(application, applicant, record["features"], lambda _f: outcome, POLICY, PRODUCT)


@settings(max_examples=150, deadline=None)
@given(
    points=st.integers(min_value=350, max_value=950),
    band=st.sampled_from("ABCDE"),
    income=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    age=st.integers(min_value=15, max_value=75),
    dpd=st.integers(min_value=0, max_value=100),
    debt=st.integers(min_value=0, max_value=10_000_000),
    requested=st.one_of(st.none(), st.integers(min_value=100_000, max_value=30_000_000)),
)
def test_a_decision_replayed_from_its_record_is_identical(
    points, band, income, age, dpd, debt, requested
):
    app = Application("xintai_farmer_line", DAY, "app", requested)
    who = replace(
        GOOD,
        birth_date=date(2026 - age, 1, 1),
        max_open_days_past_due=dpd,
        annual_debt_service_fen=debt,
    )
    outcome = ScoreOutcome(0.05, points, band, "county:v0002", (("f1", "原因", "reason"),))
    features = {"inflow_mean_12m_yuan": income}
    original = decide(app, who, features, lambda _f: outcome, POLICY, PRODUCT)
    again = _replay(_record(app, who, features, outcome))
    assert again.canonical_json() == original.canonical_json()
