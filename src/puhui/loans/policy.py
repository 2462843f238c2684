"""Servicing policy 贷后政策: the configurable rules of loan servicing.

Defaults follow DESIGN.md: allocation penalty → interest → principal; write-off once days past
due exceed 360 (the 损失 class); provisions by 五级分类 at the usual supervisory rates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from puhui.errors import ValidationError


class Component(StrEnum):
    """What a repayment can pay."""

    PENALTY = "penalty"
    INTEREST = "interest"
    PRINCIPAL = "principal"


DEFAULT_ORDER = (Component.PENALTY, Component.INTEREST, Component.PRINCIPAL)
DEFAULT_PROVISION_RATES: Mapping[str, Decimal] = {
    "normal": Decimal("0.01"),
    "special_mention": Decimal("0.02"),
    "substandard": Decimal("0.25"),
    "doubtful": Decimal("0.50"),
    "loss": Decimal("1.00"),
}


@dataclass(frozen=True, slots=True)
class ServicingPolicy:
    """Rules that differ between lenders; each is a setting (``PUHUI_*``)."""

    allocation_order: tuple[Component, ...] = DEFAULT_ORDER
    write_off_after_dpd: int = 360
    provision_rates: Mapping[str, Decimal] = field(
        default_factory=lambda: dict(DEFAULT_PROVISION_RATES)
    )

    def __post_init__(self) -> None:
        if sorted(self.allocation_order) != sorted(DEFAULT_ORDER):
            raise ValidationError(
                "ALLOCATION_ORDER",
                "还款冲销顺序必须恰好包含 penalty、interest、principal 各一次",
                "allocation_order must list penalty, interest and principal exactly once; "
                f"got {[c.value for c in self.allocation_order]}",
            )
        if not 90 <= self.write_off_after_dpd <= 3650:
            raise ValidationError(
                "WRITE_OFF_DPD",
                f"核销逾期天数必须在 90 到 3650 之间；收到 {self.write_off_after_dpd}",
                f"write_off_after_dpd must be 90..3650; got {self.write_off_after_dpd}",
            )

    @classmethod
    def parse_order(cls, text: str) -> tuple[Component, ...]:
        """``"penalty,interest,principal"`` → components, with a clear error on a typo."""
        try:
            return tuple(Component(part.strip()) for part in text.split(",") if part.strip())
        except ValueError:
            raise ValidationError(
                "ALLOCATION_ORDER",
                f"无法识别的冲销顺序：{text}",
                "allocation order must be a comma list of penalty, interest, principal; "
                f"got {text!r}",
            ) from None
