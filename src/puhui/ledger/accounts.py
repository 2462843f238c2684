"""Chart of accounts 会计科目.

An account is named by a code ``<kind>`` for a single book-wide account (``interest_income``)
or ``<kind>:<owner>`` for a per-customer or per-loan sub-account (``wallet:17``,
``loan_principal:342``). Balances are debit-positive: a debit adds, a credit subtracts. An
asset's natural balance is therefore positive; a liability's, income's and the contra-asset
allowance's is negative. Customer-facing figures flip the sign via :func:`normal_side`.
"""

from __future__ import annotations

from enum import StrEnum

from puhui.errors import ValidationError


class AccountKind(StrEnum):
    """Kinds of account; the value is the code prefix."""

    WALLET = "wallet"  # 借款人钱包 borrower wallet — a liability per customer
    LOAN_PRINCIPAL = "loan_principal"  # 贷款本金 principal receivable — asset per loan
    INTEREST_RECEIVABLE = "interest_receivable"  # 应收利息 — asset per loan
    PENALTY_RECEIVABLE = "penalty_receivable"  # 应收罚息 — asset per loan
    INTEREST_INCOME = "interest_income"  # 利息收入 — income
    PENALTY_INCOME = "penalty_income"  # 罚息收入 — income
    SETTLEMENT = "settlement"  # 清算/现金 settlement & cash — asset
    LOSS_ALLOWANCE = "loss_allowance"  # 贷款损失准备 — contra-asset
    PROVISION_EXPENSE = "provision_expense"  # 资产减值损失 — expense
    WRITE_OFF = "write_off"  # 核销损失 receivables written off — expense

    @property
    def label_zh(self) -> str:
        return _LABELS[self]

    @property
    def per_owner(self) -> bool:
        return self in _PER_OWNER


_LABELS = {
    AccountKind.WALLET: "借款人钱包",
    AccountKind.LOAN_PRINCIPAL: "贷款本金",
    AccountKind.INTEREST_RECEIVABLE: "应收利息",
    AccountKind.PENALTY_RECEIVABLE: "应收罚息",
    AccountKind.INTEREST_INCOME: "利息收入",
    AccountKind.PENALTY_INCOME: "罚息收入",
    AccountKind.SETTLEMENT: "清算资金",
    AccountKind.LOSS_ALLOWANCE: "贷款损失准备",
    AccountKind.PROVISION_EXPENSE: "资产减值损失",
    AccountKind.WRITE_OFF: "核销损失",
}
_PER_OWNER = {
    AccountKind.WALLET,
    AccountKind.LOAN_PRINCIPAL,
    AccountKind.INTEREST_RECEIVABLE,
    AccountKind.PENALTY_RECEIVABLE,
}
_DEBIT_NORMAL = {
    AccountKind.LOAN_PRINCIPAL,
    AccountKind.INTEREST_RECEIVABLE,
    AccountKind.PENALTY_RECEIVABLE,
    AccountKind.SETTLEMENT,
    AccountKind.PROVISION_EXPENSE,
    AccountKind.WRITE_OFF,
}
BOOK_ACCOUNTS: tuple[AccountKind, ...] = tuple(k for k in AccountKind if k not in _PER_OWNER)


def account_code(kind: AccountKind, owner: int | None = None) -> str:
    """``account_code(AccountKind.WALLET, 17) == 'wallet:17'``."""
    if kind.per_owner != (owner is not None):
        raise ValidationError(
            "ACCOUNT_OWNER",
            f"科目 {kind.value} {'需要' if kind.per_owner else '不能有'}所属对象",
            f"account kind {kind.value} {'needs' if kind.per_owner else 'takes no'} owner",
        )
    return kind.value if owner is None else f"{kind.value}:{owner}"


def kind_of(code: str) -> AccountKind:
    """The kind of an account code."""
    try:
        return AccountKind(code.split(":", 1)[0])
    except ValueError:
        raise ValidationError(
            "ACCOUNT_UNKNOWN",
            f"未知科目：{code}",
            f"unknown account code {code!r}",
        ) from None


def normal_side(kind: AccountKind) -> int:
    """+1 for debit-normal accounts (assets, expenses), −1 for credit-normal ones."""
    return 1 if kind in _DEBIT_NORMAL else -1
