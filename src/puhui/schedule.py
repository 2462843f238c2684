"""Repayment schedules (还款计划) — pure functions, no storage, no "today".

Owns: due-date arithmetic, the four repayment methods and the two interest bases, and the
APR (年化利率) of a schedule.

Methods
- ``equal_installment`` 等额本息: a level payment each period; the last absorbs rounding.
- ``equal_principal`` 等额本金: equal principal each period plus interest on the balance.
- ``interest_first`` 先息后本: interest each period, all principal at maturity.
- ``seasonal`` 按季节还本: interest each period; principal falls due in the product's harvest
  months (``principal_months``), split equally, the rest at maturity (a balloon when no
  harvest month falls inside the term).

Interest bases (a product setting)
- ``monthly``: period rate = annual / 12, the standard bank-contract formula, so the level
  payment equals ``numpy_financial.pmt`` to the fen.
- ``daily``: 日利率 = annual / 360 on the actual days of each period.
A *broken* first period (after a partial prepayment the current period restarts on the
prepayment date) always accrues daily on actual days.

Invariants (checked by :func:`_check`, property-tested in ``tests/test_schedule.py``)
- principal of all instalments sums exactly to the loan principal;
- no instalment has a negative principal, interest or payment;
- for ``equal_installment`` every payment but the last is the same to the fen;
- interest of each period is the period's opening balance × period rate, half-up to the fen.

Due dates are anchored to the start day: a loan drawn on Jan 31 falls due on Feb 28 (29 in a
leap year), Mar 31, Apr 30 … — never drifting to the 28th.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from enum import StrEnum
from itertools import pairwise

from puhui.errors import ValidationError, invariant
from puhui.money import (
    DAYS_PER_YEAR,
    MONTHS_PER_YEAR,
    RATE_SCALE,
    daily_interest_fen,
    from_fen,
    rate_to_e8,
    to_fen,
)

MAX_TERM_MONTHS = 360


class Method(StrEnum):
    """Repayment method 还款方式."""

    EQUAL_INSTALLMENT = "equal_installment"
    EQUAL_PRINCIPAL = "equal_principal"
    INTEREST_FIRST = "interest_first"
    SEASONAL = "seasonal"

    @property
    def label_zh(self) -> str:
        return _METHOD_ZH[self]


_METHOD_ZH = {
    Method.EQUAL_INSTALLMENT: "等额本息",
    Method.EQUAL_PRINCIPAL: "等额本金",
    Method.INTEREST_FIRST: "先息后本",
    Method.SEASONAL: "按季节还本（收获月还本）",
}


class Basis(StrEnum):
    """Interest basis 计息方式 of a product."""

    MONTHLY = "monthly"
    DAILY = "daily"


@dataclass(frozen=True, slots=True)
class Period:
    """One interest period ``(start, due]``; ``daily`` forces actual-day accrual."""

    start: date
    due: date
    daily: bool

    @property
    def days(self) -> int:
        return (self.due - self.start).days


@dataclass(frozen=True, slots=True)
class Instalment:
    """One line of a schedule 期供. Amounts in integer fen; see the ``*_yuan`` properties."""

    seq: int
    period_start: date
    due_date: date
    opening_principal_fen: int
    principal_fen: int
    interest_fen: int
    daily: bool

    @property
    def payment_fen(self) -> int:
        return self.principal_fen + self.interest_fen

    @property
    def principal_yuan(self) -> Decimal:
        return from_fen(self.principal_fen)

    @property
    def interest_yuan(self) -> Decimal:
        return from_fen(self.interest_fen)

    @property
    def payment_yuan(self) -> Decimal:
        return from_fen(self.payment_fen)


@dataclass(frozen=True, slots=True)
class Schedule:
    """A repayment schedule with its APR; immutable."""

    principal_fen: int
    rate_annual: Decimal
    method: Method
    basis: Basis
    instalments: tuple[Instalment, ...]

    @property
    def apr(self) -> Decimal:
        """年化利率 of this schedule (computed on demand: bulk loads never need it)."""
        return annual_percentage_rate(self.principal_fen, self.instalments)

    @property
    def total_interest_fen(self) -> int:
        return sum(i.interest_fen for i in self.instalments)

    @property
    def total_payment_fen(self) -> int:
        return self.principal_fen + self.total_interest_fen

    @property
    def maturity_date(self) -> date:
        return self.instalments[-1].due_date


def add_months(start: date, months: int, anchor_day: int | None = None) -> date:
    """``start`` plus ``months`` calendar months, clipped to month end, anchored to ``anchor_day``.

    >>> add_months(date(2024, 1, 31), 1)
    datetime.date(2024, 2, 29)
    >>> add_months(date(2024, 1, 31), 2)
    datetime.date(2024, 3, 31)
    """
    day = anchor_day if anchor_day is not None else start.day
    month_index = start.year * 12 + (start.month - 1) + months
    year, month0 = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day, last_day))


def due_dates(start: date, term_months: int) -> list[date]:
    """Monthly due dates for a loan drawn on ``start``, anchored to its day of month."""
    return [add_months(start, k, start.day) for k in range(1, term_months + 1)]


def period_interest_fen(opening_fen: int, rate_annual: Decimal, period: Period) -> int:
    """Interest for one period on ``opening_fen``, half-up to the fen.

    Monthly basis: ``opening × annual / 12``. Daily basis or broken period:
    ``opening × annual / 360 × actual days`` (the integer formula ``store.eod`` shares).
    """
    rate_e8 = rate_to_e8(rate_annual)
    if period.daily:
        return daily_interest_fen(opening_fen, rate_e8, period.days)
    numerator = opening_fen * rate_e8
    denominator = MONTHS_PER_YEAR * RATE_SCALE
    return (2 * numerator + denominator) // (2 * denominator)


def _period_rate(rate_annual: Decimal, period: Period) -> Decimal:
    if period.daily:
        return rate_annual * period.days / DAYS_PER_YEAR
    return rate_annual / MONTHS_PER_YEAR


def level_payment_fen(principal_fen: int, rate_annual: Decimal, periods: Sequence[Period]) -> int:
    """Level payment that amortises ``principal_fen`` over ``periods``, half-up to the fen.

    ``A = P / Σ_k Π_{j≤k} 1/(1+r_j)``; with equal ``r`` this is the annuity formula
    ``P·r / (1 − (1+r)^−n)`` of ``numpy_financial.pmt``.
    """
    with localcontext() as ctx:
        ctx.prec = 50
        discount = Decimal(1)
        annuity_factor = Decimal(0)
        for period in periods:
            discount /= 1 + _period_rate(rate_annual, period)
            annuity_factor += discount
        return to_fen((Decimal(principal_fen) / annuity_factor / 100).quantize(Decimal("0.01")))


def _validate(principal_fen: int, rate_annual: Decimal, periods: Sequence[Period]) -> None:
    if principal_fen <= 0:
        raise ValidationError(
            "SCHEDULE_PRINCIPAL",
            f"本金必须大于零；收到 {from_fen(principal_fen)}",
            f"principal must be greater than zero; got {from_fen(principal_fen)}",
        )
    if not periods or len(periods) > MAX_TERM_MONTHS:
        raise ValidationError(
            "SCHEDULE_TERM",
            f"期数必须在 1 到 {MAX_TERM_MONTHS} 之间；收到 {len(periods)}",
            f"number of periods must be 1..{MAX_TERM_MONTHS}; got {len(periods)}",
        )
    if rate_annual < 0 or rate_annual >= 1:
        raise ValidationError(
            "RATE_RANGE",
            f"年利率必须在 0 到 1 之间；收到 {rate_annual}",
            f"rate_annual must be a fraction in [0, 1); got {rate_annual}",
        )
    for prev, cur in pairwise(periods):
        invariant(prev.due == cur.start, "periods must be contiguous")
    for period in periods:
        invariant(period.days > 0, f"period {period} must span at least one day")


def amortise(
    principal_fen: int,
    rate_annual: Decimal,
    periods: Sequence[Period],
    method: Method,
    principal_months: frozenset[int] = frozenset(),
    first_seq: int = 1,
) -> tuple[Instalment, ...]:
    """Split ``principal_fen`` over contiguous ``periods`` by ``method``.

    This is the one amortisation routine: new schedules, and the remaining schedule after a
    partial prepayment (with a broken, daily first period), both come through here.
    """
    _validate(principal_fen, rate_annual, periods)
    n = len(periods)
    level_fen = (
        level_payment_fen(principal_fen, rate_annual, periods)
        if method is Method.EQUAL_INSTALLMENT
        else 0
    )
    principal_plan = _principal_plan(principal_fen, periods, method, principal_months)
    outstanding = principal_fen
    rows: list[Instalment] = []
    for k, period in enumerate(periods):
        interest = period_interest_fen(outstanding, rate_annual, period)
        if k == n - 1:
            principal = outstanding
        elif method is Method.EQUAL_INSTALLMENT:
            principal = min(max(level_fen - interest, 0), outstanding)
        else:
            principal = min(principal_plan[k], outstanding)
        rows.append(
            Instalment(
                seq=first_seq + k,
                period_start=period.start,
                due_date=period.due,
                opening_principal_fen=outstanding,
                principal_fen=principal,
                interest_fen=interest,
                daily=period.daily,
            )
        )
        outstanding -= principal
    _check(principal_fen, rows)
    return tuple(rows)


def _principal_plan(
    principal_fen: int,
    periods: Sequence[Period],
    method: Method,
    principal_months: frozenset[int],
) -> list[int]:
    """Principal per period for the non-annuity methods (the last period is recomputed)."""
    n = len(periods)
    if method is Method.EQUAL_PRINCIPAL:
        share = (2 * principal_fen + n) // (2 * n)
        return [share] * n
    if method is Method.SEASONAL:
        harvest = [k for k, p in enumerate(periods) if p.due.month in principal_months]
        if n - 1 not in harvest:
            harvest.append(n - 1)
        m = len(harvest)
        share = (2 * principal_fen + m) // (2 * m)
        return [share if k in harvest else 0 for k in range(n)]
    return [0] * n


def _check(principal_fen: int, rows: Sequence[Instalment]) -> None:
    invariant(
        sum(r.principal_fen for r in rows) == principal_fen,
        "schedule principal must sum to the loan principal",
    )
    invariant(
        all(r.principal_fen >= 0 and r.interest_fen >= 0 for r in rows),
        "no instalment may be negative",
    )


_APR_PRECISION = 40
#: The last digit an APR is given to, and half of it: Newton's answer is certified against it.
_APR_DIGIT = Decimal("0.000001")
_APR_HALF_DIGIT = Decimal("0.0000005")
#: A margin inside the bracket, far wider than the bisection's final interval (10 / 2⁸⁰).
_APR_MARGIN = Decimal("1e-22")


def annual_percentage_rate(principal_fen: int, instalments: Sequence[Instalment]) -> Decimal:
    """APR 年化利率: the annual rate that discounts the payments back to the principal.

    Discounting follows each period's own convention (``a/12`` for a monthly period,
    ``a × days/360`` for a daily one), i.e. the IRR annualised by simple multiplication — the
    PBoC 2021 disclosure rule allows this form. With no fees it equals the contract rate up to
    fen rounding. Returned to 6 decimal places.

    The reference is :func:`apr_by_bisection`. Newton's method finds the same root in a handful
    of steps instead of 80; its 6-decimal answer is kept only when the present value certifies
    that the root lies strictly inside that answer's rounding interval, by a margin wider than
    the bisection's last interval — so it is the answer the bisection gives, digit for digit
    (stored decisions replay against it). Otherwise the bisection runs.
    """
    invariant(principal_fen > 0 and len(instalments) > 0, "APR needs a principal and payments")
    periods = [Period(inst.period_start, inst.due_date, inst.daily) for inst in instalments]
    principal = Decimal(principal_fen)
    with localcontext() as ctx:
        ctx.prec = _APR_PRECISION
        if _present_value(Decimal(0), instalments, periods) <= principal:
            return Decimal("0.000000")
        newton = _apr_newton(
            principal,
            [_period_rate(Decimal(1), period) for period in periods],
            [Decimal(inst.payment_fen) for inst in instalments],
        )
        if newton is not None:
            low = newton - _APR_HALF_DIGIT + _APR_MARGIN
            high = newton + _APR_HALF_DIGIT - _APR_MARGIN
            if low > 0 and _present_value(low, instalments, periods) > principal > _present_value(
                high, instalments, periods
            ):
                return newton
    return apr_by_bisection(principal_fen, instalments)


def apr_by_bisection(
    principal_fen: int, instalments: Sequence[Instalment], *, iterations: int = 80
) -> Decimal:
    """The reference APR: ``iterations`` halvings of [0, 10] in 40-digit ``Decimal``."""
    invariant(principal_fen > 0 and len(instalments) > 0, "APR needs a principal and payments")
    periods = [Period(inst.period_start, inst.due_date, inst.daily) for inst in instalments]
    with localcontext() as ctx:
        ctx.prec = _APR_PRECISION
        if _present_value(Decimal(0), instalments, periods) <= principal_fen:
            return Decimal("0.000000")
        low, high = Decimal(0), Decimal(10)
        for _ in range(iterations):
            mid = (low + high) / 2
            if _present_value(mid, instalments, periods) > principal_fen:
                low = mid
            else:
                high = mid
        return ((low + high) / 2).quantize(_APR_DIGIT)


def _present_value(
    apr: Decimal, instalments: Sequence[Instalment], periods: Sequence[Period]
) -> Decimal:
    """The payments discounted at ``apr``, each period by its own convention."""
    discount = Decimal(1)
    total = Decimal(0)
    for inst, period in zip(instalments, periods, strict=True):
        discount /= 1 + _period_rate(apr, period)
        total += inst.payment_fen * discount
    return total


def _apr_newton(
    principal: Decimal, fractions: Sequence[Decimal], payments: Sequence[Decimal]
) -> Decimal | None:
    """Newton's root of PV(a) = principal from a = 10 %, to 6 decimals; None if it strays.

    PV is decreasing and convex in ``a``, so from any start Newton converges fast; the caller
    certifies the answer anyway."""
    apr = Decimal("0.1")
    for _ in range(40):
        discount = Decimal(1)
        value = Decimal(0)
        slope = Decimal(0)
        log_slope = Decimal(0)  # d/da of log(discount) so far: −Σ f / (1 + a f)
        for fraction, payment in zip(fractions, payments, strict=True):
            growth = 1 + apr * fraction
            discount /= growth
            log_slope -= fraction / growth
            value += payment * discount
            slope += payment * discount * log_slope
        if slope >= 0:
            return None
        step = (value - principal) / slope
        apr -= step
        if not 0 <= apr <= 10:
            return None
        if abs(step) < Decimal("1e-30"):
            return apr.quantize(_APR_DIGIT)
    return None


def periods_for(start: date, term_months: int, basis: Basis) -> list[Period]:
    """The contiguous monthly periods of a new loan drawn on ``start``."""
    if not 1 <= term_months <= MAX_TERM_MONTHS:
        raise ValidationError(
            "SCHEDULE_TERM",
            f"期限必须在 1 到 {MAX_TERM_MONTHS} 个月之间；收到 {term_months}",
            f"term_months must be 1..{MAX_TERM_MONTHS}; got {term_months}",
        )
    dues = due_dates(start, term_months)
    starts = [start, *dues[:-1]]
    daily = basis is Basis.DAILY
    return [Period(s, d, daily) for s, d in zip(starts, dues, strict=True)]


def build_schedule(
    principal_fen: int,
    rate_annual: Decimal,
    term_months: int,
    start: date,
    method: Method,
    basis: Basis,
    principal_months: frozenset[int] = frozenset(),
) -> Schedule:
    """Schedule of a new loan of ``principal_fen`` drawn on ``start``."""
    periods = periods_for(start, term_months, basis)
    rows = amortise(principal_fen, rate_annual, periods, method, principal_months)
    return Schedule(
        principal_fen=principal_fen,
        rate_annual=rate_annual,
        method=method,
        basis=basis,
        instalments=rows,
    )


def reschedule_remaining(
    outstanding_fen: int,
    rate_annual: Decimal,
    on: date,
    remaining_due_dates: Sequence[date],
    method: Method,
    basis: Basis,
    principal_months: frozenset[int],
    first_seq: int,
    *,
    broken_first_period: bool,
) -> tuple[Instalment, ...]:
    """Remaining schedule after a partial prepayment on ``on`` (term kept, payment reduced).

    When ``on`` falls inside a period (``broken_first_period``) that period restarts on ``on``
    and accrues daily on actual days — the interest up to ``on`` was settled with the
    prepayment; later periods follow the product's basis.
    """
    invariant(len(remaining_due_dates) > 0 and remaining_due_dates[0] > on, "due dates ahead")
    starts = [on, *remaining_due_dates[:-1]]
    periods = [
        Period(s, d, daily=((k == 0 and broken_first_period) or basis is Basis.DAILY))
        for k, (s, d) in enumerate(zip(starts, remaining_due_dates, strict=True))
    ]
    return amortise(outstanding_fen, rate_annual, periods, method, principal_months, first_seq)
