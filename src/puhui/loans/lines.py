"""Credit lines 授信额度: limit, available amount, status and its transitions.

State machine: ``active ⇄ frozen``, ``active | frozen → closed`` (closed is final). A line that
has passed its expiry date can no longer be drawn even before the end-of-day closes it.

Available 可用额度 = limit − principal counted against it: for a revolving line 循环额度 that is
the outstanding principal (repaying restores the limit); for a single-draw line it is all
principal ever drawn. Available is never negative: a limit cut below usage leaves 0 available.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from puhui.errors import Conflict, ValidationError, invariant
from puhui.money import from_fen
from puhui.schedule import Method


class LineStatus(StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"
    CLOSED = "closed"

    @property
    def label_zh(self) -> str:
        return {"active": "正常", "frozen": "冻结", "closed": "已关闭"}[self.value]


_TRANSITIONS: dict[tuple[LineStatus, LineStatus], str] = {
    (LineStatus.ACTIVE, LineStatus.FROZEN): "freeze",
    (LineStatus.FROZEN, LineStatus.ACTIVE): "unfreeze",
    (LineStatus.ACTIVE, LineStatus.CLOSED): "close",
    (LineStatus.FROZEN, LineStatus.CLOSED): "close",
}


@dataclass(frozen=True, slots=True)
class CreditLine:
    """A customer's credit line under one product; immutable."""

    line_id: int
    customer_id: int
    product_code: str
    limit_fen: int
    rate_annual: Decimal
    band: str
    methods: tuple[Method, ...]
    granted_on: date
    expires_on: date
    revolving: bool
    #: Penalty rate on overdue principal for loans drawn on this line (the product's multiple
    #: of the rate, capped by the decision policy at the judicial ceiling).
    penalty_rate_annual: Decimal
    status: LineStatus = LineStatus.ACTIVE
    used_fen: int = 0
    drawn_total_fen: int = 0

    def available_fen(self, on: date) -> int:
        """Amount that can be drawn on ``on`` (0 unless active and unexpired)."""
        if self.status is not LineStatus.ACTIVE or on > self.expires_on:
            return 0
        counted = self.used_fen if self.revolving else self.drawn_total_fen
        return max(0, self.limit_fen - counted)

    def transition(self, to: LineStatus) -> CreditLine:
        """Move to status ``to`` or raise ``LINE_TRANSITION`` naming the illegal move."""
        if (self.status, to) not in _TRANSITIONS:
            raise Conflict(
                "LINE_TRANSITION",
                f"额度状态不能从{self.status.label_zh}变为{to.label_zh}",
                f"a credit line cannot go from {self.status.value} to {to.value}",
                line_id=self.line_id,
            )
        return replace(self, status=to)

    def draw(self, amount_fen: int, on: date) -> CreditLine:
        """Count a drawdown against the line, refusing what the line does not allow."""
        if self.status is LineStatus.FROZEN:
            raise Conflict(
                "LINE_FROZEN",
                "额度已冻结，暂不能支用",
                "the credit line is frozen",
                line_id=self.line_id,
            )
        if self.status is LineStatus.CLOSED:
            raise Conflict(
                "LINE_CLOSED", "额度已关闭", "the credit line is closed", line_id=self.line_id
            )
        if on > self.expires_on:
            raise Conflict(
                "LINE_EXPIRED",
                f"额度已于 {self.expires_on} 到期",
                f"the credit line expired on {self.expires_on}",
                line_id=self.line_id,
            )
        available = self.available_fen(on)
        if amount_fen > available:
            raise Conflict(
                "INSUFFICIENT_AVAILABLE",
                f"可用额度不足：可用 {from_fen(available)} 元，申请 {from_fen(amount_fen)} 元",
                f"available {from_fen(available)} yuan is less than {from_fen(amount_fen)} yuan",
                line_id=self.line_id,
            )
        line = replace(
            self,
            used_fen=self.used_fen + amount_fen,
            drawn_total_fen=self.drawn_total_fen + amount_fen,
        )
        invariant(line.used_fen <= line.limit_fen, "a drawdown must stay within the limit")
        return line

    def restore(self, principal_repaid_fen: int) -> CreditLine:
        """Principal repaid (or written off) no longer counts against the line."""
        invariant(0 <= principal_repaid_fen <= self.used_fen, "cannot restore more than used")
        return replace(self, used_fen=self.used_fen - principal_repaid_fen)

    def with_limit(self, limit_fen: int) -> CreditLine:
        """Raise or cut the limit (a cut below usage leaves nothing available)."""
        if limit_fen < 0:
            raise ValidationError(
                "LIMIT_NEGATIVE", "额度不能为负数", f"limit must not be negative; got {limit_fen}"
            )
        if self.status is LineStatus.CLOSED:
            raise Conflict(
                "LINE_CLOSED", "额度已关闭", "the credit line is closed", line_id=self.line_id
            )
        return replace(self, limit_fen=limit_fen)
