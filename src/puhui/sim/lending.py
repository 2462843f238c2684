"""The lender's book under the default product: draws, repayments, delinquency, defaults.

A granted person holds a revolving line (授信) valid 12 months and renewed when in good
standing. Each month, in this order:

1. lines reaching expiry are renewed (not defaulted, nothing overdue) or lapse;
2. a borrower who owes money may enter **default** with the month's hazard ``pd`` (the truth):
   from then on they pay nothing, so the draw reaches 90+ days past due;
3. some borrowers in good standing **repay early** (随借随还) on a random day, the whole
   balance with interest for the days used (日利率 = annual / 360), more often in a month of
   surplus income (harvest);
4. each remaining draw has an instalment due on its draw day of month: it is paid, or missed.
   A borrower who is not in default misses through a liquidity problem (probability from
   willingness, ability and stress) and **cures** within two months, paying the arrears and
   penalty interest (1.5 × rate on overdue principal per day), so lateness alone never
   reaches 90 days;
5. people with an active line and no open draw may **draw**, with a probability rising with
   their need, the farming season, stress and disasters, falling with the price (rate) of
   their band, and much higher once they have borrowed before; amount = share of the limit,
   term 3/6/9/12 months; bands A/B may choose interest-first 先息后本, otherwise 等额本息;
6. month-end status: outstanding and overdue principal, days past due, classification.

Schedules are the bank-contract formulas of ``puhui.schedule`` in integer fen (monthly basis:
period interest = balance × rate / 12, half-up; the level payment of ``equal_installment``
from the annuity factor; the last instalment takes the rest), tested against
``puhui.schedule.build_schedule``. Simplifications: at most one open draw per person; draws
fall on days 1–28 so due dates never clip at month end.

:class:`LoanBook` is the one mutable structure of the simulator: :meth:`LoanBook.step` updates
its arrays in place, month by month, and returns the month's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from puhui.errors import invariant
from puhui.money import DAYS_PER_YEAR, MONTHS_PER_YEAR, RATE_SCALE
from puhui.products import BANDS
from puhui.sim.config import ModelParams
from puhui.sim.policy import Grant, ProductTerms
from puhui.sim.schemas import labels
from puhui.sim.timeline import Timeline

METHODS: tuple[str, ...] = ("equal_installment", "interest_first")
CLASSES: tuple[str, ...] = ("normal", "special_mention", "substandard", "doubtful", "loss")
#: Upper bounds of days past due for 关注 / 次级 / 可疑 (五级分类); above the last is 损失.
CLASS_DPD_BOUNDS = np.array([0, 90, 270, 360])
#: Repayment kinds in the order they happen on one day: arrears are cleared before the day's
#: instalment, and an early repayment settles what is left after it.
REPAYMENT_KINDS: tuple[str, ...] = ("overdue", "instalment", "prepayment")
OVERDUE, INSTALMENT, PREPAYMENT = range(3)
LAST_DRAW_DAY = 28
FORCED_CURE_MONTHS = 2
#: Draw ids and line ids start here so they never look like row numbers.
DRAW_ID_BASE = 70_000_000
LINE_ID_BASE = 30_000_000


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def half_up_div(numerator: np.ndarray, denominator: int) -> np.ndarray:
    """``round_half_up(numerator / denominator)`` for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def month_interest_fen(balance_fen: np.ndarray, rate_e8: np.ndarray) -> np.ndarray:
    """One monthly period's interest: balance × rate / 12, half-up (``schedule`` formula)."""
    return half_up_div(balance_fen * rate_e8, MONTHS_PER_YEAR * RATE_SCALE)


def day_interest_fen(balance_fen: np.ndarray, rate_e8: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Interest for actual days at rate / 360, half-up (``money.daily_interest_fen``)."""
    return half_up_div(balance_fen * rate_e8 * days, DAYS_PER_YEAR * RATE_SCALE)


def level_payment_fen(
    principal_fen: np.ndarray, rate_e8: np.ndarray, term: np.ndarray
) -> np.ndarray:
    """等额本息 level payment: principal / Σ_k (1 + r/12)^-k, rounded to the fen."""
    r = rate_e8 / RATE_SCALE / MONTHS_PER_YEAR
    factor = (1 - (1 + r) ** (-term.astype(float))) / r
    return np.floor(principal_fen / factor + 0.5).astype(np.int64)


@dataclass(slots=True)
class MonthRows:
    """Rows produced by one month of lending (column arrays, one list entry per kind)."""

    lines: list[dict[str, np.ndarray]] = field(default_factory=list)
    draws: dict[str, np.ndarray] = field(default_factory=dict)
    repayments: list[dict[str, np.ndarray]] = field(default_factory=list)
    status: dict[str, np.ndarray] = field(default_factory=dict)


_INT_STATE = (
    "draw_id",
    "draw_line_id",
    "draw_t",
    "draw_dom",
    "term",
    "level_fen",
    "scheduled_fen",
    "next_seq",
    "period_start_day",
    "arrears_count",
    "arrears_principal_fen",
    "arrears_interest_fen",
    "arrears_weighted",
    "oldest_due_day",
    "oldest_due_t",
)
_BOOL_STATE = ("open", "interest_first", "defaulted", "ever_drawn")


@dataclass(slots=True)
class LoanBook:
    """Per-person loan state (index = person); see the module docstring."""

    terms: ProductTerms
    params: ModelParams
    timeline: Timeline
    granted: np.ndarray
    band: np.ndarray
    limit_fen: np.ndarray
    rate_e8: np.ndarray
    penalty_e8: np.ndarray
    prefers_interest_first: np.ndarray
    line_id: np.ndarray
    line_expiry_t: np.ndarray
    next_line_id: int
    next_draw_id: int = DRAW_ID_BASE
    open: np.ndarray = field(init=False)
    draw_id: np.ndarray = field(init=False)
    draw_line_id: np.ndarray = field(init=False)
    draw_t: np.ndarray = field(init=False)
    draw_dom: np.ndarray = field(init=False)
    term: np.ndarray = field(init=False)
    interest_first: np.ndarray = field(init=False)
    level_fen: np.ndarray = field(init=False)
    scheduled_fen: np.ndarray = field(init=False)
    next_seq: np.ndarray = field(init=False)
    period_start_day: np.ndarray = field(init=False)
    arrears_count: np.ndarray = field(init=False)
    arrears_principal_fen: np.ndarray = field(init=False)
    arrears_interest_fen: np.ndarray = field(init=False)
    arrears_weighted: np.ndarray = field(init=False)
    oldest_due_day: np.ndarray = field(init=False)
    oldest_due_t: np.ndarray = field(init=False)
    defaulted: np.ndarray = field(init=False)
    default_t: np.ndarray = field(init=False)
    ever_drawn: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n = self.granted.size
        for name in _INT_STATE:
            setattr(self, name, np.zeros(n, dtype=np.int64))
        for name in _BOOL_STATE:
            setattr(self, name, np.zeros(n, dtype=bool))
        self.default_t = np.full(n, -1, dtype=np.int64)

    @property
    def outstanding_fen(self) -> np.ndarray:
        return np.where(self.open, self.scheduled_fen + self.arrears_principal_fen, 0)


def open_book(
    grant: Grant,
    terms: ProductTerms,
    params: ModelParams,
    timeline: Timeline,
    interest_first_draw: np.ndarray,
) -> tuple[LoanBook, dict[str, np.ndarray]]:
    """The book at launch and the launch-day ``lender/lines`` rows."""
    granted = grant.granted
    who = np.flatnonzero(granted)
    band = np.maximum(grant.band, 0)
    line_id = np.full(granted.size, -1, dtype=np.int64)
    line_id[who] = LINE_ID_BASE + np.arange(who.size)
    expiry_t = np.where(granted, terms.validity_months, -1)
    book = LoanBook(
        terms=terms,
        params=params,
        timeline=timeline,
        granted=granted,
        band=grant.band,
        limit_fen=grant.limit_fen,
        rate_e8=terms.rate_e8_by_band[band],
        penalty_e8=terms.penalty_e8_by_band[band],
        prefers_interest_first=interest_first_draw & terms.interest_first_by_band[band],
        line_id=line_id,
        line_expiry_t=expiry_t,
        next_line_id=LINE_ID_BASE + who.size,
    )
    return book, _line_rows(book, who, 0, np.full(who.size, -1, dtype=np.int64))


def _line_rows(book: LoanBook, who: np.ndarray, t: int, renewal_of: np.ndarray) -> dict:
    tl = book.timeline
    return {
        "person": who,
        "line_id": book.line_id[who],
        "granted_date": np.full(who.size, tl.first_day[t]),
        "expiry_date": np.full(who.size, tl.first_day[t + book.terms.validity_months] - 1),
        "limit_fen": book.limit_fen[who],
        "band": labels(BANDS, book.band[who]),
        "rate_annual_e8": book.rate_e8[who],
        "renewal_of": renewal_of,
    }


@dataclass(frozen=True, slots=True)
class MonthChoices:
    """Per-person probabilities for one month (from ``behaviour``)."""

    pd: np.ndarray
    late: np.ndarray
    prepay: np.ndarray
    draw: np.ndarray


def step(book: LoanBook, t: int, choices: MonthChoices, gen: np.random.Generator) -> MonthRows:
    """Advance the book through month ``t`` in place; return the month's rows."""
    rows = MonthRows()
    first = int(book.timeline.first_day[t])
    closed_dom = np.zeros(book.granted.size, dtype=np.int64)
    _renew_lines(book, t, rows)

    exposed = np.flatnonzero(book.open & ~book.defaulted)
    new_default = exposed[gen.random(exposed.size) < choices.pd[exposed]]
    book.defaulted[new_default] = True
    book.default_t[new_default] = t

    candidates = np.flatnonzero(
        book.open & ~book.defaulted & (book.arrears_count == 0) & (book.draw_t < t)
    )
    chosen = candidates[gen.random(candidates.size) < choices.prepay[candidates]]
    payoff_dom = gen.integers(1, LAST_DRAW_DAY + 1, chosen.size)
    before_due = payoff_dom < book.draw_dom[chosen]
    _prepay(book, chosen[before_due], first + payoff_dom[before_due] - 1, first, rows, closed_dom)
    _cure(book, t, first, gen, rows)
    _dues(book, t, first, choices, gen, rows)
    after = chosen[~before_due]
    paid_due = book.open[after] & (book.arrears_count[after] == 0) & (book.scheduled_fen[after] > 0)
    after_day = first + payoff_dom[~before_due][paid_due] - 1
    _prepay(book, after[paid_due], after_day, first, rows, closed_dom)

    matured = np.flatnonzero(
        book.open
        & (book.next_seq > book.term)
        & (book.arrears_count == 0)
        & (book.scheduled_fen == 0)
    )
    book.open[matured] = False
    closed_dom[matured] = book.draw_dom[matured]
    _draw(book, t, first, choices, gen, rows, closed_dom)
    rows.status = _status(book, t)
    return rows


def _renew_lines(book: LoanBook, t: int, rows: MonthRows) -> None:
    renew = np.flatnonzero(
        book.granted & (book.line_expiry_t == t) & ~book.defaulted & (book.arrears_count == 0)
    )
    if renew.size:
        old = book.line_id[renew].copy()
        book.line_id[renew] = book.next_line_id + np.arange(renew.size)
        book.next_line_id += renew.size
        book.line_expiry_t[renew] = t + book.terms.validity_months
        rows.lines.append(_line_rows(book, renew, t, old))


def _repayment_rows(
    book: LoanBook,
    who: np.ndarray,
    day: np.ndarray,
    kind: int,
    principal: np.ndarray,
    interest: np.ndarray,
    penalty: np.ndarray,
    remaining: np.ndarray,
) -> dict[str, np.ndarray]:
    return {
        "draw_id": book.draw_id[who],
        "repay_date": np.broadcast_to(day, who.shape).astype(np.int64),
        "kind": np.full(who.size, kind, dtype=np.int64),
        "principal_fen": principal,
        "interest_fen": interest,
        "penalty_fen": penalty,
        "principal_remaining_fen": remaining,
    }


def _prepay(
    book: LoanBook,
    who: np.ndarray,
    day: np.ndarray,
    first: int,
    rows: MonthRows,
    closed_dom: np.ndarray,
) -> None:
    """Repay the whole balance on ``day`` with interest for the days since the period began."""
    days = day - book.period_start_day[who]
    invariant(bool((days >= 0).all()), "prepayment before the period started")
    principal = book.scheduled_fen[who].copy()
    interest = day_interest_fen(principal, book.rate_e8[who], days)
    zero = np.zeros(who.size, dtype=np.int64)
    rows.repayments.append(
        _repayment_rows(book, who, day, PREPAYMENT, principal, interest, zero, zero)
    )
    book.scheduled_fen[who] = 0
    book.open[who] = False
    closed_dom[who] = day - first + 1


def _cure(book: LoanBook, t: int, first: int, gen: np.random.Generator, rows: MonthRows) -> None:
    """Borrowers late for liquidity pay all arrears and penalty on their due day (≤ 2 months)."""
    owing = np.flatnonzero(book.open & ~book.defaulted & (book.arrears_count > 0))
    forced = (t - book.oldest_due_t[owing]) >= FORCED_CURE_MONTHS
    cure = owing[forced | (gen.random(owing.size) < book.params.cure_probability)]
    day = first + book.draw_dom[cure] - 1
    principal = book.arrears_principal_fen[cure].copy()
    # Penalty: Σ over overdue instalments of principal × days overdue × penalty rate / 360.
    principal_days = principal * day - book.arrears_weighted[cure]
    penalty = half_up_div(principal_days * book.penalty_e8[cure], DAYS_PER_YEAR * RATE_SCALE)
    rows.repayments.append(
        _repayment_rows(
            book,
            cure,
            day,
            OVERDUE,
            principal,
            book.arrears_interest_fen[cure].copy(),
            penalty,
            book.scheduled_fen[cure].copy(),
        )
    )
    for name in (
        "arrears_count",
        "arrears_principal_fen",
        "arrears_interest_fen",
        "arrears_weighted",
        "oldest_due_day",
        "oldest_due_t",
    ):
        getattr(book, name)[cure] = 0


def _dues(
    book: LoanBook,
    t: int,
    first: int,
    choices: MonthChoices,
    gen: np.random.Generator,
    rows: MonthRows,
) -> None:
    """This month's instalment of every open draw: paid on its due day, or missed."""
    due = np.flatnonzero(book.open & (book.next_seq <= book.term))
    invariant(bool((book.draw_t[due] + book.next_seq[due] == t).all()), "one instalment per month")
    day = first + book.draw_dom[due] - 1
    balance = book.scheduled_fen[due]
    interest = month_interest_fen(balance, book.rate_e8[due])
    last = book.next_seq[due] == book.term[due]
    amortising = np.minimum(np.maximum(book.level_fen[due] - interest, 0), balance)
    principal = np.where(last, balance, np.where(book.interest_first[due], 0, amortising))
    miss = book.defaulted[due] | (book.arrears_count[due] > 0)
    could_pay = np.flatnonzero(~miss)
    miss[could_pay[gen.random(could_pay.size) < choices.late[due[could_pay]]]] = True

    paid = ~miss
    zero = np.zeros(int(paid.sum()), dtype=np.int64)
    rows.repayments.append(
        _repayment_rows(
            book,
            due[paid],
            day[paid],
            INSTALMENT,
            principal[paid],
            interest[paid],
            zero,
            balance[paid] - principal[paid],
        )
    )
    late = due[miss]
    first_miss = late[book.arrears_count[late] == 0]
    book.oldest_due_day[first_miss] = day[miss][book.arrears_count[late] == 0]
    book.oldest_due_t[first_miss] = t
    book.arrears_count[late] += 1
    book.arrears_principal_fen[late] += principal[miss]
    book.arrears_interest_fen[late] += interest[miss]
    book.arrears_weighted[late] += principal[miss] * day[miss]

    book.scheduled_fen[due] = balance - principal
    book.next_seq[due] += 1
    book.period_start_day[due] = day


def _draw(
    book: LoanBook,
    t: int,
    first: int,
    choices: MonthChoices,
    gen: np.random.Generator,
    rows: MonthRows,
    closed_dom: np.ndarray,
) -> None:
    """New draws on active lines by people without an open draw."""
    p = book.params
    terms = book.terms
    eligible = np.flatnonzero(
        book.granted & (book.line_expiry_t > t) & ~book.open & ~book.defaulted
    )
    who = eligible[gen.random(eligible.size) < choices.draw[eligible]]
    dom = np.maximum(gen.integers(1, LAST_DRAW_DAY + 1, who.size), closed_dom[who])
    share = gen.beta(p.draw_share_a, p.draw_share_b, who.size)
    limit = book.limit_fen[who]
    amount = np.clip((limit * share // 10_000) * 10_000, max(terms.draw_min_fen, 100_000), limit)
    term = terms.terms_months[gen.choice(terms.terms_months.size, who.size, p=p.term_shares)]
    interest_first = book.prefers_interest_first[who]
    rate = book.rate_e8[who]
    ids = book.next_draw_id + np.arange(who.size)
    book.next_draw_id += who.size
    day = first + dom - 1

    book.open[who] = True
    book.ever_drawn[who] = True
    book.draw_id[who] = ids
    book.draw_line_id[who] = book.line_id[who]
    book.draw_t[who] = t
    book.draw_dom[who] = dom
    book.term[who] = term
    book.interest_first[who] = interest_first
    book.level_fen[who] = np.where(interest_first, 0, level_payment_fen(amount, rate, term))
    book.scheduled_fen[who] = amount
    book.next_seq[who] = 1
    book.period_start_day[who] = day
    rows.draws = {
        "person": who,
        "draw_id": ids,
        "line_id": book.line_id[who],
        "draw_date": day,
        "principal_fen": amount,
        "term_months": term,
        "repayment_method": labels(METHODS, interest_first),
        "rate_annual_e8": rate,
        "maturity_date": book.timeline.first_day[t + term] + dom - 1,
    }


def classify(days_past_due: np.ndarray) -> np.ndarray:
    """五级分类 index: 0 正常, 1 关注 (1–90), 2 次级 (91–270), 3 可疑 (271–360), 4 损失."""
    return np.searchsorted(CLASS_DPD_BOUNDS, days_past_due, side="left")


def _status(book: LoanBook, t: int) -> dict[str, np.ndarray]:
    who = np.flatnonzero(book.open)
    month_end = book.timeline.month_end(t)
    late = book.arrears_count[who] > 0
    dpd = np.where(late, month_end - book.oldest_due_day[who], 0)
    return {
        "person": who,
        "month_end": np.full(who.size, month_end),
        "draw_id": book.draw_id[who],
        "line_id": book.draw_line_id[who],
        "outstanding_principal_fen": book.scheduled_fen[who] + book.arrears_principal_fen[who],
        "overdue_principal_fen": book.arrears_principal_fen[who],
        "overdue_interest_fen": book.arrears_interest_fen[who],
        "days_past_due": dpd,
        "classification": labels(CLASSES, classify(dpd)),
    }
