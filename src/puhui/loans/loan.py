"""The loan 借据: its schedule rows, balances, status machine and 五级分类.

A loan is created by a drawdown (:func:`open_loan`) with the schedule of ``puhui.schedule`` as
its rows. Rows are *scheduled* instalments or *prepayment* rows — a settled record of an early
repayment, kept so the history shows what was paid when.

Status machine: ``active ⇄ overdue`` (set by the day's close, cured by repayment),
``active | overdue → paid_off``, ``overdue → written_off``; ``paid_off`` and ``written_off`` are
final. Days past due (DPD) count from the oldest unpaid due date; the asset class follows DPD:
正常 0, 关注 1–90, 次级 91–270, 可疑 271–360, 损失 > 360.

Balances are kept on the loan as the ledger holds them (integer fen):
``principal_outstanding_fen`` = Σ unpaid row principal, ``interest_receivable_fen`` = interest
accrued and not yet paid, ``penalty_receivable_fen`` likewise for penalty interest.
Accrual bookkeeping: ``interest_through`` / ``penalty_through`` are the dates accrual is posted
up to; ``accrued_fen`` is the interest posted so far on row ``accrued_seq`` (the current period).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from puhui.errors import Conflict, invariant
from puhui.ledger import AccountKind, Leg, account_code
from puhui.schedule import Basis, Instalment, Method, Schedule


class LoanStatus(StrEnum):
    ACTIVE = "active"
    OVERDUE = "overdue"
    PAID_OFF = "paid_off"
    WRITTEN_OFF = "written_off"

    @property
    def label_zh(self) -> str:
        return _STATUS_ZH[self]

    @property
    def closed(self) -> bool:
        return self in (LoanStatus.PAID_OFF, LoanStatus.WRITTEN_OFF)


_STATUS_ZH = {
    LoanStatus.ACTIVE: "正常还款中",
    LoanStatus.OVERDUE: "逾期",
    LoanStatus.PAID_OFF: "已结清",
    LoanStatus.WRITTEN_OFF: "已核销",
}


class AssetClass(StrEnum):
    """五级分类 five-category loan classification."""

    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"

    @property
    def label_zh(self) -> str:
        return _CLASS_ZH[self]

    @property
    def non_performing(self) -> bool:
        """NPL 不良 = 次级 + 可疑 + 损失."""
        return self in (AssetClass.SUBSTANDARD, AssetClass.DOUBTFUL, AssetClass.LOSS)


_CLASS_ZH = {
    AssetClass.NORMAL: "正常",
    AssetClass.SPECIAL_MENTION: "关注",
    AssetClass.SUBSTANDARD: "次级",
    AssetClass.DOUBTFUL: "可疑",
    AssetClass.LOSS: "损失",
}


def classify(days_past_due: int) -> AssetClass:
    """五级分类 by days past due: 关注 1–90, 次级 >90, 可疑 >270, 损失 >360."""
    invariant(days_past_due >= 0, "days past due cannot be negative")
    if days_past_due > 360:
        return AssetClass.LOSS
    if days_past_due > 270:
        return AssetClass.DOUBTFUL
    if days_past_due > 90:
        return AssetClass.SUBSTANDARD
    if days_past_due > 0:
        return AssetClass.SPECIAL_MENTION
    return AssetClass.NORMAL


class RowKind(StrEnum):
    SCHEDULED = "scheduled"
    PREPAYMENT = "prepayment"


@dataclass(frozen=True, slots=True)
class Row:
    """One schedule row with what has been paid against it (integer fen)."""

    seq: int
    period_start: date
    due_date: date
    opening_fen: int
    principal_fen: int
    interest_fen: int
    daily: bool
    principal_paid_fen: int = 0
    interest_paid_fen: int = 0
    kind: RowKind = RowKind.SCHEDULED

    @property
    def principal_unpaid_fen(self) -> int:
        return self.principal_fen - self.principal_paid_fen

    @property
    def interest_unpaid_fen(self) -> int:
        return self.interest_fen - self.interest_paid_fen

    @property
    def settled(self) -> bool:
        return self.principal_unpaid_fen == 0 and self.interest_unpaid_fen == 0

    @classmethod
    def from_instalment(cls, inst: Instalment) -> Row:
        return cls(
            seq=inst.seq,
            period_start=inst.period_start,
            due_date=inst.due_date,
            opening_fen=inst.opening_principal_fen,
            principal_fen=inst.principal_fen,
            interest_fen=inst.interest_fen,
            daily=inst.daily,
        )


@dataclass(frozen=True, slots=True)
class Loan:
    """A drawdown and everything owed on it; immutable — functions return new loans."""

    loan_id: int
    line_id: int
    customer_id: int
    product_code: str
    principal_fen: int
    rate_annual: Decimal
    penalty_rate_annual: Decimal
    method: Method
    basis: Basis
    principal_months: frozenset[int]
    start_date: date
    term_months: int
    rows: tuple[Row, ...]
    principal_outstanding_fen: int
    interest_receivable_fen: int = 0
    penalty_receivable_fen: int = 0
    interest_through: date | None = None
    penalty_through: date | None = None
    accrued_seq: int = 0
    accrued_fen: int = 0
    status: LoanStatus = LoanStatus.ACTIVE
    days_past_due: int = 0
    asset_class: AssetClass = AssetClass.NORMAL
    closed_on: date | None = None

    # -- derived views -----------------------------------------------------------------
    def current_row(self, after: date) -> Row | None:
        """The row whose period is running after ``after``: first with due date > ``after``."""
        for row in self.rows:
            if row.kind is RowKind.SCHEDULED and row.due_date > after:
                return row
        return None

    def due_rows(self, on: date) -> list[Row]:
        """Rows due on or before ``on`` that still owe something, oldest first."""
        return [r for r in self.rows if r.due_date <= on and not r.settled]

    def overdue_principal_fen(self, day: date) -> int:
        """Principal whose due date is before ``day`` and is unpaid (bears penalty on ``day``)."""
        return sum(r.principal_unpaid_fen for r in self.rows if r.due_date < day)

    def oldest_unpaid_due(self) -> date | None:
        dues = [r.due_date for r in self.rows if not r.settled]
        return min(dues) if dues else None

    @property
    def maturity_date(self) -> date:
        return max(r.due_date for r in self.rows)

    def accounts(self) -> tuple[str, str, str]:
        """(principal, interest receivable, penalty receivable) account codes of this loan."""
        return (
            account_code(AccountKind.LOAN_PRINCIPAL, self.loan_id),
            account_code(AccountKind.INTEREST_RECEIVABLE, self.loan_id),
            account_code(AccountKind.PENALTY_RECEIVABLE, self.loan_id),
        )

    def require_open(self) -> None:
        if self.status.closed:
            raise Conflict(
                "LOAN_CLOSED",
                f"借据已{self.status.label_zh}，不能再操作",
                f"loan {self.loan_id} is {self.status.value}",
                loan_id=self.loan_id,
            )

    def check(self) -> Loan:
        """Assert the loan's internal invariants; returns itself for chaining."""
        unpaid = sum(r.principal_unpaid_fen for r in self.rows)
        if self.status is LoanStatus.WRITTEN_OFF:
            unpaid = 0  # rows keep the unpaid history; the books hold nothing
        invariant(
            unpaid == self.principal_outstanding_fen,
            f"loan {self.loan_id}: outstanding {self.principal_outstanding_fen} != rows {unpaid}",
        )
        invariant(
            all(r.principal_paid_fen >= 0 and r.interest_paid_fen >= 0 for r in self.rows),
            f"loan {self.loan_id}: negative payment on a row",
        )
        invariant(
            all(r.principal_unpaid_fen >= 0 and r.interest_unpaid_fen >= 0 for r in self.rows),
            f"loan {self.loan_id}: overpaid row",
        )
        invariant(
            self.interest_receivable_fen >= 0 and self.penalty_receivable_fen >= 0,
            f"loan {self.loan_id}: negative receivable",
        )
        if self.status.closed:
            invariant(self.closed_on is not None, f"loan {self.loan_id}: closed without a date")
        if self.status.closed:
            invariant(
                self.principal_outstanding_fen == 0
                and self.interest_receivable_fen == 0
                and self.penalty_receivable_fen == 0,
                f"loan {self.loan_id}: closed but still on the books",
            )
        return self


def open_loan(
    loan_id: int,
    line_id: int,
    customer_id: int,
    product_code: str,
    schedule: Schedule,
    penalty_rate_annual: Decimal,
    on: date,
    principal_months: frozenset[int] = frozenset(),
) -> tuple[Loan, Leg]:
    """A new loan drawn on ``on`` with ``schedule``, and the leg disbursing it to the wallet.

    Limits, product and line checks belong to the caller (``CreditLine.draw``,
    ``Product.check_draw``); ``schedule`` comes from ``schedule.build_schedule`` for ``on``.
    """
    invariant(schedule.instalments[0].period_start == on, "the schedule must start on `on`")
    amount_fen, rate_annual = schedule.principal_fen, schedule.rate_annual
    rows = tuple(Row.from_instalment(i) for i in schedule.instalments)
    loan = Loan(
        loan_id=loan_id,
        line_id=line_id,
        customer_id=customer_id,
        product_code=product_code,
        principal_fen=amount_fen,
        rate_annual=rate_annual,
        penalty_rate_annual=penalty_rate_annual,
        method=schedule.method,
        basis=schedule.basis,
        principal_months=principal_months,
        start_date=on,
        term_months=len(schedule.instalments),
        rows=rows,
        principal_outstanding_fen=amount_fen,
        interest_through=on,
        penalty_through=on,
        accrued_seq=rows[0].seq,
    ).check()
    disburse = Leg(
        debit=account_code(AccountKind.LOAN_PRINCIPAL, loan_id),
        credit=account_code(AccountKind.WALLET, customer_id),
        amount_fen=amount_fen,
    )
    return loan, disburse


def refresh_status(loan: Loan, on: date) -> Loan:
    """Recompute DPD, asset class and active/overdue/paid-off status as of the end of ``on``."""
    if loan.status is LoanStatus.WRITTEN_OFF:
        return loan
    owes = (
        loan.principal_outstanding_fen + loan.interest_receivable_fen + loan.penalty_receivable_fen
    )
    if owes == 0:
        return replace(
            loan,
            status=LoanStatus.PAID_OFF,
            days_past_due=0,
            asset_class=AssetClass.NORMAL,
            closed_on=loan.closed_on or on,
        )
    oldest = loan.oldest_unpaid_due()
    dpd = max(0, (on - oldest).days) if oldest is not None else 0
    status = LoanStatus.OVERDUE if dpd > 0 else LoanStatus.ACTIVE
    return replace(loan, status=status, days_past_due=dpd, asset_class=classify(dpd))


def replace_rows(loan: Loan, rows: Sequence[Row]) -> Loan:
    """The loan with new rows; outstanding principal follows the rows."""
    return replace(
        loan,
        rows=tuple(rows),
        principal_outstanding_fen=sum(r.principal_unpaid_fen for r in rows),
    )
