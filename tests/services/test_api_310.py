"""The 310 loan over HTTP: register with an ID, consent, apply, read the decision and its
reasons, ask for a human review of a decline; authorisation on all of it."""

from __future__ import annotations

import asyncio

import httpx

from tests.services.test_applications import _resident


def _sign_up(client, tiny_run, offset, phone, name=None):
    number, real = _resident(tiny_run, offset)
    body = {"phone": phone, "password": "Nongmin2026", "name": name or real, "id_number": number}
    registered = client.post("/api/v1/auth/register", json=body)
    assert registered.status_code == 201, registered.text
    assert registered.json()["in_county_register"] is True
    assert number not in registered.text
    session = client.post("/api/v1/auth/login", json={"phone": phone, "password": "Nongmin2026"})
    client.cookies.clear()
    return {"Authorization": f"Bearer {session.json()['token']}"}


def test_apply_over_http_shows_the_apr_and_reasons(client, tiny_run):
    me = _sign_up(client, tiny_run, 10, "13800002001")
    consents = client.get("/api/v1/consents", headers=me).json()
    assert any(c["purpose"] == "credit_scoring" and c["active"] for c in consents)
    response = client.post(
        "/api/v1/applications",
        json={"product_code": "xintai_farmer_line"},
        headers={**me, "Idempotency-Key": "apply-1"},
    )
    assert response.status_code == 201, response.text
    decision = response.json()
    assert decision["model_version"] == "county:v0001"
    if decision["approved"]:
        assert decision["offer"]["price"]["apr"].endswith("%")
        assert decision["offer"]["price"]["daily_rate"].endswith("%")
        line = client.get(f"/api/v1/lines/{decision['line_id']}", headers=me).json()
        assert line["limit"] == decision["offer"]["limit"]
    else:
        assert decision["reasons_zh"]
        assert decision["human_review_available"]
    again = client.get(f"/api/v1/applications/{decision['decision_id']}", headers=me).json()
    assert again["decision_id"] == decision["decision_id"]
    assert again["reason_codes"] == decision["reason_codes"]


def test_a_decline_can_go_to_a_person_and_only_its_owner_may_ask(client, tiny_run):
    me = _sign_up(client, tiny_run, 11, "13800002002", name="名字不对")
    other = _sign_up(client, tiny_run, 12, "13800002003")
    declined = client.post(
        "/api/v1/applications",
        json={"product_code": "xintai_farmer_line"},
        headers={**me, "Idempotency-Key": "apply-2"},
    ).json()
    assert declined["approved"] is False
    assert declined["reason_codes"] == ["REAL_NAME"]
    decision_id = declined["decision_id"]
    assert client.get(f"/api/v1/applications/{decision_id}", headers=other).status_code == 403
    assert (
        client.post(
            f"/api/v1/applications/{decision_id}/review", json={}, headers=other
        ).status_code
        == 403
    )
    review = client.post(
        f"/api/v1/applications/{decision_id}/review", json={"note": "名字填错了"}, headers=me
    )
    assert review.status_code == 201
    assert review.json()["status"] == "open"
    assert client.get("/api/v1/reviews", headers=me).status_code == 403


def test_withdrawing_consent_stops_scoring(client, tiny_run):
    me = _sign_up(client, tiny_run, 13, "13800002004")
    assert client.delete("/api/v1/consents/credit_scoring", headers=me).status_code == 204
    declined = client.post(
        "/api/v1/applications",
        json={"product_code": "xintai_farmer_line"},
        headers={**me, "Idempotency-Key": "apply-3"},
    ).json()
    assert declined["reason_codes"] == ["CONSENT"]
    assert declined["credit_points"] is None


def test_applications_arriving_together_are_decided_together(client, tiny_run):
    """A burst of applies is served in batches (``api.batching``): each caller still gets its
    own answer — the intruder its 401, a retry within the burst its first decision."""
    people = [_sign_up(client, tiny_run, 30 + i, f"1380000210{i}") for i in range(8)]
    app = client.app
    body = {"product_code": "xintai_farmer_line"}

    async def burst():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            calls = [
                http.post(
                    "/api/v1/applications", json=body, headers={**me, "Idempotency-Key": f"b{i}"}
                )
                for i, me in enumerate(people)
            ]
            intruder = {"Authorization": "Bearer not-a-session", "Idempotency-Key": "b-x"}
            calls.append(http.post("/api/v1/applications", json=body, headers=intruder))
            retry = {**people[0], "Idempotency-Key": "b0"}
            calls.append(http.post("/api/v1/applications", json=body, headers=retry))
            return await asyncio.gather(*calls)

    served_before = app.state.apply_batches.stats.batches
    answers = asyncio.run(burst())
    assert [a.status_code for a in answers] == [201] * 8 + [401, 201], [a.text for a in answers]
    decisions = [a.json() for a in answers[:8]]
    assert len({d["decision_id"] for d in decisions}) == 8
    assert answers[9].json()["decision_id"] == decisions[0]["decision_id"]
    assert answers[8].json()["error"]["code"] == "NOT_LOGGED_IN"
    stats = app.state.apply_batches.stats
    assert stats.largest > 1
    assert stats.batches - served_before < len(answers)  # fewer batches than requests
    for me, decision in zip(people, decisions, strict=True):  # each reads back its own
        mine = client.get(f"/api/v1/applications/{decision['decision_id']}", headers=me)
        assert mine.status_code == 200
        assert mine.json()["reason_codes"] == decision["reason_codes"]


# -- the apply's fast path (api.routers.applications.ApplyFastPath) -------------------------

#: A content type the fast path leaves to FastAPI (same JSON, so the same request).
ROUTE_ONLY = "application/json; charset=utf-8"


def test_the_fast_path_answers_byte_for_byte_as_the_route(client, tiny_run, monkeypatch):
    from puhui.api import schemas

    taken: list[object] = []  # the fast path validates with ApplyIn.model_validate, FastAPI not
    validate = schemas.ApplyIn.model_validate
    monkeypatch.setattr(
        schemas.ApplyIn, "model_validate", lambda obj, **kw: taken.append(obj) or validate(obj)
    )
    me = _sign_up(client, tiny_run, 16, "13800002011")
    fast = client.post(
        "/api/v1/applications",
        json={"product_code": "xintai_farmer_line"},
        headers={**me, "Idempotency-Key": "fast-1"},
    )
    # The same key through FastAPI's route: the stored decision, as the route serialises it.
    routed = client.post(
        "/api/v1/applications",
        content=b'{"product_code": "xintai_farmer_line"}',
        headers={**me, "Idempotency-Key": "fast-1", "Content-Type": ROUTE_ONLY},
    )
    assert taken == [{"product_code": "xintai_farmer_line"}]  # the first only
    assert fast.status_code == routed.status_code == 201
    assert fast.content == routed.content
    assert fast.headers["content-type"] == routed.headers["content-type"] == "application/json"
    assert fast.headers["x-content-type-options"] == "nosniff"  # inside the headers middleware

    # A refusal: the same status and the same error, but for the request's own id.
    def refused(content_type: str, key: str) -> tuple[int, dict]:
        answer = client.post(
            "/api/v1/applications",
            content=b'{"product_code": "no_such_product"}',
            headers={**me, "Idempotency-Key": key, "Content-Type": content_type},
        )
        error = answer.json()["error"]
        assert error.pop("request_id") == answer.headers["x-request-id"]
        return answer.status_code, error

    assert refused("application/json", "fast-2") == refused(ROUTE_ONLY, "fast-3")
    assert refused("application/json", "fast-4")[0] == 404


def test_what_the_fast_path_does_not_take_the_route_answers(client, tiny_run):
    me = _sign_up(client, tiny_run, 17, "13800002012")
    invalid = client.post(  # money as a JSON number: FastAPI's 422 in the one shape
        "/api/v1/applications",
        json={"product_code": "xintai_farmer_line", "requested_limit": 5000.5},
        headers={**me, "Idempotency-Key": "slow-1"},
    )
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "REQUEST_INVALID"
    not_json = client.post(
        "/api/v1/applications",
        content=b"{",
        headers={**me, "Idempotency-Key": "slow-2", "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
    no_key = client.post("/api/v1/applications", json={}, headers=me)
    no_key_routed = client.post(
        "/api/v1/applications", content=b"{}", headers={**me, "Content-Type": ROUTE_ONLY}
    )
    assert no_key.status_code == no_key_routed.status_code == 422
    assert no_key.json()["error"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    assert no_key_routed.json()["error"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    nobody = client.post("/api/v1/applications", json={}, headers={"Idempotency-Key": "slow-3"})
    assert nobody.status_code == 401


def test_a_bug_on_the_fast_path_is_the_one_500(client, tiny_run):
    from fastapi.testclient import TestClient

    me = _sign_up(client, tiny_run, 18, "13800002013")
    app = client.app

    class Broken:
        async def submit(self, _item):
            raise RuntimeError("a bug with a secret 110101199001011234")

    batches, app.state.apply_batches = app.state.apply_batches, Broken()
    try:
        with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as raw:
            answer = raw.post(
                "/api/v1/applications", json={}, headers={**me, "Idempotency-Key": "bug-1"}
            )
    finally:
        app.state.apply_batches = batches
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "INTERNAL_ERROR"
    assert "secret" not in answer.text
    assert "Traceback" not in answer.text


def test_only_one_bearer_json_request_is_the_fast_paths():
    from puhui.api.routers.applications import _bearer_json

    ok = [(b"authorization", b"Bearer abc"), (b"content-type", b"application/json")]
    assert _bearer_json(ok) == ("abc", None)
    assert _bearer_json([*ok, (b"idempotency-key", b"k1")]) == ("abc", "k1")
    assert _bearer_json([*ok, (b"authorization", b"Bearer other")]) == (None, None)
    assert _bearer_json([*ok, (b"idempotency-key", b"a"), (b"idempotency-key", b"b")]) == (
        None,
        None,
    )
    assert _bearer_json([(b"authorization", b"Bearer abc")]) == (None, None)  # no JSON type
    assert _bearer_json([(b"cookie", b"puhui_session=x"), ok[1]]) == (None, None)
