"""The 310 decision 自动审批: eligibility rules → score → band → limit → price → methods.

:func:`decide` is pure: everything it needs comes in as values (the application, the
applicant's facts, the feature snapshot, a scoring function bound to one model version, the
policy and the product). Nothing on the path asks a human. The result carries every rule check
with the values it saw (the trace), plain-Chinese reasons, the score's reason codes, and the
versions of policy and model — so :func:`decide` run again on a stored record gives the same
decision bit for bit (``puhui decision replay``).

Order, each step only if the previous passed:
1. eligibility — real name verified, valid scoring consent, age window, county and product
   coverage, not blacklisted, no open loan 30+ days past due, cool-down after a decline;
2. score — declined below ``scoring.min_points`` (with the factors that lowered the score);
3. limit — income proxy × product multiple × band factor, capped by the product maximum, the
   200,000 CNY internet line cap less lines already held, and the debt-to-income ceiling;
   rounded down; declined if below the product minimum;
4. price — the product's rate for the band (and sales tier); penalty rate capped at the
   judicial ceiling; repayment methods allowed for the band (interest-first only for quality
   bands); the APR stated.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from functools import lru_cache
from typing import Any

from puhui.decision.policy import Policy
from puhui.money import format_rate, from_fen, to_fen
from puhui.products import LimitBasis, Product
from puhui.schedule import Basis, Method, add_months, build_schedule


@dataclass(frozen=True, slots=True)
class Application:
    """What the applicant asked for (the only things they type)."""

    product_code: str
    applied_on: date
    channel: str = "app"
    requested_limit_fen: int | None = None


@dataclass(frozen=True, slots=True)
class Applicant:
    """Facts the lender already knows about the applicant (from registration and the county)."""

    person_key: str
    real_name_verified: bool
    birth_date: date
    county: str
    segment: str
    has_consent: bool
    blacklisted: bool = False
    max_open_days_past_due: int = 0
    last_decline_on: date | None = None
    existing_limit_fen: int = 0
    annual_debt_service_fen: int = 0


@dataclass(frozen=True, slots=True)
class ScoreOutcome:
    """The champion model's view of the applicant (from ``scoring.Scorer.score_one``)."""

    pd: float
    credit_points: int
    band: str
    model_version: str
    reasons: tuple[tuple[str, str, str], ...] = ()  # (code, 中文, English)


@dataclass(frozen=True, slots=True)
class Check:
    """One rule of the trace: what it looked at and whether it passed."""

    rule: str
    passed: bool
    observed: str
    reason_zh: str = ""
    reason_en: str = ""


@dataclass(frozen=True, slots=True)
class Offer:
    limit_fen: int
    band: str
    rate_annual: str
    penalty_rate_annual: str
    apr: str
    daily_rate: str
    methods: tuple[str, ...]
    terms_months: tuple[int, ...]
    expires_on: str
    example_monthly_payment_fen: int


@dataclass(frozen=True, slots=True)
class Decision:
    approved: bool
    product_code: str
    policy_version: str
    model_version: str | None
    credit_points: int | None
    band: str | None
    offer: Offer | None
    reasons_zh: tuple[str, ...]
    reasons_en: tuple[str, ...]
    reason_codes: tuple[str, ...]
    checks: tuple[Check, ...] = field(default=())

    @property
    def human_review_available(self) -> bool:
        """An adverse automated decision may be sent to a person (PIPL art. 24)."""
        return not self.approved

    def to_dict(self) -> dict[str, Any]:
        # As ``dataclasses.asdict`` gives (the nested records hold only plain values and
        # tuples of them), without its deep copy of every value: 10× faster.
        data = record_fields(self)
        data["offer"] = None if self.offer is None else record_fields(self.offer)
        data["checks"] = tuple(record_fields(c) for c in self.checks)
        return data

    def canonical_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, default=str)


def record_fields(record: Any) -> dict[str, Any]:
    """A dataclass record's fields, by name, values as they are (one level, no copies)."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def eligibility(app: Application, who: Applicant, policy: Policy, product: Product) -> list[Check]:
    age = _age(who.birth_date, app.applied_on)
    cooldown_until = (
        date.fromordinal(who.last_decline_on.toordinal() + policy.decline_cooldown_days)
        if who.last_decline_on
        else None
    )
    return [
        Check(
            "REAL_NAME",
            who.real_name_verified or not policy.require_real_name,
            f"verified={who.real_name_verified}",
            "尚未完成实名认证",
            "real-name verification is not complete",
        ),
        Check(
            "CONSENT",
            who.has_consent,
            f"{policy.require_consent}={who.has_consent}",
            "未授权使用数据进行信用评估",
            "no valid consent to use data for credit scoring",
        ),
        Check(
            "AGE",
            policy.age_min <= age <= policy.age_max,
            f"age={age}",
            f"年龄须在 {policy.age_min}–{policy.age_max} 周岁之间",
            f"age must be {policy.age_min}–{policy.age_max}",
        ),
        Check(
            "COVERAGE",
            who.county in policy.counties
            and product.code in policy.products
            and who.segment in {s.value for s in product.segments},
            f"county={who.county}, segment={who.segment}, product={product.code}",
            "所在地区或客群暂不在本产品服务范围内",
            "your county or customer segment is not covered by this product",
        ),
        Check(
            "BLACKLIST",
            not who.blacklisted,
            f"blacklisted={who.blacklisted}",
            "存在不良记录，暂不能申请",
            "listed on the lender's exclusion list",
        ),
        Check(
            "OPEN_DPD",
            who.max_open_days_past_due <= policy.max_open_days_past_due,
            f"max_open_dpd={who.max_open_days_past_due}",
            "您有逾期 30 天以上的未结清贷款，请先还清",
            "you have an open loan 30 or more days past due; repay it first",
        ),
        Check(
            "COOLDOWN",
            cooldown_until is None or app.applied_on >= cooldown_until,
            f"last_decline={who.last_decline_on}",
            f"距上次申请未满 {policy.decline_cooldown_days} 天，请于 {cooldown_until} 后再申请",
            f"less than {policy.decline_cooldown_days} days since the last decline; "
            f"apply again from {cooldown_until}",
        ),
    ]


def _feature(features: Mapping[str, object], name: str) -> Decimal:
    value = features.get(name) if name else None
    if value is None or isinstance(value, bool):
        return Decimal(0)
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return Decimal(0)
    return number if number.is_finite() and number > 0 else Decimal(0)


def _limit(
    app: Application,
    who: Applicant,
    features: Mapping[str, object],
    band: str,
    rate_annual: Decimal,
    policy: Policy,
    product: Product,
) -> tuple[int, Check]:
    annual_income = (
        _feature(features, policy.annual_income_feature) * policy.annual_income_multiplier
    )
    rule = product.limit_rule
    if rule is None or rule.basis is LimitBasis.ANNUAL_INCOME:
        base = annual_income * (rule.multiple if rule else Decimal("0.5"))
    elif rule.basis is LimitBasis.MONTHLY_SALES:
        base = _feature(features, policy.monthly_sales_feature) * rule.multiple
    else:
        base = _feature(features, policy.land_area_feature) * rule.multiple
    by_band = base * policy.band_factor[band]
    cap_product = product.amount_max_yuan
    cap_internet = policy.max_limit_yuan - from_fen(who.existing_limit_fen)
    # Debt to income: a fully drawn line repaid over 12 months must fit what is left of the
    # yearly repayment budget after existing debts.
    budget = annual_income * policy.debt_to_income_ceiling - from_fen(who.annual_debt_service_fen)
    yearly_cost_per_yuan = 1 + rate_annual * Decimal("0.55")  # ≈ 12 × pmt(r/12, 12) per yuan
    cap_dti = budget / yearly_cost_per_yuan if budget > 0 else Decimal(0)
    caps = [by_band, cap_product, cap_internet, cap_dti]
    if app.requested_limit_fen:
        caps.append(from_fen(app.requested_limit_fen))
    raw = max(Decimal(0), min(caps))
    step = policy.round_down_to_yuan
    limit = (raw / step).to_integral_value(rounding=ROUND_FLOOR) * step
    observed = (
        f"income={annual_income:.0f}, base={base:.0f}, band={by_band:.0f}, "
        f"product_cap={cap_product}, internet_cap={cap_internet}, dti_cap={cap_dti:.0f}, "
        f"limit={limit}"
    )
    passed = limit >= product.amount_min_yuan
    return to_fen(limit.quantize(Decimal("0.01"))), Check(
        "LIMIT",
        passed,
        observed,
        f"按您的收入测算，可贷额度低于最低额度 {product.amount_min_yuan} 元",
        f"the limit your income supports is below the minimum of {product.amount_min_yuan} CNY",
    )


def _declined(
    app: Application,
    policy: Policy,
    checks: list[Check],
    score: ScoreOutcome | None,
) -> Decision:
    failed = [c for c in checks if not c.passed]
    reasons_zh = [c.reason_zh for c in failed]
    reasons_en = [c.reason_en for c in failed]
    codes = [c.rule for c in failed]
    if score is not None and any(c.rule == "SCORE" for c in failed):
        for code, zh, en in score.reasons:
            reasons_zh.append(zh)
            reasons_en.append(en)
            codes.append(code)
    return Decision(
        approved=False,
        product_code=app.product_code,
        policy_version=policy.version,
        model_version=score.model_version if score else None,
        credit_points=score.credit_points if score else None,
        band=score.band if score else None,
        offer=None,
        reasons_zh=tuple(reasons_zh),
        reasons_en=tuple(reasons_en),
        reason_codes=tuple(codes),
        checks=tuple(checks),
    )


@lru_cache(maxsize=4096)
def _example(
    limit_fen: int,
    rate_annual: Decimal,
    term_months: int,
    start: date,
    method: Method,
    basis: Basis,
    principal_months: frozenset[int],
) -> tuple[str, int]:
    """The offer's APR (formatted) and first payment: the whole limit drawn over the longest
    term. Pure, and limits are rounded (policy ``round_down_to``), so on one business day
    offers repeat these inputs: building the schedule and solving its APR each time was a
    sixth of a decision's CPU."""
    example = build_schedule(
        limit_fen, rate_annual, term_months, start, method, basis, principal_months
    )
    return format_rate(example.apr), example.instalments[0].payment_fen


def decide(
    app: Application,
    who: Applicant,
    features: Mapping[str, object],
    score: Callable[[Mapping[str, object]], ScoreOutcome],
    policy: Policy,
    product: Product,
) -> Decision:
    """Decide an application. ``score`` is only called once eligibility has passed."""
    checks = eligibility(app, who, policy, product)
    if not all(c.passed for c in checks):
        return _declined(app, policy, checks, None)
    outcome = score(features)
    checks.append(
        Check(
            "SCORE",
            outcome.credit_points >= policy.min_points,
            f"points={outcome.credit_points}, band={outcome.band}, model={outcome.model_version}",
            f"综合信用评分 {outcome.credit_points} 分，未达到准入分数 {policy.min_points} 分",
            f"credit score {outcome.credit_points} is below the approval line {policy.min_points}",
        )
    )
    if not checks[-1].passed:
        return _declined(app, policy, checks, outcome)
    sales = _feature(features, policy.monthly_sales_feature) if product.sales_pricing else None
    rate_annual = product.rate_for(outcome.band, sales)
    limit_fen, limit_check = _limit(app, who, features, outcome.band, rate_annual, policy, product)
    checks.append(limit_check)
    if not limit_check.passed:
        return _declined(app, policy, checks, outcome)
    methods = product.methods_for(outcome.band)
    apr, first_payment_fen = _example(
        limit_fen,
        rate_annual,
        max(product.terms_months),
        app.applied_on,
        Method.EQUAL_INSTALLMENT if Method.EQUAL_INSTALLMENT in methods else methods[0],
        product.interest_basis,
        product.principal_months,
    )
    penalty = policy.penalty_rate(rate_annual, product.penalty_multiplier, app.applied_on)
    checks.append(
        Check(
            "PRICE",
            True,
            f"rate={rate_annual}, penalty={penalty}, ceiling={policy.ceiling(app.applied_on)}",
        )
    )
    offer = Offer(
        limit_fen=limit_fen,
        band=outcome.band,
        rate_annual=str(rate_annual),
        penalty_rate_annual=str(penalty),
        apr=apr,
        daily_rate=f"{rate_annual / 360 * 100:.4f}%",
        methods=tuple(m.value for m in methods),
        terms_months=product.terms_months,
        expires_on=add_months(app.applied_on, product.line_validity_months).isoformat(),
        example_monthly_payment_fen=first_payment_fen,
    )
    basis_zh = "按日计息" if product.interest_basis is Basis.DAILY else "按月计息"
    return Decision(
        approved=True,
        product_code=product.code,
        policy_version=policy.version,
        model_version=outcome.model_version,
        credit_points=outcome.credit_points,
        band=outcome.band,
        offer=offer,
        reasons_zh=(
            f"信用评分 {outcome.credit_points} 分（{outcome.band} 级），授信额度 "
            f"{from_fen(limit_fen):,} 元，年化利率 {offer.apr}（{basis_zh}）",
        ),
        reasons_en=(
            f"credit score {outcome.credit_points} (band {outcome.band}); limit "
            f"{from_fen(limit_fen):,} CNY at {offer.apr} APR",
        ),
        reason_codes=(),
        checks=tuple(checks),
    )
