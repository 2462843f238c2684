"""Web page fixtures: the app on a fresh database (both engines) and logged-in browsers.

A "browser" here is a ``TestClient`` with its own cookie jar that logged in through the login
page, the way a person does. People are made on demand (``people("borrower")``) because every
account costs password hashing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from puhui.api.app import create_app
from puhui.settings import Settings
from tests.api.conftest import NOW, PASSWORD

BASE_URL = "https://testserver"
HIDDEN = re.compile(r'name="(csrf_token|form_token|key)" value="([^"]+)"')


@pytest.fixture
def app(db_url, fast_password_hashing):
    application = create_app(Settings(database_url=db_url, env="test"))
    yield application
    application.state.services.db.dispose()


def hidden(html: str) -> dict[str, str]:
    """The hidden token fields of the page (CSRF, form token, idempotency key)."""
    return dict(HIDDEN.findall(html))


@dataclass
class Person:
    client: TestClient
    phone: str
    user_id: int
    customer_id: int | None
    line_id: int | None = None

    def get(self, path: str, **kwargs: object):
        return self.client.get(path, follow_redirects=False, **kwargs)

    def form(self, path: str) -> dict[str, str]:
        """Open the page at ``path`` and return its hidden fields."""
        page = self.client.get(path)
        assert page.status_code == 200, page.text
        return hidden(page.text)

    def post(self, path: str, data: dict[str, str]):
        return self.client.post(path, data=data, follow_redirects=False)


def web_login(client: TestClient, phone: str, password: str = PASSWORD):
    token = hidden(client.get("/login").text)["form_token"]
    return client.post(
        "/login",
        data={"phone": phone, "password": password, "form_token": token},
        follow_redirects=False,
    )


# role -> (phone, county)
PEOPLE = {
    "borrower": ("13800000001", "新泰市"),
    "other_borrower": ("13800000002", "宁阳县"),
    "officer": ("13900000001", "新泰市"),
    "risk": ("13900000002", ""),
    "admin": ("13900000003", ""),
    "government": ("13900000004", "新泰市"),
}


@pytest.fixture
def people(app) -> Iterator[Callable[[str], Person]]:
    """``people(role)``: that person, created on first use and logged in through the page."""
    svc = app.state.services
    made: dict[str, Person] = {}
    clients: list[TestClient] = []

    def person(role: str) -> Person:
        if role in made:
            return made[role]
        phone, county = PEOPLE[role]
        line_id = None
        if role.endswith("borrower"):
            user = svc.accounts.register_borrower(
                phone, PASSWORD, role, "farmer", NOW, county, "羊流镇"
            )
            grant = svc.lending.grant_line(
                f"grant-{phone}", user.customer_id, "xintai_farmer_line", "50000", "A"
            )
            line_id = grant.line_id
        else:
            user = svc.accounts.add_staff(phone, PASSWORD, role, f"{role} user", county, NOW)
        client = TestClient(app, base_url=BASE_URL)
        clients.append(client)
        assert web_login(client, phone).status_code == 303
        made[role] = Person(client, phone, user.user_id, user.customer_id, line_id)
        return made[role]

    yield person
    for client in clients:
        client.close()


@pytest.fixture
def anonymous(app) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE_URL) as client:
        yield client
