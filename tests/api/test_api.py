"""The API: the borrower's money journey, one error shape, CSRF, rate limit, headers."""

from decimal import Decimal

from puhui.idcard import check_char
from tests.api.conftest import PASSWORD, login

ID = "110105199001011234"[:17] + check_char("11010519900101123")


def test_borrower_draws_sees_apr_repays_and_reads_statement(client, bank):
    me = bank["borrower"]
    lines = client.get("/api/v1/lines", headers=me.headers).json()
    assert len(lines) == 1
    line = lines[0]
    assert line["price"]["apr"] == "7.20%"
    assert line["available"] == "50000.00"

    preview = client.post(
        f"/api/v1/lines/{line['line_id']}/preview",
        json={"amount": "12000", "term_months": 12, "method": "equal_installment"},
        headers=me.headers,
    ).json()
    assert preview["price"]["apr"] == "7.20%"
    assert preview["price"]["daily_rate"] == "0.0200%"
    assert len(preview["instalments"]) == 12

    headers = {**me.headers, "Idempotency-Key": "draw-1"}
    body = {"amount": "12000", "term_months": 12, "method": "equal_installment"}
    first = client.post(f"/api/v1/lines/{line['line_id']}/drawdowns", json=body, headers=headers)
    assert first.status_code == 201, first.text
    for _ in range(5):  # a retried request disburses once
        again = client.post(
            f"/api/v1/lines/{line['line_id']}/drawdowns", json=body, headers=headers
        )
        assert again.json() == first.json()
    loan_id = first.json()["loan_id"]
    wallet = client.get(f"/api/v1/customers/{me.customer_id}/wallet", headers=me.headers).json()
    assert wallet["balance"] == "12000.00"

    schedule = client.get(f"/api/v1/loans/{loan_id}/schedule", headers=me.headers).json()
    assert sum(Decimal(r["principal"]) for r in schedule) == Decimal("12000.00")
    payoff = client.get(f"/api/v1/loans/{loan_id}/payoff", headers=me.headers).json()
    assert payoff["payoff"] == "12000.00"  # same day: no interest, no fee

    repaid = client.post(
        f"/api/v1/loans/{loan_id}/repayments",
        json={"full": True},
        headers={**me.headers, "Idempotency-Key": "repay-1"},
    )
    assert repaid.status_code == 201, repaid.text
    assert repaid.json()["status"] == "paid_off"
    statement = client.get(
        f"/api/v1/customers/{me.customer_id}/statement", headers=me.headers
    ).json()
    assert [x["kind"] for x in statement["lines"]] == ["drawdown", "repayment"]
    assert statement["lines"][-1]["balance"] == "0.00"


def test_errors_have_one_shape_and_no_trace(client, bank):
    me = bank["borrower"]
    line_id = client.get("/api/v1/lines", headers=me.headers).json()[0]["line_id"]
    cases = [
        (
            client.post(
                f"/api/v1/lines/{line_id}/drawdowns",
                json={"amount": "100", "term_months": 6},
                headers=me.headers,
            ),
            422,
            "IDEMPOTENCY_KEY_REQUIRED",
        ),
        (
            client.post(
                f"/api/v1/lines/{line_id}/drawdowns",
                json={"amount": "1.234", "term_months": 6},
                headers={**me.headers, "Idempotency-Key": "x"},
            ),
            422,
            "AMOUNT_PRECISION",
        ),
        (
            client.post(
                f"/api/v1/lines/{line_id}/drawdowns",
                json={"amount": 100.5, "term_months": 6},
                headers={**me.headers, "Idempotency-Key": "y"},
            ),
            422,
            "REQUEST_INVALID",
        ),
        (
            client.post(
                f"/api/v1/lines/{line_id}/drawdowns",
                json={"amount": "90000", "term_months": 6},
                headers={**me.headers, "Idempotency-Key": "z"},
            ),
            409,
            "INSUFFICIENT_AVAILABLE",
        ),
        (client.get("/api/v1/loans/999", headers=me.headers), 404, "LOAN_NOT_FOUND"),
        (client.get("/api/v1/nowhere"), 404, "NOT_FOUND"),
        (client.get("/api/v1/lines"), 401, "NOT_LOGGED_IN"),
        (
            client.get("/api/v1/lines", headers={"Authorization": "Bearer nonsense"}),
            401,
            "NOT_LOGGED_IN",
        ),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert error["code"] == code
        assert error["message_zh"]
        assert error["message_en"]
        assert "Traceback" not in response.text


def test_cookie_session_needs_csrf_token_for_writes(client, bank):
    response = client.post(
        "/api/v1/auth/login", json={"phone": "13800000001", "password": PASSWORD}
    )
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Secure" in cookie
    csrf = response.json()["csrf_token"]
    customer_id = response.json()["user"]["customer_id"]
    url = f"/api/v1/customers/{customer_id}/wallet/deposits"
    denied = client.post(url, json={"amount": "10"}, headers={"Idempotency-Key": "d1"})
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "CSRF_FAILED"
    allowed = client.post(
        url, json={"amount": "10"}, headers={"Idempotency-Key": "d1", "X-CSRF-Token": csrf}
    )
    assert allowed.status_code == 201
    assert client.get(f"/api/v1/customers/{customer_id}/wallet").json()["balance"] == "10.00"


def test_login_is_rate_limited(client, bank):
    for _ in range(5):
        wrong = client.post(
            "/api/v1/auth/login", json={"phone": "13800000001", "password": "wrong1234"}
        )
        assert wrong.status_code == 401
        assert wrong.json()["error"]["code"] == "LOGIN_FAILED"
    blocked = client.post("/api/v1/auth/login", json={"phone": "13800000001", "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "LOGIN_RATE_LIMITED"
    # another account from the same address still works
    assert login(client, "13800000002").user_id


def test_logout_ends_the_session(client, bank):
    me = bank["borrower"]
    assert client.post("/api/v1/auth/logout", headers=me.headers).status_code == 204
    assert client.get("/api/v1/lines", headers=me.headers).status_code == 401


def test_security_headers_and_no_pii_in_responses(client, bank):
    response = client.get("/api/v1/auth/me", headers=bank["borrower"].headers)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.json()["phone_masked"] == "138****0001"
    assert "13800000001" not in response.text


def test_registration_validates_phone_password_and_identity(client):
    good = {"phone": "13812345678", "password": "Abcdefg123", "name": "张三", "id_number": ID}
    cases = [
        ({"password": "short"}, "PASSWORD_WEAK"),
        ({"phone": "12345"}, "PHONE_FORMAT"),
        ({"id_number": ID[:-1] + ("0" if ID[-1] != "0" else "1")}, "ID_CHECKSUM"),
        ({"id_number": "12345"}, "ID_FORMAT"),
    ]
    for change, code in cases:
        response = client.post("/api/v1/auth/register", json={**good, **change})
        assert response.status_code == 422
        assert response.json()["error"]["code"] == code
        assert ID not in response.text
    ok = client.post("/api/v1/auth/register", json=good)
    assert ok.status_code == 201
    assert ok.json()["in_county_register"] is False  # not in this county's register
    assert ID not in ok.text
    assert client.post("/api/v1/auth/register", json=good).status_code == 409


def test_portfolio_stats_for_government_have_no_personal_data(client, bank):
    stats = client.get("/api/v1/stats/portfolio", headers=bank["government"].headers)
    assert stats.status_code == 200
    body = stats.json()
    assert body["county"] == "新泰市"
    assert body["customers"] == 2
    assert "13800000001" not in stats.text
