"""Kill -9 the sender mid-batch, restart: every reminder is delivered (by Message-ID) once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from puhui.risk import Channel
from puhui.services.channels import SmtpSender
from puhui.store import outbox as outbox_store
from tests.risk.mailbox import SmtpServer
from tests.risk.test_reminders import SHANGHAI_9AM, loans_due

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_sender_killed_mid_batch_and_restarted_delivers_every_reminder_once(book, db_url):
    loans_due(book, 8, sms=False)
    book.reminders.enqueue(date(2026, 2, 15), SHANGHAI_9AM)
    now = datetime(2026, 2, 15, 2, 0, tzinfo=UTC)
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    with SmtpServer() as server:
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.risk.sender_child",
                db_url,
                str(server.port),
                now.isoformat(),
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 60
        while sum(server.inbox.message_ids().values()) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        received_before_restart = sum(server.inbox.message_ids().values())
        assert 4 <= received_before_restart < 8  # killed mid-batch
        with SmtpSender("127.0.0.1", server.port, "puhui@example.cn") as mail:
            book.reminders.deliver(
                now + timedelta(seconds=301), {Channel.EMAIL: mail}, owner="restart"
            )
        ids = server.inbox.message_ids()
    with book.db.read() as conn:
        emails = outbox_store.messages(conn)
    assert {m["status"] for m in emails} == {"sent"}
    assert set(ids) == {m["message_id"] for m in emails}
    assert sum(ids.values()) <= len(emails) + 1  # at most the message in flight, same Message-ID
