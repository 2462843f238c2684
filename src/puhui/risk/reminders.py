"""Repayment reminders 还款提醒: when each is due, on which channels, what it says.

Five reminders per scheduled instalment: three days before its due date (T−3), the day before
(T−1), on the due day, and — if it is still unpaid — one day and seven days after (D+1, D+7).
Each has a key ``remind:{loan}:{row}:{kind}`` that is unique forever: the outbox stores one
message per key and channel, which is what makes a reminder go out once (decision 0402).

Quiet hours: no SMS or e-mail between 21:00 and 08:00 local time; a message that falls due then
is deferred to 08:00, never dropped. In-app notifications are not intrusive and have no quiet
hours. Times are passed in (timezone-aware); nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from puhui.money import format_yuan, from_fen


class ReminderKind(StrEnum):
    T_MINUS_3 = "t-3"
    T_MINUS_1 = "t-1"
    DUE = "due"
    D_PLUS_1 = "d+1"
    D_PLUS_7 = "d+7"

    @property
    def offset_days(self) -> int:
        """Reminder date − due date."""
        return _OFFSET[self]


_OFFSET = {
    ReminderKind.T_MINUS_3: -3,
    ReminderKind.T_MINUS_1: -1,
    ReminderKind.DUE: 0,
    ReminderKind.D_PLUS_1: 1,
    ReminderKind.D_PLUS_7: 7,
}


class Channel(StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    SMS = "sms"

    @property
    def quiet_hours_apply(self) -> bool:
        return self is not Channel.IN_APP


QUIET_START = time(21, 0)
QUIET_END = time(8, 0)
#: When a day's reminders are first offered to the sender (local time on the reminder date).
SEND_FROM = time(9, 0)
HOW_TO_REPAY_ZH = (
    "还款方式：①向钱包充值，到期日系统自动扣款；②在普惠 App「我的借款」中点「还款」；"
    "③到村里的合作社服务窗口，由信贷员协助还款。"
)


@dataclass(frozen=True, slots=True)
class DueRow:
    """One scheduled instalment that still owes something, as the reminder job sees it."""

    loan_id: int
    seq: int
    customer_id: int
    due_date: date
    amount_due_fen: int


@dataclass(frozen=True, slots=True)
class Reminder:
    key: str
    kind: ReminderKind
    loan_id: int
    seq: int
    customer_id: int
    due_date: date
    amount_due_fen: int
    title_zh: str
    body_zh: str


def in_quiet_hours(at_local: datetime) -> bool:
    moment = at_local.timetz().replace(tzinfo=None)
    return moment >= QUIET_START or moment < QUIET_END


def next_allowed(at_local: datetime) -> datetime:
    """``at_local`` itself outside quiet hours, else the 08:00 that ends them."""
    if not in_quiet_hours(at_local):
        return at_local
    day = (
        at_local.date()
        if at_local.timetz().replace(tzinfo=None) < QUIET_END
        else (at_local.date() + timedelta(days=1))
    )
    return datetime.combine(day, QUIET_END, tzinfo=at_local.tzinfo)


def text(
    kind: ReminderKind, loan_id: int, seq: int, due_date: date, amount_due_fen: int
) -> tuple[str, str]:
    """(title, body) in Chinese, with the amount, the due date and how to repay."""
    amount = format_yuan(from_fen(amount_due_fen))
    when = f"{due_date.year}年{due_date.month}月{due_date.day}日"
    what = f"您的借据 {loan_id} 第 {seq} 期应还 {amount}"
    if kind is ReminderKind.T_MINUS_3:
        title, lead = "还款提醒：3 天后到期", f"{what}，还款日为 {when}（3 天后）。"
    elif kind is ReminderKind.T_MINUS_1:
        title, lead = "还款提醒：明天到期", f"{what}，还款日为明天 {when}。"
    elif kind is ReminderKind.DUE:
        title, lead = "还款提醒：今天到期", f"{what}，今天 {when} 是还款日，请保证钱包余额充足。"
    elif kind is ReminderKind.D_PLUS_1:
        title = "逾期提醒：已逾期 1 天"
        lead = f"{what}，已于 {when} 到期未还，已逾期 1 天，将按合同计收罚息，请尽快还款。"
    else:
        title = "逾期提醒：已逾期 7 天"
        lead = (
            f"{what}，已于 {when} 到期未还，已逾期 7 天并按合同计收罚息；"
            "逾期会影响您的信用和额度，请尽快还款，如有困难请联系信贷员。"
        )
    return title, f"【普惠】{lead}{HOW_TO_REPAY_ZH}"


def reminders_on(on: date, rows: Iterable[DueRow]) -> list[Reminder]:
    """Reminders to send on ``on`` for instalments that still owe something.

    The caller passes every unpaid instalment due between ``on − 7`` and ``on + 3``; an
    instalment already paid never reaches here, so paid rows are never reminded.
    """
    by_offset = {kind.offset_days: kind for kind in ReminderKind}
    out = []
    for row in rows:
        kind = by_offset.get((on - row.due_date).days)
        if kind is None or row.amount_due_fen <= 0:
            continue
        title, body = text(kind, row.loan_id, row.seq, row.due_date, row.amount_due_fen)
        out.append(
            Reminder(
                key=f"remind:{row.loan_id}:{row.seq}:{kind.value}",
                kind=kind,
                loan_id=row.loan_id,
                seq=row.seq,
                customer_id=row.customer_id,
                due_date=row.due_date,
                amount_due_fen=row.amount_due_fen,
                title_zh=title,
                body_zh=body,
            )
        )
    return out
