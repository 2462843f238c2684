"""A real SMTP server (aiosmtpd, in-process on a free port) and a fake SMS gateway."""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from email import message_from_bytes
from email.message import Message

import httpx
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """Collects every message the SMTP server receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, _server: object, _session: object, envelope: object) -> str:  # noqa: N802
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 OK"

    def message_ids(self) -> Counter:
        with self.lock:
            return Counter(m["Message-ID"] for m in self.messages)


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.controller.stop()


class FakeGateway:
    """An SMS gateway behind ``httpx.MockTransport`` that records each request."""

    def __init__(self, fail_first: int = 0) -> None:
        self.requests: list[dict] = []
        self.fail_first = fail_first

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.fail_first > 0:
            self.fail_first -= 1
            return httpx.Response(503)
        body = json.loads(request.content)
        body["idempotency_key"] = request.headers.get("Idempotency-Key")
        self.requests.append(body)
        return httpx.Response(202, json={"accepted": body["reference"]})

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler))
