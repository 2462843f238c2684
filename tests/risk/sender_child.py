"""A reminder sender run as its own process, slowed down so a test can kill it mid-batch.

Usage: python -m tests.risk.sender_child DB_URL SMTP_PORT NOW_ISO
"""

from __future__ import annotations

import sys
import time
from datetime import datetime

from puhui.risk import Channel
from puhui.services.channels import SmtpSender
from puhui.services.reminders import ReminderService
from puhui.store.db import Database


class Slow:
    def __init__(self, inner: SmtpSender) -> None:
        self.inner = inner

    def send(self, message: dict, now: datetime) -> None:
        self.inner.send(message, now)
        time.sleep(0.3)  # the window in which the test's SIGKILL lands


def main() -> None:
    url, port, now = sys.argv[1], int(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
    service = ReminderService(Database(url), "Asia/Shanghai", lease_seconds=300)
    with SmtpSender("127.0.0.1", port, "puhui@example.cn") as mail:
        service.deliver(now, {Channel.EMAIL: Slow(mail)}, owner="child", batch=3)


if __name__ == "__main__":
    main()
