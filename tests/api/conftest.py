"""An API client over a fresh database on each engine, with users of every role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from puhui.api.app import create_app
from puhui.settings import Settings

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
PASSWORD = "Nongmin2026"


@dataclass
class Actor:
    user_id: int
    token: str
    csrf: str
    customer_id: int | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def app(db_url, fast_password_hashing):
    application = create_app(Settings(database_url=db_url, env="test"))
    yield application
    application.state.services.db.dispose()


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as c:
        yield c


def login(client: TestClient, phone: str, password: str = PASSWORD) -> Actor:
    response = client.post("/api/v1/auth/login", json={"phone": phone, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    client.cookies.clear()
    return Actor(
        body["user"]["user_id"], body["token"], body["csrf_token"], body["user"]["customer_id"]
    )


@pytest.fixture
def bank(app, client):
    """Two borrowers in 新泰市 with lines, one in 宁阳县, and staff of every role."""
    svc = app.state.services
    actors: dict[str, Actor] = {}
    for name, phone, county in (
        ("borrower", "13800000001", "新泰市"),
        ("borrower_same_county", "13800000002", "新泰市"),
        ("borrower_other_county", "13800000003", "宁阳县"),
    ):
        user = svc.accounts.register_borrower(
            phone, PASSWORD, name, "farmer", NOW, county, "羊流镇"
        )
        svc.lending.grant_line(
            f"grant-{phone}", user.customer_id, "xintai_farmer_line", "50000", "A"
        )
        actors[name] = login(client, phone)
    for role, phone, county in (
        ("officer", "13900000001", "新泰市"),
        ("risk", "13900000002", ""),
        ("admin", "13900000003", ""),
        ("government", "13900000004", "新泰市"),
    ):
        svc.accounts.add_staff(phone, PASSWORD, role, f"{role} user", county, NOW)
        actors[role] = login(client, phone)
    return actors
