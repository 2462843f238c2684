"""Reminders: enqueue once, in-app list, quiet hours, exactly-once delivery over real SMTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from puhui.risk import Channel
from puhui.services.channels import HttpSmsGateway, SmtpSender
from puhui.store import outbox as outbox_store
from tests.risk.mailbox import FakeGateway, SmtpServer

SHANGHAI_9AM = datetime(2026, 2, 12, 1, 0, tzinfo=UTC)


def loans_due(book, n: int, *, sms: bool = True) -> list[tuple[int, int]]:
    """``n`` borrowers, each with contacts and a 3-month loan drawn on 2026-01-15."""
    out = []
    for i in range(n):
        cid, line_id = book.borrower(i)
        book.reminders.set_contact(cid, f"farmer{i}@example.cn", f"1380000{i:04d}" if sms else None)
        drawn = book.lending.draw(f"d{i}", line_id, "3000", 3, "equal_installment")
        out.append((cid, drawn.loan_id))
    return out


def test_enqueueing_a_day_twice_adds_nothing_and_fills_the_in_app_list(book):
    ((cid, loan_id),) = loans_due(book, 1)
    first = book.reminders.enqueue(date(2026, 2, 12), SHANGHAI_9AM)  # T−3 of 2026-02-15
    again = book.reminders.enqueue(date(2026, 2, 12), SHANGHAI_9AM)
    assert (first.reminders, first.notifications_new, first.messages_new) == (1, 1, 2)
    assert (again.notifications_new, again.messages_new) == (0, 0)
    (note,) = book.reminders.notifications(cid)
    assert note["key"] == f"remind:{loan_id}:1:t-3"
    assert "2026年2月15日" in note["body_zh"]
    assert "还款方式" in note["body_zh"]
    assert book.reminders.enqueue(date(2026, 2, 11), SHANGHAI_9AM).reminders == 0


def test_quiet_hours_defer_email_and_sms_to_the_morning(book):
    loans_due(book, 2)
    book.reminders.enqueue(date(2026, 2, 14), SHANGHAI_9AM)  # T−1
    gateway = FakeGateway()
    sms = HttpSmsGateway("https://sms.example/send", client=gateway.client())
    with SmtpServer() as server, SmtpSender("127.0.0.1", server.port, "puhui@example.cn") as mail:
        senders = {Channel.EMAIL: mail, Channel.SMS: sms}
        late_evening = datetime(2026, 2, 14, 14, 30, tzinfo=UTC)  # 22:30 local
        result = book.reminders.deliver(late_evening, senders, owner="a")
        assert (result.sent, result.deferred) == (0, 4)
        assert server.inbox.messages == []
        assert gateway.requests == []
        with book.db.read() as conn:
            pending = outbox_store.messages(conn, "pending")
        assert {m["not_before"].astimezone(UTC) for m in pending} == {
            datetime(2026, 2, 15, 0, 0, tzinfo=UTC)
        }
        still_night = datetime(2026, 2, 14, 23, 0, tzinfo=UTC)  # 07:00 local: not due yet
        assert book.reminders.deliver(still_night, senders, owner="a").sent == 0
        morning = datetime(2026, 2, 15, 0, 5, tzinfo=UTC)  # 08:05 local
        assert book.reminders.deliver(morning, senders, owner="a").sent == 4
    assert len(server.inbox.messages) == 2
    assert len(gateway.requests) == 2
    sms_sent = gateway.requests[0]
    assert sms_sent["idempotency_key"] == sms_sent["reference"]
    assert "明天" in sms_sent["text"]


def test_a_failing_gateway_is_retried_later_not_dropped(book):
    loans_due(book, 1)
    book.reminders.enqueue(date(2026, 2, 15), SHANGHAI_9AM)
    gateway = FakeGateway(fail_first=1)
    senders = {Channel.SMS: HttpSmsGateway("https://sms.example/send", client=gateway.client())}
    now = datetime(2026, 2, 15, 2, 0, tzinfo=UTC)
    first = book.reminders.deliver(now, senders, owner="a")
    assert (first.sent, first.retried) == (0, 2)  # the SMS failed; the e-mail has no SMTP
    assert book.reminders.deliver(now + timedelta(minutes=5), senders, owner="a").sent == 1
    assert len(gateway.requests) == 1


class Crash(BaseException):
    """Stands for the process dying: nothing in the sender catches it."""


class CrashAfterSending:
    """Sends through ``inner``, then dies after the ``n``-th message — before it is marked."""

    def __init__(self, inner, n: int) -> None:
        self.inner, self.left = inner, n

    def send(self, message, now) -> None:
        self.inner.send(message, now)
        self.left -= 1
        if self.left == 0:
            raise Crash


def test_every_reminder_reaches_the_inbox_once_when_the_sender_crashes_between_send_and_mark(book):
    loans_due(book, 6, sms=False)
    book.reminders.enqueue(date(2026, 2, 15), SHANGHAI_9AM)
    now = datetime(2026, 2, 15, 2, 0, tzinfo=UTC)
    with SmtpServer() as server:
        with SmtpSender("127.0.0.1", server.port, "puhui@example.cn") as mail, pytest.raises(Crash):
            book.reminders.deliver(
                now, {Channel.EMAIL: CrashAfterSending(mail, 3)}, owner="first", batch=4
            )
        # a restart before the lease runs out sends nothing the crashed sender still holds
        with SmtpSender("127.0.0.1", server.port, "puhui@example.cn") as mail:
            early = book.reminders.deliver(
                now + timedelta(seconds=10), {Channel.EMAIL: mail}, owner="second"
            )
            assert early.sent == 2  # the two e-mails the crashed batch never claimed
            late = book.reminders.deliver(
                now + timedelta(seconds=301), {Channel.EMAIL: mail}, owner="second"
            )
        ids = server.inbox.message_ids()
    with book.db.read() as conn:
        emails = [m for m in outbox_store.messages(conn) if m["channel"] == "email"]
    # first sender: 2 marked, the 3rd sent but not marked, the 4th claimed but never sent
    assert late.sent == 2
    assert {m["status"] for m in emails} == {"sent"}
    assert set(ids) == {m["message_id"] for m in emails}  # every reminder arrived …
    assert sum(ids.values()) == len(emails) + 1  # … the one in flight at the crash twice,
    assert max(ids.values()) == 2  # with the same Message-ID, so the receiver keeps one
