"""Delivery channels 通知渠道: e-mail over SMTP (stdlib ``smtplib``) and SMS over an HTTP gateway.

Both take an outbox message (a dict with ``key``, ``recipient``, ``subject``, ``body``,
``message_id``) and either deliver it or raise :class:`DeliveryFailed`. Each passes the
message's stable identity to the receiver so a resend after a crash can be dropped there:
the e-mail carries ``Message-ID: <…>`` derived from the reminder key; the SMS request carries
the key as ``Idempotency-Key`` and ``reference`` (the gateway contract, docs/risk.md).
"""

from __future__ import annotations

import hashlib
import smtplib
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Protocol

import httpx


class DeliveryFailed(Exception):
    """The channel did not take the message (the outbox retries later)."""


class Sender(Protocol):
    def send(self, message: Mapping[str, Any], now: datetime) -> None: ...


def message_id(key: str, domain: str = "puhui.local") -> str:
    """The RFC 5322 Message-ID of a reminder: the same key always gives the same id."""
    return f"<{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@{domain}>"


class SmtpSender:
    """One SMTP connection per delivery batch (``with SmtpSender(...) as s``)."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout_s: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls = username, password, starttls
        self.timeout_s = timeout_s
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except smtplib.SMTPException:
                self._smtp.close()
            self._smtp = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            self._smtp = smtp
        return self._smtp

    def send(self, message: Mapping[str, Any], now: datetime) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message["recipient"]
        email["Subject"] = message["subject"]
        email["Message-ID"] = message["message_id"]
        email["Date"] = format_datetime(now)
        email.set_content(message["body"], charset="utf-8")
        try:
            self._connection().send_message(email)
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise DeliveryFailed(f"smtp: {type(exc).__name__}") from exc


class HttpSmsGateway:
    """POST ``{to, text, reference}`` to the configured gateway URL; 2xx means accepted."""

    def __init__(
        self, url: str, *, token: str | None = None, client: httpx.Client | None = None
    ) -> None:
        self.url = url
        self.token = token
        self.client = client or httpx.Client(timeout=10.0)

    def send(self, message: Mapping[str, Any], now: datetime) -> None:
        headers = {"Idempotency-Key": message["key"]}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = {
            "to": message["recipient"],
            "text": message["body"],
            "reference": message["key"],
            "sent_at": now.isoformat(),
        }
        try:
            response = self.client.post(self.url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"sms gateway: {type(exc).__name__}") from exc
        if response.status_code // 100 != 2:
            raise DeliveryFailed(f"sms gateway answered {response.status_code}")
