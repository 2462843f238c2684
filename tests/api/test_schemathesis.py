"""Property-based API testing from the published OpenAPI schema: schemathesis, run as a
separate process against the real server, checks that whatever a client sends there is no 5xx
and every response conforms to the schema (status codes, headers, bodies)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from puhui.products import load_catalogue
from puhui.services.accounts import Accounts
from puhui.services.lending import Lending
from puhui.settings import Settings
from puhui.store.db import Database
from tests.api.conftest import NOW, PASSWORD

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_api_conforms_to_its_schema(tmp_path, sqlite_template):
    import shutil

    path = tmp_path / "api.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    db = Database(url)
    accounts = Accounts(db)
    user = accounts.register_borrower("13800000001", PASSWORD, "王大山", "farmer", NOW, "新泰市")
    Lending(db, load_catalogue(), Settings().servicing_policy()).grant_line(
        "grant", user.customer_id, "xintai_farmer_line", "50000", "A"
    )
    token = accounts.login("13800000001", PASSWORD, "127.0.0.1", NOW.replace(year=2099)).token
    db.dispose()

    port = _free_port()
    env = {**os.environ, "PUHUI_DATABASE_URL": url, "PUHUI_ENV": "test"}
    server = subprocess.Popen(
        [sys.executable, "-m", "puhui", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        run = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                f"{base}/api/v1/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                "not_a_server_error,status_code_conformance,"
                "content_type_conformance,response_schema_conformance,"
                "response_headers_conformance",
                "--max-examples",
                "30",
                "--generation-deterministic",
                "--request-timeout",
                "20",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
