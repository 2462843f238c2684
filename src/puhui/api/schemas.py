"""Request and response bodies — one per use, never a table. Money is a string of yuan."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from puhui.loans import CreditLine, Loan
from puhui.money import DAYS_PER_YEAR, format_rate, from_fen
from puhui.products import Product
from puhui.schedule import Schedule

Amount = Annotated[
    str,
    Field(
        description='Amount in yuan as a string with at most 2 decimals, e.g. "1000.50"',
        examples=["1000.00"],
        max_length=20,
    ),
]


def yuan(amount_fen: int) -> str:
    return str(from_fen(amount_fen))


class Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Price(Out):
    """A price as the PBoC disclosure rule wants it: APR next to any other rate."""

    rate_annual: str = Field(description="contract annual rate, e.g. 0.072")
    apr: str = Field(description="年化利率 APR as a percentage, e.g. 7.20%")
    daily_rate: str = Field(description="日利率 = annual / 360, as a percentage")


def price(rate_annual: Decimal, apr: Decimal | None = None) -> Price:
    return Price(
        rate_annual=str(rate_annual),
        apr=format_rate(apr if apr is not None else rate_annual),
        daily_rate=f"{rate_annual / DAYS_PER_YEAR * 100:.4f}%",
    )


class MethodOut(Out):
    code: str
    label_zh: str


class LineOut(Out):
    line_id: int
    customer_id: int
    product_code: str
    product_name_zh: str
    status: str
    status_zh: str
    limit: str
    used: str
    available: str
    band: str
    price: Price
    methods: list[MethodOut]
    terms_months: list[int]
    granted_on: date
    expires_on: date
    revolving: bool


def line_out(line: CreditLine, product: Product, on: date) -> LineOut:
    return LineOut(
        line_id=line.line_id,
        customer_id=line.customer_id,
        product_code=line.product_code,
        product_name_zh=product.name_zh,
        status=line.status.value,
        status_zh=line.status.label_zh,
        limit=yuan(line.limit_fen),
        used=yuan(line.used_fen),
        available=yuan(line.available_fen(on)),
        band=line.band,
        price=price(line.rate_annual),
        methods=[MethodOut(code=m.value, label_zh=m.label_zh) for m in line.methods],
        terms_months=list(product.terms_months),
        granted_on=line.granted_on,
        expires_on=line.expires_on,
        revolving=line.revolving,
    )


class RowOut(Out):
    seq: int
    due_date: date
    principal: str
    interest: str
    payment: str
    paid: str
    kind: str
    settled: bool


class LoanOut(Out):
    loan_id: int
    line_id: int
    customer_id: int
    product_code: str
    principal: str
    outstanding: str
    interest_receivable: str
    penalty_receivable: str
    status: str
    status_zh: str
    asset_class: str
    asset_class_zh: str
    days_past_due: int
    price: Price
    method: str
    method_zh: str
    start_date: date
    maturity_date: date
    next_due_date: date | None
    next_payment: str | None


def loan_out(item: Loan) -> LoanOut:
    upcoming = [r for r in item.rows if not r.settled]
    nxt = upcoming[0] if upcoming else None
    return LoanOut(
        loan_id=item.loan_id,
        line_id=item.line_id,
        customer_id=item.customer_id,
        product_code=item.product_code,
        principal=yuan(item.principal_fen),
        outstanding=yuan(item.principal_outstanding_fen),
        interest_receivable=yuan(item.interest_receivable_fen),
        penalty_receivable=yuan(item.penalty_receivable_fen),
        status=item.status.value,
        status_zh=item.status.label_zh,
        asset_class=item.asset_class.value,
        asset_class_zh=item.asset_class.label_zh,
        days_past_due=item.days_past_due,
        price=price(item.rate_annual),
        method=item.method.value,
        method_zh=item.method.label_zh,
        start_date=item.start_date,
        maturity_date=item.maturity_date,
        next_due_date=nxt.due_date if nxt else None,
        next_payment=(yuan(nxt.principal_unpaid_fen + nxt.interest_unpaid_fen) if nxt else None),
    )


def rows_out(item: Loan) -> list[RowOut]:
    return [
        RowOut(
            seq=r.seq,
            due_date=r.due_date,
            principal=yuan(r.principal_fen),
            interest=yuan(r.interest_fen),
            payment=yuan(r.principal_fen + r.interest_fen),
            paid=yuan(r.principal_paid_fen + r.interest_paid_fen),
            kind=r.kind.value,
            settled=r.settled,
        )
        for r in item.rows
    ]


class InstalmentOut(Out):
    seq: int
    due_date: date
    principal: str
    interest: str
    payment: str


class SchedulePreviewOut(Out):
    amount: str
    term_months: int
    method: str
    method_zh: str
    price: Price
    total_interest: str
    total_payment: str
    instalments: list[InstalmentOut]


def preview_out(schedule: Schedule) -> SchedulePreviewOut:
    return SchedulePreviewOut(
        amount=yuan(schedule.principal_fen),
        term_months=len(schedule.instalments),
        method=schedule.method.value,
        method_zh=schedule.method.label_zh,
        price=price(schedule.rate_annual, schedule.apr),
        total_interest=yuan(schedule.total_interest_fen),
        total_payment=yuan(schedule.total_payment_fen),
        instalments=[
            InstalmentOut(
                seq=inst.seq,
                due_date=inst.due_date,
                principal=yuan(inst.principal_fen),
                interest=yuan(inst.interest_fen),
                payment=yuan(inst.payment_fen),
            )
            for inst in schedule.instalments
        ],
    )


class DrawIn(In):
    amount: Amount
    term_months: int = Field(ge=1, le=360)
    method: str = Field(default="equal_installment", max_length=40)


class DrawOut(Out):
    loan_id: int
    amount: str
    price: Price
    first_due_date: date
    first_payment: str
    total_interest: str
    available_after: str


class RepayIn(In):
    amount: Amount | None = Field(default=None, description="omit with full=true to settle")
    full: bool = False
    from_channel: bool = Field(
        default=False, description="pay from the bank card instead of the wallet"
    )


class RepayOut(Out):
    loan_id: int
    amount: str
    penalty: str
    interest: str
    principal: str
    prepaid_principal: str
    status: str
    outstanding: str
    wallet_balance: str


class PayoffOut(Out):
    loan_id: int
    payoff: str
    as_of: date


class MoneyIn(In):
    amount: Amount


class WalletOut(Out):
    customer_id: int
    balance: str


class StatementLineOut(Out):
    seq: int
    date: date
    kind: str
    change: str
    balance: str


class StatementOut(Out):
    account: str
    opening: str
    lines: list[StatementLineOut]


class RegisterIn(In):
    """Only what the lender cannot already know; township and village come from the county's
    household register."""

    phone: str = Field(max_length=20)
    password: str = Field(max_length=128)
    name: str = Field(max_length=30, description="real name as on the ID card")
    id_number: str = Field(max_length=20, description="18-character resident identity number")
    segment: str = Field(default="farmer", max_length=40)


class LoginIn(In):
    phone: str = Field(max_length=20)
    password: str = Field(max_length=128)


class UserOut(Out):
    user_id: int
    role: str
    display_name: str
    county: str
    customer_id: int | None
    phone_masked: str
    in_county_register: bool | None = None


class SessionOut(Out):
    token: str
    csrf_token: str
    user: UserOut


class StaffIn(In):
    phone: str = Field(max_length=20)
    password: str = Field(max_length=128)
    role: str = Field(max_length=20)
    name: str = Field(max_length=100)
    county: str = Field(default="", max_length=40)


class LimitIn(In):
    limit: Amount


class PortfolioOut(Out):
    county: str | None
    customers: int
    lines_active: int
    borrowers_now: int
    loans_open: int
    outstanding: str
    npl: str
    npl_ratio: str
    by_class: dict[str, str]
    by_township: dict[str, str]


class ErrorDetail(Out):
    code: str = Field(description="stable machine code, e.g. LINE_FROZEN")
    message_zh: str
    message_en: str
    request_id: str
    details: dict[str, int | str] | None = None
    fields: list[dict[str, str]] | None = None


class ErrorOut(Out):
    """The one error shape."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in (
        (400, "bad request"),
        (401, "not logged in"),
        (403, "forbidden, or CSRF token missing"),
        (404, "no such record"),
        (409, "state forbids it (frozen line, key reused, exceeds what is owed…)"),
        (422, "invalid input (amount precision, weak password, missing Idempotency-Key…)"),
        (429, "too many failed logins"),
        (500, "internal error (no detail)"),
    )
}


class ConsentIn(In):
    purpose: str = Field(default="credit_scoring", max_length=30)
    scope: str = Field(default="all", max_length=200, description="sources, or `all`")


class ConsentOut(Out):
    consent_id: int
    purpose: str
    scope: str
    channel: str
    granted_at: str
    withdrawn_at: str | None
    active: bool


class ApplyIn(In):
    product_code: str = Field(default="xintai_farmer_line", max_length=60)
    requested_limit: Amount | None = None


class OfferOut(Out):
    limit: str
    band: str
    price: Price
    penalty_rate_annual: str
    methods: list[MethodOut]
    terms_months: list[int]
    expires_on: date
    example_monthly_payment: str


class DecisionOut(Out):
    decision_id: int
    approved: bool
    product_code: str
    credit_points: int | None
    band: str | None
    offer: OfferOut | None
    line_id: int | None
    reasons_zh: list[str]
    reasons_en: list[str]
    reason_codes: list[str]
    human_review_available: bool
    policy_version: str
    model_version: str | None
    applied_on: date | None = None


class ReviewIn(In):
    note: str = Field(default="", max_length=500)


class ReviewOut(Out):
    review_id: int
    decision_id: int
    county: str
    status: str
    note: str
    resolution_note: str | None


class ResolveIn(In):
    overturn: bool
    note: str = Field(max_length=500)
    limit: Amount | None = None
    band: str | None = Field(default=None, max_length=2)


class ResolveOut(Out):
    review: ReviewOut
    line_id: int | None
