"""Authorisation matrix: every role × every endpoint × own and other's record.

The expectations are written out here, independently of ``puhui.api.authz``: a change to the
rules must change this table too.
"""

from __future__ import annotations

import pytest

ROLES = ("borrower", "officer", "risk", "admin", "government")
# endpoint name -> (method, path template, JSON body)
ENDPOINTS = {
    "line:get": ("GET", "/api/v1/lines/{line}", None),
    "line:preview": ("POST", "/api/v1/lines/{line}/preview", {"amount": "1000", "term_months": 6}),
    "line:draw": ("POST", "/api/v1/lines/{line}/drawdowns", {"amount": "1000", "term_months": 6}),
    "line:freeze": ("POST", "/api/v1/lines/{line}/freeze", None),
    "line:limit": ("POST", "/api/v1/lines/{line}/limit", {"limit": "40000"}),
    "loan:get": ("GET", "/api/v1/loans/{loan}", None),
    "loan:schedule": ("GET", "/api/v1/loans/{loan}/schedule", None),
    "loan:payoff": ("GET", "/api/v1/loans/{loan}/payoff", None),
    "loan:repay": (
        "POST",
        "/api/v1/loans/{loan}/repayments",
        {"amount": "10", "from_channel": True},
    ),
    "wallet:get": ("GET", "/api/v1/customers/{customer}/wallet", None),
    "wallet:deposit": ("POST", "/api/v1/customers/{customer}/wallet/deposits", {"amount": "5"}),
    "wallet:withdraw": ("POST", "/api/v1/customers/{customer}/wallet/withdrawals", {"amount": "1"}),
    "statement": ("GET", "/api/v1/customers/{customer}/statement", None),
}
READS = {
    "line:get",
    "line:preview",
    "loan:get",
    "loan:schedule",
    "loan:payoff",
    "wallet:get",
    "statement",
}
MANAGE = {"line:freeze", "line:limit"}
# who may do what, on their own record ("own") and on someone else's ("other"):
# a borrower's own = their customer; an officer's own = a customer in their county.
EXPECTED: dict[str, dict[str, set[str]]] = {
    "borrower": {
        "own": READS | {"line:draw", "loan:repay", "wallet:deposit", "wallet:withdraw"},
        "other": set(),
    },
    "officer": {
        "own": READS | MANAGE | {"loan:repay", "wallet:deposit", "wallet:withdraw"},
        "other": set(),
    },
    "risk": {"own": READS | MANAGE, "other": READS | MANAGE},
    "admin": {"own": set(ENDPOINTS), "other": set(ENDPOINTS)},
    "government": {"own": set(), "other": set()},
}


@pytest.fixture
def records(client, bank):
    """A line, a loan and a customer for the borrower (新泰市) and one in 宁阳县."""
    out = {}
    for who in ("borrower", "borrower_other_county"):
        actor = bank[who]
        line = client.get("/api/v1/lines", headers=actor.headers).json()[0]["line_id"]
        loan = client.post(
            f"/api/v1/lines/{line}/drawdowns",
            json={"amount": "2000", "term_months": 6},
            headers={**actor.headers, "Idempotency-Key": f"setup-{who}"},
        ).json()["loan_id"]
        out[who] = {"line": line, "loan": loan, "customer": actor.customer_id}
    return out


def _call(client, actor, name, ids, n):
    method, template, body = ENDPOINTS[name]
    headers = {**actor.headers, "Idempotency-Key": f"matrix-{n}"}
    return client.request(method, template.format(**ids), json=body, headers=headers)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_on_every_endpoint_own_and_other(client, bank, records, role):
    actor = bank[role]
    own = records["borrower"]  # 新泰市: the borrower's own, and the officer's county
    other = records["borrower_other_county"]  # 宁阳县: nobody's own but risk's and admin's
    n = 0
    for relation, ids in (("own", own), ("other", other)):
        for name in ENDPOINTS:
            n += 1
            response = _call(client, actor, name, ids, n)
            allowed = name in EXPECTED[role][relation]
            if allowed:
                assert response.status_code not in (401, 403), (role, relation, name, response.text)
            else:
                assert response.status_code == 403, (role, relation, name, response.text)
                assert response.json()["error"]["code"] == "FORBIDDEN"


def test_another_borrower_in_the_same_county_is_still_other(client, bank, records):
    neighbour = bank["borrower_same_county"]
    for n, name in enumerate(ENDPOINTS):
        response = _call(client, neighbour, name, records["borrower"], 100 + n)
        assert response.status_code == 403, (name, response.text)


@pytest.mark.parametrize("role", ROLES)
def test_listings_show_only_what_the_role_may_see(client, bank, records, role):
    lines = client.get("/api/v1/lines", headers=bank[role].headers).json()
    customers = {x["customer_id"] for x in lines}
    own, other = records["borrower"]["customer"], records["borrower_other_county"]["customer"]
    expected = {
        "borrower": {own},
        "officer": {own, bank["borrower_same_county"].customer_id},
        "risk": {own, other, bank["borrower_same_county"].customer_id},
        "admin": {own, other, bank["borrower_same_county"].customer_id},
        "government": set(),
    }[role]
    assert customers == expected


@pytest.mark.parametrize("role", ROLES)
def test_aggregates(client, bank, role):
    response = client.get("/api/v1/stats/portfolio", headers=bank[role].headers)
    if role == "borrower":
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        county = response.json()["county"]
        assert county == ("新泰市" if role in ("officer", "government") else None)


def test_only_admin_creates_staff(client, bank):
    body = {
        "phone": "13700000009",
        "password": "Staff2026x",
        "role": "officer",
        "name": "李",
        "county": "新泰市",
    }
    for role in ("borrower", "officer", "risk", "government"):
        response = client.post("/api/v1/auth/staff", json=body, headers=bank[role].headers)
        assert response.status_code == 403
    assert (
        client.post("/api/v1/auth/staff", json=body, headers=bank["admin"].headers).status_code
        == 201
    )
