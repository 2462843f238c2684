"""Repayment reminders 还款提醒: enqueue a day's reminders, deliver the outbox exactly once.

:meth:`ReminderService.enqueue` finds every unpaid instalment whose T−3, T−1, due-day, D+1 or
D+7 reminder falls on ``on`` and, in one transaction, writes the in-app notification (the
borrower's list) and one outbox row per external channel the borrower can be reached on — each
keyed by ``remind:{loan}:{row}:{kind}[:{channel}]``, so enqueueing a day twice adds nothing.

:meth:`ReminderService.deliver` is the sender: claim due rows with a lease, send each through
its channel, mark it sent while still holding the lease (decision 0402). Inside quiet hours
(21:00–08:00 local) a claimed SMS or e-mail is deferred to 08:00, not dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, or_, select

from puhui.logs import log_event
from puhui.risk.reminders import (
    SEND_FROM,
    Channel,
    DueRow,
    ReminderKind,
    in_quiet_hours,
    next_allowed,
    reminders_on,
)
from puhui.services.channels import (
    DeliveryFailed,
    HttpSmsGateway,
    Sender,
    SmtpSender,
    message_id,
)
from puhui.settings import Settings
from puhui.store import outbox as outbox_store
from puhui.store.db import Database
from puhui.store.tables import loan, loan_row

#: Messages one :meth:`ReminderService.deliver` call handles at most (a bounded loop).
MAX_PER_DELIVERY = 100_000
_EARLIEST = min(k.offset_days for k in ReminderKind)
_LATEST = max(k.offset_days for k in ReminderKind)


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    business_date: date
    reminders: int
    notifications_new: int
    messages_new: int


@dataclass
class DeliveryResult:
    sent: int = 0
    deferred: int = 0
    retried: int = 0
    failed: int = 0
    lease_lost: int = 0


class ReminderService:
    def __init__(
        self,
        db: Database,
        timezone: str = "Asia/Shanghai",
        *,
        lease_seconds: int = 300,
        max_attempts: int = 8,
        mail_domain: str = "puhui.local",
    ) -> None:
        self.db = db
        self.tz = ZoneInfo(timezone)
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts
        self.mail_domain = mail_domain

    # -- enqueue ---------------------------------------------------------------------------
    def _due_rows(self, conn: Connection, on: date) -> list[DueRow]:
        owed = (
            loan_row.c.principal_fen
            - loan_row.c.principal_paid_fen
            + loan_row.c.interest_fen
            - loan_row.c.interest_paid_fen
        )
        query = (
            select(
                loan_row.c.loan_id,
                loan_row.c.seq,
                loan.c.customer_id,
                loan_row.c.due_date,
                owed.label("owed"),
            )
            .join(loan, loan.c.id == loan_row.c.loan_id)
            .where(
                and_(
                    loan.c.status.in_(("active", "overdue")),
                    loan_row.c.kind == "scheduled",
                    loan_row.c.due_date.between(
                        on - timedelta(days=_LATEST), on - timedelta(days=_EARLIEST)
                    ),
                    or_(
                        loan_row.c.principal_paid_fen < loan_row.c.principal_fen,
                        loan_row.c.interest_paid_fen < loan_row.c.interest_fen,
                    ),
                )
            )
            .order_by(loan_row.c.loan_id, loan_row.c.seq)
        )
        return [
            DueRow(r.loan_id, r.seq, r.customer_id, r.due_date, int(r.owed))
            for r in conn.execute(query)
        ]

    def enqueue(self, on: date, now: datetime) -> EnqueueResult:
        """Write ``on``'s reminders: in-app now, e-mail/SMS from 09:00 local on ``on``."""
        first_send = max(now.astimezone(self.tz), datetime.combine(on, SEND_FROM, tzinfo=self.tz))
        not_before = next_allowed(first_send).astimezone(now.tzinfo)
        with self.db.write() as conn:
            reminders = reminders_on(on, self._due_rows(conn, on))
            contacts = outbox_store.contacts(conn, sorted({r.customer_id for r in reminders}))
            notes, messages = [], []
            for r in reminders:
                notes.append(
                    {
                        "key": r.key,
                        "customer_id": r.customer_id,
                        "kind": r.kind.value,
                        "title_zh": r.title_zh,
                        "body_zh": r.body_zh,
                        "created_at": now,
                    }
                )
                reach = contacts[r.customer_id]
                for channel, address in (
                    (Channel.EMAIL, reach["email"]),
                    (Channel.SMS, reach["phone"]),
                ):
                    if not address:
                        continue
                    key = f"{r.key}:{channel.value}"
                    messages.append(
                        {
                            "key": key,
                            "channel": channel.value,
                            "customer_id": r.customer_id,
                            "recipient": address,
                            "subject": r.title_zh,
                            "body": r.body_zh,
                            "message_id": message_id(key, self.mail_domain),
                            "status": "pending",
                            "not_before": not_before,
                            "attempts": 0,
                            "created_at": now,
                        }
                    )
            new_notes = outbox_store.add_notifications(conn, notes)
            new_messages = outbox_store.enqueue(conn, messages)
        log_event(
            "reminders_enqueued",
            business_date=on.isoformat(),
            reminders=len(reminders),
            notifications_new=new_notes,
            messages_new=new_messages,
        )
        return EnqueueResult(on, len(reminders), new_notes, new_messages)

    # -- deliver ---------------------------------------------------------------------------
    def deliver(
        self,
        now: datetime,
        senders: Mapping[Channel, Sender],
        *,
        owner: str,
        batch: int = 100,
        max_messages: int = MAX_PER_DELIVERY,
    ) -> DeliveryResult:
        """Send every message due at ``now`` once (see the module docstring)."""
        result = DeliveryResult()
        handled = 0
        while handled < max_messages:
            with self.db.write() as conn:
                claimed = outbox_store.claim(
                    conn, owner, now, now + self.lease, min(batch, max_messages - handled)
                )
            if not claimed:
                break
            handled += len(claimed)
            for message in claimed:
                self._deliver_one(message, now, senders, owner, result)
        if handled:
            log_event("reminders_delivered", owner=owner, **result.__dict__)
        return result

    def _deliver_one(
        self,
        message: dict,
        now: datetime,
        senders: Mapping[Channel, Sender],
        owner: str,
        result: DeliveryResult,
    ) -> None:
        local = now.astimezone(self.tz)
        if in_quiet_hours(local):
            with self.db.write() as conn:
                later = next_allowed(local).astimezone(now.tzinfo)
                outbox_store.release(conn, message["id"], owner, later)
            result.deferred += 1
            return
        sender = senders.get(Channel(message["channel"]))
        try:
            if sender is None:
                raise DeliveryFailed(f"channel {message['channel']} is not configured")
            sender.send(message, local)
        except DeliveryFailed as exc:
            give_up = message["attempts"] >= self.max_attempts
            backoff = timedelta(minutes=min(2 ** message["attempts"], 60))
            with self.db.write() as conn:
                outbox_store.release(
                    conn, message["id"], owner, now + backoff, error=str(exc), failed=give_up
                )
            if give_up:
                result.failed += 1
            else:
                result.retried += 1
            return
        with self.db.write() as conn:
            marked = outbox_store.mark_sent(conn, message["id"], owner, now)
        if marked:
            result.sent += 1
        else:
            result.lease_lost += 1

    # -- queries ---------------------------------------------------------------------------
    def notifications(self, customer_id: int, limit: int = 100) -> list[dict]:
        with self.db.read() as conn:
            return outbox_store.notifications_of(conn, customer_id, limit)

    def set_contact(self, customer_id: int, email: str | None, phone: str | None) -> None:
        with self.db.write() as conn:
            outbox_store.set_contact(conn, customer_id, email, phone)


def reminder_service(settings: Settings, db: Database) -> ReminderService:
    return ReminderService(
        db,
        settings.timezone,
        lease_seconds=settings.outbox_lease_seconds,
        mail_domain=settings.mail_domain,
    )


def configured_senders(settings: Settings) -> dict[Channel, Sender]:
    """The channels the settings configure (an unconfigured channel's messages wait)."""
    senders: dict[Channel, Sender] = {}
    if settings.smtp_host:
        senders[Channel.EMAIL] = SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.mail_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        )
    if settings.sms_gateway_url:
        senders[Channel.SMS] = HttpSmsGateway(
            settings.sms_gateway_url, token=settings.sms_gateway_token
        )
    return senders
